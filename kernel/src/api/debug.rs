//! Debug-build services: the list of all threads (seL4's ksDebugTCBs) and the scheduler
//! dump that prints it.

use crate::machine::{Machine, Memory};
use crate::model::KernelState;
use crate::object::Tcb;
use crate::object::tcb::{DEBUG_LINKS_OFFSET, ThreadState};
use crate::{kprint, kprintln};

fn next(m: &impl Memory, t: Tcb) -> u64 {
    m.read_word(t.0 + DEBUG_LINKS_OFFSET)
}

/// Adds a new thread to the debug list.
pub fn add(ks: &mut KernelState, m: &mut impl Machine, t: Tcb) {
    m.write_word(t.0 + DEBUG_LINKS_OFFSET, ks.debug_tcbs);
    m.write_word(t.0 + DEBUG_LINKS_OFFSET + 8, 0);
    if ks.debug_tcbs != 0 {
        m.write_word(ks.debug_tcbs + DEBUG_LINKS_OFFSET + 8, t.0);
    }
    ks.debug_tcbs = t.0;
}

/// Removes a thread being destroyed from the debug list.
pub fn remove(ks: &mut KernelState, m: &mut impl Machine, t: Tcb) {
    let (n, p) = (next(m, t), m.read_word(t.0 + DEBUG_LINKS_OFFSET + 8));
    if p == 0 {
        if ks.debug_tcbs == t.0 {
            ks.debug_tcbs = n;
        }
    } else {
        m.write_word(p + DEBUG_LINKS_OFFSET, n);
    }
    if n != 0 {
        m.write_word(n + DEBUG_LINKS_OFFSET + 8, p);
    }
    m.write_word(t.0 + DEBUG_LINKS_OFFSET, 0);
    m.write_word(t.0 + DEBUG_LINKS_OFFSET + 8, 0);
}

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
        t = next(m, tcb);
        guard += 1;
    }
}
