//! TCB invocations: Suspend/Resume, Read/Write/CopyRegisters.

use sel4::cap_type::{Endpoint, SmallPage, Tcb, VSpace};
use sel4::{CNodeCapData, Cap, Error, InvocationLabel, Message, ObjectType, UserContext};

use crate::env::root;

use crate::env::{Context, Env, Outcome, Spawn, Test, Word, park, yield_n};
use crate::{ensure, expect_eq};

pub const TESTS: &[Test] = &[
    (
        "tcb a suspended thread stops and resumes where it was",
        suspend_resume,
    ),
    (
        "tcb ReadRegisters of another thread returns its registers",
        read_registers,
    ),
    (
        "tcb ReadRegisters of 37 registers is RangeError 1..36",
        read_37,
    ),
    (
        "tcb ReadRegisters of the caller itself is IllegalOperation",
        read_own,
    ),
    (
        "tcb WriteRegisters then resume runs from the new pc",
        write_registers,
    ),
    (
        "tcb CopyRegisters copies the frame registers only",
        copy_registers,
    ),
    (
        "tcb ReadRegisters with suspend_source stops the thread",
        read_and_suspend,
    ),
    (
        "tcb SetIPCBuffer misaligned is AlignmentError",
        ipc_buffer_misaligned,
    ),
    (
        "tcb SetIPCBuffer with a non-frame or device frame is IllegalOperation",
        ipc_buffer_not_frame,
    ),
    (
        "tcb SetSpace with a non-CNode or unassigned VSpace root is IllegalOperation",
        set_space_bad_roots,
    ),
    (
        "tcb SetTLSBase of another thread sets its TPIDR_EL0",
        set_tls_base,
    ),
    (
        "tcb a thread suspending itself stops; Resume re-runs its Suspend",
        suspend_self,
    ),
    (
        "tcb unknown label on a TCB is IllegalOperation",
        unknown_label,
    ),
    (
        "tcb SetPriority without the authority cap is TruncatedMessage",
        set_priority_truncated,
    ),
    (
        "tcb a thread deleting its own last TCB cap is destroyed",
        delete_self,
    ),
    (
        "tcb SetIPCBuffer publishes the new buffer in TPIDRRO_EL0",
        ipc_buffer_published,
    ),
    (
        "tcb ReadRegisters of a thread blocked in Recv gives the svc as pc",
        blocked_pc_is_the_svc,
    ),
    (
        "tcb SetSpace over the final cap of a CSpace root is IllegalOperation",
        set_space_long_running_delete,
    ),
    (
        "tcb WriteRegisters count beyond the message is TruncatedMessage",
        write_registers_counts,
    ),
    (
        "tcb ReadRegisters replies with exactly count words",
        read_registers_reply_length,
    ),
    (
        "tcb CopyRegisters with suspend_source stops the source",
        copy_registers_suspends_source,
    ),
    (
        "tcb WriteRegisters sets TPIDRRO_EL0 like any register",
        write_tpidrro,
    ),
];

static COUNTER: Word = Word::new();

/// Counts up forever, yielding after each step.
extern "C" fn counter(_: u64) -> ! {
    COUNTER.set(0);
    loop {
        COUNTER.bump();
        sel4::ipc::yield_now();
    }
}

fn suspend_resume(env: &Env) -> Outcome {
    COUNTER.set(0);
    let t = env.spawn(counter, 0, Spawn::default())?;
    yield_n(3);
    let before = COUNTER.get();
    ensure!(
        before >= 2,
        "the counter thread ran only {before} times in 3 yields"
    );
    t.tcb_suspend().ctx("suspend")?;
    let stopped = COUNTER.get();
    yield_n(3);
    expect_eq!(COUNTER.get(), stopped, "counter while suspended");
    t.tcb_resume().ctx("resume")?;
    yield_n(2);
    let after = COUNTER.get();
    ensure!(
        after > stopped,
        "counter went from {stopped} to {after} after Resume (restarted or not running)"
    );
    Ok(())
}

static VALUE: Word = Word::new();

extern "C" fn store_value(v: u64) -> ! {
    VALUE.set(v);
    park()
}

fn read_registers(env: &Env) -> Outcome {
    let t = env.spawn(
        store_value,
        0xabc,
        Spawn {
            start: false,
            ..Spawn::default()
        },
    )?;
    let r = t.tcb_read_all_registers(false).ctx("ReadRegisters")?;
    expect_eq!(r.pc, store_value as *const () as u64, "pc");
    expect_eq!(r.x0, 0xabc, "x0");
    ensure!(r.sp != 0 && r.sp % 16 == 0, "sp {:#x}", r.sp);
    let few = t
        .tcb_read_registers(false, 0, 2)
        .ctx("ReadRegisters of 2")?;
    expect_eq!(
        (few.pc, few.sp, few.x0),
        (r.pc, r.sp, 0),
        "first two registers only"
    );
    Ok(())
}

fn read_37(env: &Env) -> Outcome {
    let t = env.spawn(
        store_value,
        0,
        Spawn {
            start: false,
            ..Spawn::default()
        },
    )?;
    expect_eq!(
        t.tcb_read_registers(false, 0, 37).map(drop),
        Err(Error::RangeError { min: 1, max: 36 }),
        "37 registers"
    );
    expect_eq!(
        t.tcb_read_registers(false, 0, 0).map(drop),
        Err(Error::RangeError { min: 1, max: 36 }),
        "0 registers"
    );
    Ok(())
}

fn read_own(_: &Env) -> Outcome {
    let me = sel4::init_thread_tcb();
    expect_eq!(
        me.tcb_read_registers(false, 0, 1).map(drop),
        Err(Error::IllegalOperation),
        "own registers"
    );
    Ok(())
}

fn write_registers(env: &Env) -> Outcome {
    VALUE.set(0);
    let t = env.spawn(store_value, 1, Spawn::default())?;
    yield_n(1);
    expect_eq!(VALUE.get(), 1, "first run");
    t.tcb_suspend().ctx("suspend")?;
    let mut r = t.tcb_read_all_registers(false).ctx("read")?;
    r.pc = store_value as *const () as u64;
    r.x0 = 77;
    t.tcb_write_registers(true, 0, 4, &r)
        .ctx("WriteRegisters with resume")?;
    yield_n(1);
    expect_eq!(VALUE.get(), 77, "value stored from the new pc");
    Ok(())
}

fn copy_registers(env: &Env) -> Outcome {
    VALUE.set(0);
    let src = env.spawn(
        store_value,
        55,
        Spawn {
            start: false,
            ..Spawn::default()
        },
    )?;
    let mut s = src.tcb_read_all_registers(false).ctx("read source")?;
    s.x19 = 0x1919;
    src.tcb_write_all_registers(false, &s)
        .ctx("write source x19")?;
    let dst = env.spawn(
        store_value,
        0,
        Spawn {
            start: false,
            ..Spawn::default()
        },
    )?;
    let before = dst.tcb_read_all_registers(false).ctx("read target")?;
    dst.tcb_copy_registers(src, false, false, true, false, 0)
        .ctx("CopyRegisters frame")?;
    let d: UserContext = dst.tcb_read_all_registers(false).ctx("read target again")?;
    expect_eq!((d.pc, d.sp, d.x0), (s.pc, s.sp, 55), "frame registers");
    expect_eq!(d.x19, before.x19, "x19 (an integer register) not copied");
    expect_eq!(d.tpidrro_el0, before.tpidrro_el0, "tpidrro_el0 not copied");
    // The target runs from the copied pc with the copied x0. Its stack is the source's,
    // which never ran.
    dst.tcb_resume().ctx("resume the target")?;
    yield_n(1);
    expect_eq!(VALUE.get(), 55, "value stored by the target");
    Ok(())
}

fn read_and_suspend(env: &Env) -> Outcome {
    COUNTER.set(0);
    let t = env.spawn(counter, 0, Spawn::default())?;
    yield_n(2);
    t.tcb_read_registers(true, 0, 1)
        .ctx("ReadRegisters with suspend")?;
    let stopped = COUNTER.get();
    yield_n(3);
    expect_eq!(COUNTER.get(), stopped, "counter after the suspending read");
    Ok(())
}

fn ipc_buffer_misaligned(env: &Env) -> Outcome {
    let t = env.alloc::<Tcb>()?;
    let page = env.alloc::<SmallPage>()?;
    expect_eq!(
        t.tcb_set_ipc_buffer(0x10_0000_0008, page),
        Err(Error::AlignmentError),
        "offset 8"
    );
    t.tcb_set_ipc_buffer(0x10_0000_0400, page)
        .ctx("offset 1024")?;
    t.tcb_set_ipc_buffer(0, Cap::null()).ctx("no buffer")?;
    Ok(())
}

fn ipc_buffer_not_frame(env: &Env) -> Outcome {
    let t = env.alloc::<Tcb>()?;
    let ep = env.alloc::<Endpoint>()?;
    expect_eq!(
        t.tcb_set_ipc_buffer(0x10_0000_0000, ep.cast()),
        Err(Error::IllegalOperation),
        "an endpoint as the buffer frame"
    );
    let Some((dev, _)) = env
        .bi
        .untyped_caps()
        .filter(|(_, d)| d.is_device != 0)
        .last()
    else {
        crate::fail!("no device untyped");
    };
    let frame = env.slot();
    dev.untyped_retype_fixed::<SmallPage>(&root().itself(), frame, 1)
        .ctx("device frame")?;
    expect_eq!(
        t.tcb_set_ipc_buffer(0x10_0000_0000, Cap::from_cptr(frame)),
        Err(Error::IllegalOperation),
        "a device frame as the buffer frame"
    );
    Ok(())
}

fn set_space_bad_roots(env: &Env) -> Outcome {
    let t = env.alloc::<Tcb>()?;
    let ep = env.alloc::<Endpoint>()?;
    expect_eq!(
        t.tcb_set_space(
            0,
            ep.cast(),
            CNodeCapData::default(),
            sel4::init_thread_vspace(),
            0
        ),
        Err(Error::IllegalOperation),
        "an endpoint as the CSpace root"
    );
    let vs = env.slot();
    env.ut
        .untyped_retype(ObjectType::VSpace, 0, &root().itself(), vs, 1)
        .ctx("retype a VSpace")?;
    expect_eq!(
        t.tcb_set_space(
            0,
            root(),
            CNodeCapData::default(),
            Cap::<VSpace>::from_cptr(vs),
            0
        ),
        Err(Error::IllegalOperation),
        "a VSpace without an ASID as the VSpace root"
    );
    t.tcb_set_space(
        0,
        root(),
        CNodeCapData::default(),
        sel4::init_thread_vspace(),
        0,
    )
    .ctx("the root task's own roots")?;
    Ok(())
}

fn set_tls_base(env: &Env) -> Outcome {
    let t = env.spawn(
        store_value,
        0,
        Spawn {
            start: false,
            ..Spawn::default()
        },
    )?;
    t.tcb_set_tls_base(0x7e57_0000).ctx("SetTLSBase")?;
    let r = t.tcb_read_all_registers(false).ctx("read")?;
    expect_eq!(r.tpidr_el0, 0x7e57_0000, "tpidr_el0");
    Ok(())
}

static SELF_TCB: Word = Word::new();

extern "C" fn suspend_self_entry(_: u64) -> ! {
    VALUE.set(1);
    let _ = Cap::<Tcb>::from_cptr(SELF_TCB.get()).tcb_suspend();
    VALUE.set(2);
    park()
}

fn suspend_self(env: &Env) -> Outcome {
    VALUE.set(0);
    let t = env.spawn(
        suspend_self_entry,
        0,
        Spawn {
            start: false,
            ..Spawn::default()
        },
    )?;
    SELF_TCB.set(t.cptr());
    t.tcb_resume().ctx("resume")?;
    yield_n(2);
    expect_eq!(VALUE.get(), 1, "stopped in its own Suspend");
    // The invocation set the thread's state to Restart before suspending it, so its restart
    // pc is still the `svc` (seL4 updates it only for a Running thread): Resume makes it
    // execute the Suspend again.
    let r = t.tcb_read_all_registers(false).ctx("read")?;
    expect_eq!(
        instruction_at(r.pc),
        0xd400_0001,
        "instruction at the restart pc"
    );
    t.tcb_resume().ctx("resume again")?;
    yield_n(2);
    expect_eq!(VALUE.get(), 1, "after Resume");
    expect_eq!(
        t.tcb_read_all_registers(false).ctx("read")?.pc,
        r.pc,
        "pc after Resume"
    );
    Ok(())
}

fn unknown_label(env: &Env) -> Outcome {
    let t = env.alloc::<Tcb>()?;
    expect_eq!(
        sel4::invoke(t, &Message::invocation(InvocationLabel::CNodeCopy)).map(drop),
        Err(Error::IllegalOperation),
        "CNodeCopy label on a TCB"
    );
    expect_eq!(
        sel4::invoke(t, &Message::new(1000)).map(drop),
        Err(Error::IllegalOperation),
        "label 1000"
    );
    Ok(())
}

fn set_priority_truncated(env: &Env) -> Outcome {
    let t = env.alloc::<Tcb>()?;
    let m = Message::with_words(InvocationLabel::TcbSetPriority.word(), &[10]);
    expect_eq!(
        sel4::invoke(t, &m).map(drop),
        Err(Error::TruncatedMessage),
        "no authority"
    );
    let mut m = Message::invocation(InvocationLabel::TcbSetPriority);
    m.push_cap(sel4::init_thread_tcb());
    expect_eq!(
        sel4::invoke(t, &m).map(drop),
        Err(Error::TruncatedMessage),
        "no priority"
    );
    Ok(())
}

fn instruction_at(addr: u64) -> u32 {
    // SAFETY: `addr` is a pc inside this program's image, which is mapped readable (seL4
    // maps the root task's image read-write-execute); reading 4 aligned bytes.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

extern "C" fn delete_self_entry(_: u64) -> ! {
    VALUE.set(1);
    let _ = root()
        .relative(Cap::<Tcb>::from_cptr(SELF_TCB.get()))
        .delete();
    VALUE.set(2);
    park()
}

fn delete_self(env: &Env) -> Outcome {
    VALUE.set(0);
    let t = env.spawn(
        delete_self_entry,
        0,
        Spawn {
            start: false,
            ..Spawn::default()
        },
    )?;
    SELF_TCB.set(t.cptr());
    env.forget(t);
    t.tcb_resume().ctx("resume")?;
    yield_n(3);
    expect_eq!(VALUE.get(), 1, "stopped in its own Delete");
    expect_eq!(t.debug_identify(), None, "TCB slot");
    Ok(())
}

fn ipc_buffer_published(env: &Env) -> Outcome {
    let t = env.spawn(
        store_value,
        0,
        Spawn {
            start: false,
            ..Spawn::default()
        },
    )?;
    let before = t.tcb_read_all_registers(false).ctx("read")?.tpidrro_el0;
    ensure!(before != 0, "no IPC buffer address published");
    // Move the buffer to the second 1 KiB of the same page.
    t.tcb_set_ipc_buffer(before + 1024, env.image_frame(before))
        .ctx("SetIPCBuffer")?;
    let after = t.tcb_read_all_registers(false).ctx("read")?.tpidrro_el0;
    expect_eq!(after, before + 1024, "tpidrro_el0");
    Ok(())
}

fn blocked_pc_is_the_svc(env: &Env) -> Outcome {
    VALUE.set(0);
    let t = env.spawn(store_value, 4, Spawn::default())?;
    yield_n(1);
    expect_eq!(VALUE.get(), 4, "ran");
    let r = t.tcb_read_all_registers(false).ctx("read")?;
    expect_eq!(
        instruction_at(r.pc),
        0xd400_0001,
        "instruction at the pc of a blocked Recv"
    );
    Ok(())
}

fn set_space_long_running_delete(env: &Env) -> Outcome {
    let t = env.alloc::<Tcb>()?;
    let cn = env.alloc_cnode(4)?;
    t.tcb_set_space(
        0,
        cn,
        CNodeCapData::new(0, 60),
        sel4::init_thread_vspace(),
        0,
    )
    .ctx("SetSpace with a new CNode")?;
    // The TCB now holds the only cap to the CNode: replacing it would delete the CNode.
    root()
        .relative(cn)
        .delete()
        .ctx("delete the root's cap to the CNode")?;
    expect_eq!(
        t.tcb_set_space(
            0,
            root(),
            CNodeCapData::default(),
            sel4::init_thread_vspace(),
            0
        ),
        Err(Error::IllegalOperation),
        "SetSpace over the final cap of a CNode"
    );
    Ok(())
}

fn write_registers_counts(env: &Env) -> Outcome {
    let t = env.spawn(
        store_value,
        0,
        Spawn {
            start: false,
            ..Spawn::default()
        },
    )?;
    let words = [0u64; 40];
    let write = |count: u64, n: usize| {
        let mut m = Message::with_words(InvocationLabel::TcbWriteRegisters.word(), &[0, count]);
        for &w in &words[..n] {
            m.push(w);
        }
        sel4::invoke(t, &m).map(drop)
    };
    expect_eq!(
        write(37, 36),
        Err(Error::TruncatedMessage),
        "count 37 with 36 words"
    );
    write(40, 40).ctx("count 40 with 40 words")?;
    let me = sel4::init_thread_tcb();
    expect_eq!(
        me.tcb_write_registers(false, 0, 1, &UserContext::default()),
        Err(Error::IllegalOperation),
        "own registers"
    );
    Ok(())
}

fn read_registers_reply_length(env: &Env) -> Outcome {
    let t = env.spawn(
        store_value,
        0,
        Spawn {
            start: false,
            ..Spawn::default()
        },
    )?;
    for count in [1, 3, 12, 36] {
        let m = Message::with_words(InvocationLabel::TcbReadRegisters.word(), &[0, count]);
        let r = sel4::invoke(t, &m).ctx("ReadRegisters")?;
        expect_eq!(r.len() as u64, count, "reply length");
    }
    Ok(())
}

fn copy_registers_suspends_source(env: &Env) -> Outcome {
    COUNTER.set(0);
    let src = env.spawn(counter, 0, Spawn::default())?;
    yield_n(2);
    let dst = env.spawn(
        store_value,
        0,
        Spawn {
            start: false,
            ..Spawn::default()
        },
    )?;
    dst.tcb_copy_registers(src, true, false, false, true, 0)
        .ctx("CopyRegisters suspending the source")?;
    let stopped = COUNTER.get();
    yield_n(3);
    expect_eq!(COUNTER.get(), stopped, "source after the suspending copy");
    Ok(())
}

fn write_tpidrro(env: &Env) -> Outcome {
    // seL4 treats TPIDRRO_EL0 as an ordinary integer register. Note for this kernel, which
    // publishes the IPC buffer address there: writing it (or CopyRegisters with the integer
    // registers) points the thread's library at another buffer.
    let t = env.spawn(
        store_value,
        0,
        Spawn {
            start: false,
            ..Spawn::default()
        },
    )?;
    let mut r = t.tcb_read_all_registers(false).ctx("read")?;
    r.tpidrro_el0 = 0x1234_5000;
    t.tcb_write_all_registers(false, &r).ctx("write all 36")?;
    let after = t
        .tcb_read_all_registers(false)
        .ctx("read again")?
        .tpidrro_el0;
    expect_eq!(after, 0x1234_5000, "tpidrro_el0");
    Ok(())
}
