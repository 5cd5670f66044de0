//! Notifications: signal (badge OR), wait, poll, binding to a thread.

use std::collections::VecDeque;

use crate::machine::BADGE_REGISTER;
use crate::model::{Notification, NtfnState, Object, PAddr, State, ThreadState};

use super::endpoint::cancel_ipc;
use super::thread::{
    possible_switch_to, remove_from, reschedule_required, sched_enqueue, set_thread_state,
};

fn ntfn(s: &State, n: PAddr) -> Notification {
    match s.objects.get(&n) {
        Some(Object::Notification(x)) => x.clone(),
        o => panic!("no notification at {n:#x}: {o:?}"),
    }
}

fn set_state(s: &mut State, n: PAddr, st: NtfnState) {
    if let Some(Object::Notification(x)) = s.objects.get_mut(&n) {
        x.state = st;
    }
}

/// Whether a signal is pending.
pub fn is_active(s: &State, n: PAddr) -> bool {
    matches!(ntfn(s, n).state, NtfnState::Active(_))
}

/// seL4's `sendSignal`: wake the first waiter with the badge, or hand it to the bound thread
/// if that thread is waiting on an endpoint, or accumulate it by OR.
pub fn send_signal(s: &mut State, n: PAddr, badge: u64) {
    let x = ntfn(s, n);
    match x.state {
        NtfnState::Idle => {
            // A bound thread blocked in Recv on an endpoint takes the signal as its message.
            if let Some(t) = x.bound_tcb
                && matches!(s.tcb(t).state, ThreadState::BlockedOnReceive { .. })
            {
                cancel_ipc(s, t);
                set_thread_state(s, t, ThreadState::Running);
                s.tcb_mut(t).regs[BADGE_REGISTER] = badge;
                possible_switch_to(s, t);
            } else {
                set_state(s, n, NtfnState::Active(badge));
            }
        }
        NtfnState::Waiting(mut q) => {
            let t = q.pop_front().expect("wait queues are never empty");
            set_state(
                s,
                n,
                if q.is_empty() {
                    NtfnState::Idle
                } else {
                    NtfnState::Waiting(q)
                },
            );
            set_thread_state(s, t, ThreadState::Running);
            s.tcb_mut(t).regs[BADGE_REGISTER] = badge;
            possible_switch_to(s, t);
        }
        NtfnState::Active(b) => set_state(s, n, NtfnState::Active(b | badge)),
    }
}

/// seL4's `receiveSignal`: take the pending badges, or wait (Wait), or return 0 (Poll).
pub fn receive_signal(s: &mut State, t: PAddr, n: PAddr, blocking: bool) {
    match ntfn(s, n).state {
        NtfnState::Active(b) => {
            s.tcb_mut(t).regs[BADGE_REGISTER] = b;
            set_state(s, n, NtfnState::Idle);
        }
        st => {
            if blocking {
                set_thread_state(s, t, ThreadState::BlockedOnNotification { ntfn: n });
                let mut q = match st {
                    NtfnState::Waiting(q) => q,
                    _ => VecDeque::new(),
                };
                q.push_back(t);
                set_state(s, n, NtfnState::Waiting(q));
            } else {
                s.tcb_mut(t).regs[BADGE_REGISTER] = 0;
            }
        }
    }
}

/// seL4's `completeSignal`: a bound thread receiving on an endpoint takes the pending badges.
pub fn complete_signal(s: &mut State, n: PAddr, t: PAddr) {
    if let NtfnState::Active(b) = ntfn(s, n).state {
        s.tcb_mut(t).regs[BADGE_REGISTER] = b;
        set_state(s, n, NtfnState::Idle);
    }
}

/// seL4's `cancelSignal`: take a waiting thread off the queue.
pub fn cancel_signal(s: &mut State, t: PAddr, n: PAddr) {
    if let NtfnState::Waiting(mut q) = ntfn(s, n).state {
        let st = if remove_from(&mut q, t) {
            NtfnState::Idle
        } else {
            NtfnState::Waiting(q)
        };
        set_state(s, n, st);
    }
    set_thread_state(s, t, ThreadState::Inactive);
}

/// seL4's `cancelAllSignals`: the notification is being deleted; its waiters restart.
pub fn cancel_all_signals(s: &mut State, n: PAddr) {
    if let NtfnState::Waiting(q) = ntfn(s, n).state {
        set_state(s, n, NtfnState::Idle);
        for t in q {
            set_thread_state(s, t, ThreadState::Restart);
            sched_enqueue(s, t);
        }
        reschedule_required(s);
    }
}

/// seL4's `bindNotification`.
pub fn bind_notification(s: &mut State, t: PAddr, n: PAddr) {
    if let Some(Object::Notification(x)) = s.objects.get_mut(&n) {
        x.bound_tcb = Some(t);
    }
    s.tcb_mut(t).bound_notification = Some(n);
}

/// seL4's `unbindNotification`: undo a thread's binding, if any.
pub fn unbind_notification(s: &mut State, t: PAddr) {
    if let Some(n) = s.tcb(t).bound_notification {
        if let Some(Object::Notification(x)) = s.objects.get_mut(&n) {
            x.bound_tcb = None;
        }
        s.tcb_mut(t).bound_notification = None;
    }
}

/// seL4's `unbindMaybeNotification`: undo a notification's binding, if any.
pub fn unbind_maybe_notification(s: &mut State, n: PAddr) {
    if let Some(t) = ntfn(s, n).bound_tcb {
        unbind_notification(s, t);
    }
}
