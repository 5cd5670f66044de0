//! Notifications: Signal, Wait, Poll, and binding to a thread.

use sel4::cap_type::{Endpoint, Notification, Tcb};
use sel4::{Cap, CapRights, Error};

use crate::env::{Context, Env, Outcome, Spawn, Test, Word, park, root, yield_n};
use crate::expect_eq;

pub const TESTS: &[Test] = &[
    (
        "notification signals accumulate as the OR of badges",
        signal_or,
    ),
    (
        "notification Poll of an idle notification returns 0",
        poll_idle,
    ),
    (
        "notification a waiting thread is woken by Signal",
        wait_woken,
    ),
    (
        "notification bound to a thread wakes its endpoint Recv",
        bound_wakes_recv,
    ),
    (
        "notification BindNotification twice is IllegalOperation",
        bind_twice,
    ),
    (
        "notification BindNotification without Read is IllegalOperation",
        bind_without_read,
    ),
    (
        "notification UnbindNotification then bind again works",
        unbind_rebind,
    ),
    (
        "notification an unbadged Signal wakes a waiter with badge 0",
        unbadged_signal,
    ),
    (
        "notification a pending bound notification ends the next endpoint Recv",
        pending_bound,
    ),
    (
        "notification one Signal wakes only the first of two waiters",
        one_signal_one_waiter,
    ),
    (
        "notification deleting a waiting thread leaves the signal pending",
        delete_waiting_thread,
    ),
    (
        "notification deleting a bound thread unbinds the notification",
        delete_bound_thread,
    ),
    (
        "notification deleting a bound notification unbinds the thread",
        delete_bound_notification,
    ),
];

fn badged(
    env: &Env,
    n: Cap<Notification>,
    badge: u64,
) -> Result<Cap<Notification>, crate::env::Why> {
    let s = env.slot();
    root()
        .relative_bits(s, 64)
        .mint(&root().relative(n), CapRights::ALL_RIGHTS, badge)
        .ctx("mint")?;
    Ok(Cap::from_cptr(s))
}

fn signal_or(env: &Env) -> Outcome {
    let n = env.alloc::<Notification>()?;
    badged(env, n, 0b0001)?.signal();
    badged(env, n, 0b0100)?.signal();
    badged(env, n, 0b0101)?.signal();
    expect_eq!(n.wait(), 0b0101, "Wait");
    expect_eq!(n.poll(), 0, "Poll after the Wait consumed it");
    Ok(())
}

fn poll_idle(env: &Env) -> Outcome {
    let n = env.alloc::<Notification>()?;
    expect_eq!(n.poll(), 0, "Poll");
    Ok(())
}

static GOT: Word = Word::new();

extern "C" fn waiter(n: u64) -> ! {
    GOT.set(Cap::<Notification>::from_cptr(n).wait());
    park()
}

fn wait_woken(env: &Env) -> Outcome {
    GOT.set(0);
    let n = env.alloc::<Notification>()?;
    env.spawn(waiter, n.cptr(), Spawn::default())?;
    yield_n(2);
    expect_eq!(GOT.get(), 0, "before the signal");
    badged(env, n, 9)?.signal();
    yield_n(1);
    expect_eq!(GOT.get(), 9, "badge the waiter got");
    Ok(())
}

extern "C" fn ep_receiver(ep: u64) -> ! {
    let (_, badge) = Cap::<Endpoint>::from_cptr(ep).recv();
    GOT.set(badge);
    park()
}

fn bound_wakes_recv(env: &Env) -> Outcome {
    GOT.set(0);
    let n = env.alloc::<Notification>()?;
    let ep = env.alloc::<Endpoint>()?;
    let t = env.spawn(
        ep_receiver,
        ep.cptr(),
        Spawn {
            start: false,
            ..Spawn::default()
        },
    )?;
    t.tcb_bind_notification(n).ctx("bind")?;
    t.tcb_resume().ctx("resume")?;
    yield_n(2);
    expect_eq!(GOT.get(), 0, "before the signal");
    badged(env, n, 0x30)?.signal();
    yield_n(1);
    expect_eq!(GOT.get(), 0x30, "badge the endpoint receiver got");
    Ok(())
}

fn bind_twice(env: &Env) -> Outcome {
    let (n1, n2) = (env.alloc::<Notification>()?, env.alloc::<Notification>()?);
    let (t1, t2) = (env.alloc::<Tcb>()?, env.alloc::<Tcb>()?);
    t1.tcb_bind_notification(n1).ctx("first bind")?;
    expect_eq!(
        t1.tcb_bind_notification(n2),
        Err(Error::IllegalOperation),
        "thread already bound"
    );
    expect_eq!(
        t2.tcb_bind_notification(n1),
        Err(Error::IllegalOperation),
        "notification already bound"
    );
    Ok(())
}

fn bind_without_read(env: &Env) -> Outcome {
    let n = env.alloc::<Notification>()?;
    let t = env.alloc::<Tcb>()?;
    let s = env.slot();
    root()
        .relative_bits(s, 64)
        .copy(&root().relative(n), CapRights::CAN_WRITE)
        .ctx("copy")?;
    expect_eq!(
        t.tcb_bind_notification(Cap::from_cptr(s)),
        Err(Error::IllegalOperation),
        "bind a write-only notification"
    );
    Ok(())
}

fn unbind_rebind(env: &Env) -> Outcome {
    let n = env.alloc::<Notification>()?;
    let (t1, t2) = (env.alloc::<Tcb>()?, env.alloc::<Tcb>()?);
    t1.tcb_bind_notification(n).ctx("bind")?;
    t1.tcb_unbind_notification().ctx("unbind")?;
    t2.tcb_bind_notification(n).ctx("bind to another thread")?;
    expect_eq!(
        t1.tcb_unbind_notification(),
        Err(Error::IllegalOperation),
        "unbind when unbound"
    );
    Ok(())
}

static WOKE: Word = Word::new();

extern "C" fn waiter_flag(n: u64) -> ! {
    GOT.set(Cap::<Notification>::from_cptr(n).wait());
    WOKE.set(1);
    park()
}

fn unbadged_signal(env: &Env) -> Outcome {
    GOT.set(0xffff);
    WOKE.set(0);
    let n = env.alloc::<Notification>()?;
    env.spawn(waiter_flag, n.cptr(), Spawn::default())?;
    yield_n(1);
    expect_eq!(WOKE.get(), 0, "before the signal");
    n.signal();
    yield_n(1);
    expect_eq!(WOKE.get(), 1, "woken");
    expect_eq!(GOT.get(), 0, "badge");
    Ok(())
}

extern "C" fn ep_receiver_flag(ep: u64) -> ! {
    let (_, badge) = Cap::<Endpoint>::from_cptr(ep).recv();
    GOT.set(badge);
    WOKE.set(1);
    park()
}

fn pending_bound(env: &Env) -> Outcome {
    GOT.set(0);
    WOKE.set(0);
    let n = env.alloc::<Notification>()?;
    let ep = env.alloc::<Endpoint>()?;
    let t = env.spawn(
        ep_receiver_flag,
        ep.cptr(),
        Spawn {
            start: false,
            ..Spawn::default()
        },
    )?;
    t.tcb_bind_notification(n).ctx("bind")?;
    badged(env, n, 0x21)?.signal();
    t.tcb_resume().ctx("resume")?;
    yield_n(1);
    expect_eq!(WOKE.get(), 1, "the Recv returned at once");
    expect_eq!(GOT.get(), 0x21, "badge");
    // Polling a notification bound to another thread is a cap fault: unbind first.
    t.tcb_unbind_notification().ctx("unbind")?;
    expect_eq!(n.poll(), 0, "the notification was consumed");
    Ok(())
}

static WOKEN: [Word; 2] = [const { Word::new() }; 2];

/// Waits on the notification in `NTFN`; records the badge in `WOKEN[id]`.
extern "C" fn indexed_waiter(id: u64) -> ! {
    let badge = Cap::<Notification>::from_cptr(NTFN.get()).wait();
    WOKEN[id as usize].set(badge);
    park()
}

static NTFN: Word = Word::new();

fn one_signal_one_waiter(env: &Env) -> Outcome {
    for w in &WOKEN {
        w.set(0);
    }
    let n = env.alloc::<Notification>()?;
    NTFN.set(n.cptr());
    for id in 0..2 {
        env.spawn(indexed_waiter, id, Spawn::default())?;
        yield_n(1);
    }
    badged(env, n, 1)?.signal();
    yield_n(1);
    expect_eq!(
        [WOKEN[0].get(), WOKEN[1].get()],
        [1, 0],
        "after the first signal"
    );
    badged(env, n, 2)?.signal();
    yield_n(1);
    expect_eq!(
        [WOKEN[0].get(), WOKEN[1].get()],
        [1, 2],
        "after the second signal"
    );
    Ok(())
}

fn delete_waiting_thread(env: &Env) -> Outcome {
    GOT.set(0);
    let n = env.alloc::<Notification>()?;
    let t = env.spawn(waiter, n.cptr(), Spawn::default())?;
    yield_n(1);
    root()
        .relative(t)
        .delete()
        .ctx("delete the waiter's TCB cap")?;
    env.forget(t);
    badged(env, n, 0x11)?.signal();
    expect_eq!(n.poll(), 0x11, "the signal stayed pending");
    expect_eq!(GOT.get(), 0, "the deleted waiter never woke");
    Ok(())
}

fn delete_bound_thread(env: &Env) -> Outcome {
    let n = env.alloc::<Notification>()?;
    let (t1, t2) = (env.alloc::<Tcb>()?, env.alloc::<Tcb>()?);
    t1.tcb_bind_notification(n).ctx("bind")?;
    root().relative(t1).delete().ctx("delete the bound TCB")?;
    t2.tcb_bind_notification(n)
        .ctx("bind the notification again")?;
    Ok(())
}

fn delete_bound_notification(env: &Env) -> Outcome {
    let (n1, n2) = (env.alloc::<Notification>()?, env.alloc::<Notification>()?);
    let t = env.alloc::<Tcb>()?;
    t.tcb_bind_notification(n1).ctx("bind")?;
    root()
        .relative(n1)
        .delete()
        .ctx("delete the bound notification")?;
    t.tcb_bind_notification(n2).ctx("bind another")?;
    Ok(())
}
