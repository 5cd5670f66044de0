//! Notifications, as seL4's notification.c: a word of badge bits that Signal ORs in and
//! Wait or Poll collects, a queue of waiters, and an optionally bound thread.

use super::endpoint::cancel_ipc;
use super::thread::{possible_switch_to, reschedule_required, sched_enqueue, set_thread_state};
use crate::machine::{Machine, Memory};
use crate::model::queue::Queue;
use crate::model::tcb::field;
use crate::model::{KernelState, Tcb, ThreadState};
use crate::mutant::{self, Mutant};
use sel4_abi::registers::BADGE_REGISTER;

/// Notification states (seL4's NtfnState).
pub mod state {
    /// No signal pending, nobody waiting.
    pub const IDLE: u64 = 0;
    /// Threads wait.
    pub const WAITING: u64 = 1;
    /// Signals are pending in the badge word.
    pub const ACTIVE: u64 = 2;
}

/// Offset of the pending badge word.
pub const BADGE: u64 = 16;
const BOUND_TCB: u64 = 24;

/// True if a signal is pending.
pub fn is_active(m: &impl Memory, ntfn: u64) -> bool {
    Queue(ntfn).state(m) == state::ACTIVE
}

/// The thread bound to the notification, if any.
pub fn bound_tcb(m: &impl Memory, ntfn: u64) -> Option<Tcb> {
    let t = m.read_word(ntfn + BOUND_TCB);
    (t != 0).then_some(Tcb(t))
}

fn set_active(m: &mut impl Machine, ntfn: u64, badge: u64) {
    Queue(ntfn).set_state(m, state::ACTIVE);
    m.write_word(ntfn + BADGE, badge);
}

/// seL4's sendSignal: wakes a waiter, or a bound thread waiting on an endpoint, with the
/// badge; else ORs the badge into the pending word.
pub fn send_signal(ks: &mut KernelState, m: &mut impl Machine, ntfn: u64, badge: u64) {
    let q = Queue(ntfn);
    match q.state(m) {
        state::IDLE => match bound_tcb(m, ntfn) {
            Some(t) if t.state(m) == ThreadState::BlockedOnReceive => {
                cancel_ipc(ks, m, t);
                set_thread_state(ks, m, t, ThreadState::Running);
                t.set_reg(m, BADGE_REGISTER, badge);
                possible_switch_to(ks, m, t);
            }
            _ => set_active(m, ntfn, badge),
        },
        state::WAITING => {
            let dest = q.head(m).expect("a waiting notification has a waiter");
            q.remove(m, dest);
            if q.head(m).is_none() {
                q.set_state(m, state::IDLE);
            }
            set_thread_state(ks, m, dest, ThreadState::Running);
            dest.set_reg(m, BADGE_REGISTER, badge);
            possible_switch_to(ks, m, dest);
        }
        _ => {
            let pending = m.read_word(ntfn + BADGE);
            let badge = if mutant::on(Mutant::NotificationBadgeOverwritten) {
                badge
            } else {
                pending | badge
            };
            m.write_word(ntfn + BADGE, badge);
        }
    }
}

/// seL4's receiveSignal: takes the pending badge, or waits (blocking) / returns badge 0.
pub fn receive_signal(
    ks: &mut KernelState,
    m: &mut impl Machine,
    t: Tcb,
    ntfn: u64,
    blocking: bool,
) {
    let q = Queue(ntfn);
    if q.state(m) == state::ACTIVE {
        t.set_reg(m, BADGE_REGISTER, m.read_word(ntfn + BADGE));
        q.set_state(m, state::IDLE);
    } else if blocking {
        set_thread_state(ks, m, t, ThreadState::BlockedOnNotification);
        t.set(m, field::BLOCKING_OBJECT, ntfn);
        q.append(m, t);
        q.set_state(m, state::WAITING);
    } else {
        t.set_reg(m, BADGE_REGISTER, 0);
    }
}

/// seL4's completeSignal: a thread receiving on an endpoint takes its bound notification's
/// pending badge instead.
pub fn complete_signal(m: &mut impl Machine, ntfn: u64, t: Tcb) {
    t.set_reg(m, BADGE_REGISTER, m.read_word(ntfn + BADGE));
    Queue(ntfn).set_state(m, state::IDLE);
}

/// seL4's cancelSignal: a waiter stops waiting.
pub fn cancel_signal(ks: &mut KernelState, m: &mut impl Machine, t: Tcb, ntfn: u64) {
    let q = Queue(ntfn);
    q.remove(m, t);
    if q.head(m).is_none() {
        q.set_state(m, state::IDLE);
    }
    set_thread_state(ks, m, t, ThreadState::Inactive);
}

/// seL4's cancelAllSignals: the notification is going away; its waiters restart.
pub fn cancel_all_signals(ks: &mut KernelState, m: &mut impl Machine, ntfn: u64) {
    let q = Queue(ntfn);
    if q.state(m) != state::WAITING {
        return;
    }
    let mut next = q.head(m);
    q.clear(m);
    while let Some(t) = next {
        next = Queue::next(m, t);
        set_thread_state(ks, m, t, ThreadState::Restart);
        sched_enqueue(ks, m, t);
    }
    reschedule_required(ks, m);
}

/// seL4's bindNotification.
pub fn bind_notification(m: &mut impl Machine, t: Tcb, ntfn: u64) {
    m.write_word(ntfn + BOUND_TCB, t.0);
    t.set(m, field::BOUND_NOTIFICATION, ntfn);
}

/// seL4's unbindNotification: `t` loses its bound notification, if it has one.
pub fn unbind_notification(m: &mut impl Machine, t: Tcb) {
    let ntfn = t.get(m, field::BOUND_NOTIFICATION);
    if ntfn != 0 {
        m.write_word(ntfn + BOUND_TCB, 0);
        t.set(m, field::BOUND_NOTIFICATION, 0);
    }
}

/// seL4's unbindMaybeNotification: the notification loses its bound thread, if any.
pub fn unbind_maybe_notification(m: &mut impl Machine, ntfn: u64) {
    if let Some(t) = bound_tcb(m, ntfn) {
        unbind_notification(m, t);
    }
}
