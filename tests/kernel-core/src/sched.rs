//! Priorities and scheduling: preemption on resume, MCP checks, Yield round robin.

use sel4::cap_type::Tcb;
use sel4::{Cap, Error};

use crate::env::{Context, Env, Outcome, Spawn, Test, Word, park};
use crate::{ensure, expect_eq};

pub const TESTS: &[Test] = &[
    (
        "sched a higher-priority thread runs as soon as it is resumed",
        higher_runs_first,
    ),
    (
        "sched a lower-priority thread runs only once the root task drops below it",
        lower_waits,
    ),
    (
        "sched SetPriority above the authority's MCP is RangeError 0..mcp",
        above_mcp,
    ),
    (
        "sched SetMCPriority bounds what the thread may grant",
        set_mcp,
    ),
    (
        "sched Yield alternates two equal-priority threads",
        yield_alternates,
    ),
    (
        "sched SetPriority of a ready thread reorders the ready threads",
        reprioritise_ready,
    ),
    (
        "sched a message wakes a higher-priority receiver at once",
        ipc_wakes_higher_at_once,
    ),
    (
        "sched a Signal wakes a higher-priority waiter at once",
        signal_wakes_higher_at_once,
    ),
    (
        "sched a fresh TCB has MCP 0 and zero registers but SPSR",
        fresh_tcb,
    ),
    (
        "sched DomainSet: one domain, a two-entry schedule checked as seL4's domain.c",
        domains,
    ),
];

static RAN: Word = Word::new();

extern "C" fn mark(v: u64) -> ! {
    RAN.set(v);
    park()
}

fn me() -> Cap<Tcb> {
    sel4::init_thread_tcb()
}

fn higher_runs_first(env: &Env) -> Outcome {
    RAN.set(0);
    me().tcb_set_priority(me(), 100)
        .ctx("lower the root task to 100")?;
    let t = env.spawn(
        mark,
        1,
        Spawn {
            prio: 150,
            start: false,
            ..Spawn::default()
        },
    )?;
    expect_eq!(RAN.get(), 0, "before Resume");
    t.tcb_resume().ctx("resume")?;
    expect_eq!(RAN.get(), 1, "right after Resume");
    Ok(())
}

fn lower_waits(env: &Env) -> Outcome {
    RAN.set(0);
    env.spawn(
        mark,
        2,
        Spawn {
            prio: 50,
            ..Spawn::default()
        },
    )?;
    sel4::ipc::yield_now();
    expect_eq!(RAN.get(), 0, "after a Yield of the higher root task");
    me().tcb_set_priority(me(), 10)
        .ctx("lower the root task to 10")?;
    expect_eq!(RAN.get(), 2, "once the root task is below it");
    Ok(())
}

fn above_mcp(env: &Env) -> Outcome {
    let authority = env.alloc::<Tcb>()?;
    authority
        .tcb_set_sched_params(me(), 100, 100)
        .ctx("authority MCP 100")?;
    let t = env.alloc::<Tcb>()?;
    expect_eq!(
        t.tcb_set_priority(authority, 101),
        Err(Error::RangeError { min: 0, max: 100 }),
        "priority 101"
    );
    t.tcb_set_priority(authority, 100).ctx("priority 100")?;
    expect_eq!(
        t.tcb_set_priority(me(), 256),
        Err(Error::RangeError { min: 0, max: 255 }),
        "priority 256 with the root task's authority"
    );
    Ok(())
}

fn set_mcp(env: &Env) -> Outcome {
    let t = env.alloc::<Tcb>()?;
    let x = env.alloc::<Tcb>()?;
    t.tcb_set_mc_priority(me(), 50).ctx("SetMCPriority 50")?;
    expect_eq!(
        x.tcb_set_priority(t, 51),
        Err(Error::RangeError { min: 0, max: 50 }),
        "priority 51 under MCP 50"
    );
    expect_eq!(
        x.tcb_set_mc_priority(t, 60),
        Err(Error::RangeError { min: 0, max: 50 }),
        "MCP 60 under MCP 50"
    );
    x.tcb_set_priority(t, 50).ctx("priority 50")?;
    x.tcb_set_mc_priority(t, 20).ctx("MCP 20")?;
    Ok(())
}

static TRACE: [Word; 8] = [const { Word::new() }; 8];
static TRACE_LEN: Word = Word::new();

/// Records its id in the trace 3 times, yielding after each.
extern "C" fn tracer(id: u64) -> ! {
    for _ in 0..3 {
        let i = TRACE_LEN.bump() - 1;
        if let Some(w) = TRACE.get(i as usize) {
            w.set(id);
        }
        sel4::ipc::yield_now();
    }
    park()
}

fn yield_alternates(env: &Env) -> Outcome {
    TRACE_LEN.set(0);
    env.spawn(
        tracer,
        2,
        Spawn {
            prio: 200,
            ..Spawn::default()
        },
    )?;
    env.spawn(
        tracer,
        3,
        Spawn {
            prio: 200,
            ..Spawn::default()
        },
    )?;
    expect_eq!(
        TRACE_LEN.get(),
        0,
        "trace while the root task is above them"
    );
    // Below them, the root task runs again only once both have parked.
    me().tcb_set_priority(me(), 100)
        .ctx("lower the root task")?;
    let n = TRACE_LEN.get() as usize;
    let mut got = [0u64; 6];
    for (g, w) in got.iter_mut().zip(TRACE.iter()) {
        *g = w.get();
    }
    expect_eq!(n, 6, "trace length");
    // Whichever starts (seL4 queues a resumed thread at the head), they take turns.
    let (x, y) = (got[0], 5 - got[0]);
    ensure!(x == 2 || x == 3, "trace {got:?}");
    expect_eq!(got, [x, y, x, y, x, y], "trace");
    Ok(())
}

extern "C" fn trace_once(id: u64) -> ! {
    let i = TRACE_LEN.bump() - 1;
    if let Some(w) = TRACE.get(i as usize) {
        w.set(id);
    }
    park()
}

fn reprioritise_ready(env: &Env) -> Outcome {
    TRACE_LEN.set(0);
    let a = env.spawn(
        trace_once,
        1,
        Spawn {
            prio: 200,
            ..Spawn::default()
        },
    )?;
    let b = env.spawn(
        trace_once,
        2,
        Spawn {
            prio: 200,
            ..Spawn::default()
        },
    )?;
    a.tcb_set_priority(me(), 210).ctx("raise a")?;
    b.tcb_set_priority(me(), 220).ctx("raise b")?;
    let c = env.spawn(
        trace_once,
        3,
        Spawn {
            prio: 230,
            ..Spawn::default()
        },
    )?;
    c.tcb_set_priority(me(), 190).ctx("lower c")?;
    me().tcb_set_priority(me(), 100)
        .ctx("lower the root task")?;
    let got = [TRACE[0].get(), TRACE[1].get(), TRACE[2].get()];
    expect_eq!(got, [2, 1, 3], "order of the runs (by priority)");
    Ok(())
}

extern "C" fn recv_then_mark(ep: u64) -> ! {
    sel4::ipc::recv(Cap::<sel4::cap_type::Endpoint>::from_cptr(ep));
    RAN.set(7);
    park()
}

fn ipc_wakes_higher_at_once(env: &Env) -> Outcome {
    RAN.set(0);
    let ep = env.alloc::<sel4::cap_type::Endpoint>()?;
    me().tcb_set_priority(me(), 100)
        .ctx("lower the root task")?;
    env.spawn(
        recv_then_mark,
        ep.cptr(),
        Spawn {
            prio: 150,
            ..Spawn::default()
        },
    )?;
    expect_eq!(RAN.get(), 0, "receiver blocked");
    ep.nb_send(&sel4::Message::new(1));
    expect_eq!(RAN.get(), 7, "right after the NBSend");
    Ok(())
}

fn signal_wakes_higher_at_once(env: &Env) -> Outcome {
    RAN.set(0);
    let n = env.alloc::<sel4::cap_type::Notification>()?;
    me().tcb_set_priority(me(), 100)
        .ctx("lower the root task")?;
    env.spawn(
        recv_then_mark,
        n.cptr(),
        Spawn {
            prio: 150,
            ..Spawn::default()
        },
    )?;
    expect_eq!(RAN.get(), 0, "waiter blocked");
    n.signal();
    expect_eq!(RAN.get(), 7, "right after the Signal");
    Ok(())
}

fn fresh_tcb(env: &Env) -> Outcome {
    let t = env.alloc::<Tcb>()?;
    let r = t.tcb_read_all_registers(false).ctx("read")?;
    // seL4 starts a thread's SPSR as PSTATE_USER: EL0t with FIQ and SError masked.
    expect_eq!(r.spsr, 0x140, "spsr");
    let others_zero = r
        .as_words()
        .iter()
        .enumerate()
        .all(|(i, &w)| i == 2 || w == 0);
    ensure!(others_zero, "registers of a fresh TCB: {:?}", r);
    let x = env.alloc::<Tcb>()?;
    expect_eq!(
        x.tcb_set_priority(t, 1),
        Err(Error::RangeError { min: 0, max: 0 }),
        "priority 1 under a fresh TCB's MCP"
    );
    x.tcb_set_priority(t, 0).ctx("priority 0")?;
    Ok(())
}

fn domains(env: &Env) -> Outcome {
    let d = sel4::domain();
    let t = env.alloc::<Tcb>()?;
    d.domain_set_set(0, t).ctx("domain 0")?;
    expect_eq!(
        d.domain_set_set(1, t),
        Err(Error::InvalidArgument { index: 0 }),
        "domain 1"
    );
    expect_eq!(
        d.domain_schedule_configure(2, 0, 5),
        Err(Error::RangeError { min: 0, max: 1 }),
        "entry 2"
    );
    expect_eq!(
        d.domain_schedule_set_start(1),
        Err(Error::InvalidArgument { index: 0 }),
        "start at an end marker"
    );
    d.domain_schedule_configure(1, 0, 5).ctx("entry 1")?;
    d.domain_schedule_set_start(1).ctx("start at entry 1")?;
    expect_eq!(
        d.domain_schedule_configure(1, 0, 0),
        Err(Error::InvalidArgument { index: 2 }),
        "ending the starting entry"
    );
    d.domain_schedule_set_start(0).ctx("start at entry 0")?;
    d.domain_schedule_configure(1, 0, 0)
        .ctx("entry 1 an end marker again")?;
    Ok(())
}
