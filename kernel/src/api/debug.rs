//! Debug-build services: the scheduler dump (seL4_DebugDumpScheduler), which prints the
//! list of all threads (seL4's ksDebugTCBs, kept by [`crate::model::tcb`]).

use crate::machine::Machine;
use crate::model::KernelState;
use crate::model::Tcb;
use crate::model::tcb::{DEBUG_LINKS_OFFSET, ThreadState};
use crate::{kprint, kprintln};

fn state_name(s: ThreadState) -> &'static str {
    match s {
        ThreadState::Inactive => "inactive",
        ThreadState::Running => "running",
        ThreadState::Restart => "restart",
        ThreadState::BlockedOnReceive => "blocked-recv",
        ThreadState::BlockedOnSend => "blocked-send",
        ThreadState::BlockedOnReply => "blocked-reply",
        ThreadState::BlockedOnNotification => "blocked-ntfn",
        ThreadState::Idle => "idle",
    }
}

/// seL4_DebugDumpScheduler: one line per thread: name, TCB, state, priority, and whether
/// it is the current thread.
pub fn dump_scheduler<M: Machine>(ks: &KernelState, m: &mut M) {
    kprintln!(
        m,
        "kernel: {:<24} {:<18} {:<13} {:>4}",
        "name",
        "tcb",
        "state",
        "prio"
    );
    let mut t = ks.debug_tcbs;
    let mut guard = 0;
    while t != 0 && guard < 1 << 20 {
        let tcb = Tcb(t);
        let mut name = [0u8; 24];
        let n = tcb.name(m).len().min(24);
        name[..n].copy_from_slice(&tcb.name(m)[..n]);
        let name = core::str::from_utf8(&name[..n]).unwrap_or("?");
        let (state, prio) = (tcb.state(m), tcb.priority(m));
        let cur = if ks.current == Some(tcb) {
            " (current)"
        } else {
            ""
        };
        kprint!(m, "kernel: {name:<24} {t:<#18x} ");
        kprintln!(m, "{:<13} {prio:>4}{cur}", state_name(state));
        t = m.read_word(tcb.0 + DEBUG_LINKS_OFFSET);
        guard += 1;
    }
}
