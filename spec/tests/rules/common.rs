//! Shared set-up: a booted root task with a few objects retyped at known slots.

pub use sel4_abi::{
    CapRights, Error, FaultType, InvocationLabel as L, LookupFailureType, ObjectType, Syscall,
};
pub use spec::harness::{FIRST_UNTYPED, ROOT_CNODE, ROOT_DEPTH, Reply, Sim};
pub use spec::model::{Cap, ThreadState};

/// Slot of the first endpoint made by `with_objects`.
pub const EP: u64 = 100;
/// Slot of the notification.
pub const NTFN: u64 = 101;
/// Slot of the second TCB.
pub const TCB2: u64 = 102;
/// Slot of a 2^4-slot CNode.
pub const CN: u64 = 103;
/// Slot of a 4 KiB frame.
pub const FRAME: u64 = 104;

/// Assert a reply is the error `e` with `payload`.
#[track_caller]
pub fn assert_err(r: &Reply, e: Error, payload: &[u64]) {
    assert_eq!(
        (r.label, r.words.as_slice()),
        (e.word(), payload),
        "expected {e:?} {payload:?}, got {r:?}"
    );
}

/// Assert a reply is success.
#[track_caller]
pub fn assert_ok(r: &Reply) {
    assert_eq!(r.label, 0, "expected success, got {r:?}");
}

/// A booted root task with an endpoint, a notification, a TCB, a CNode and a frame.
pub fn with_objects() -> Sim {
    let mut m = Sim::default();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Endpoint, 0, EP, 1));
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Notification, 0, NTFN, 1));
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Tcb, 0, TCB2, 1));
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::CapTable, 4, CN, 1));
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::SmallPage, 0, FRAME, 1));
    m
}

/// Copy root slot `src` to `dest` with `rights`.
pub fn copy(m: &mut Sim, src: u64, dest: u64, rights: CapRights) -> Reply {
    m.call(
        ROOT_CNODE,
        L::CNodeCopy,
        &[dest, ROOT_DEPTH, src, ROOT_DEPTH, rights.word()],
        &[ROOT_CNODE],
    )
}

/// Mint root slot `src` to `dest` with `rights` and `badge`.
pub fn mint(m: &mut Sim, src: u64, dest: u64, rights: CapRights, badge: u64) -> Reply {
    m.call(
        ROOT_CNODE,
        L::CNodeMint,
        &[dest, ROOT_DEPTH, src, ROOT_DEPTH, rights.word(), badge],
        &[ROOT_CNODE],
    )
}

/// Delete root slot `i`.
pub fn delete(m: &mut Sim, i: u64) -> Reply {
    m.call(ROOT_CNODE, L::CNodeDelete, &[i, ROOT_DEPTH], &[])
}

/// Revoke root slot `i`.
pub fn revoke(m: &mut Sim, i: u64) -> Reply {
    m.call(ROOT_CNODE, L::CNodeRevoke, &[i, ROOT_DEPTH], &[])
}

/// Set up the TCB in `TCB2` to run in the root task's CSpace and VSpace with an IPC buffer
/// frame `FRAME` at `buffer`, priority `prio`, and start it.
pub fn start_second(m: &mut Sim, prio: u64, buffer: u64) {
    assert_ok(&m.call(
        TCB2,
        L::TcbConfigure,
        &[0, 0, 0, buffer],
        &[ROOT_CNODE, sel4_abi::init_cap::INIT_THREAD_VSPACE, FRAME],
    ));
    assert_ok(&m.call(
        TCB2,
        L::TcbSetPriority,
        &[prio],
        &[sel4_abi::init_cap::INIT_THREAD_TCB],
    ));
    assert_ok(&m.call(TCB2, L::TcbResume, &[], &[]));
}

/// The address of the TCB in root slot `i`.
pub fn tcb_at(m: &Sim, i: u64) -> u64 {
    match m.root_cap(i) {
        Cap::Thread { tcb } => tcb,
        c => panic!("slot {i} holds {c:?}"),
    }
}
