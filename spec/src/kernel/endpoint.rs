//! Endpoints: synchronous IPC (send, receive and call) and cancelling it; the reply side is
//! in `ipc` (`do_reply_transfer`, `setup_caller_cap`).

use std::collections::VecDeque;

use crate::machine::BADGE_REGISTER;
use crate::model::{Cap, Endpoint, Object, PAddr, State, ThreadState};

use super::cspace::slot_at;
use super::cte::cte_delete_one;
use super::ipc::{do_ipc_transfer, setup_caller_cap};
use super::notification::{cancel_signal, complete_signal, is_active};
use super::thread::{
    TCB_REPLY, possible_switch_to, remove_from, reschedule_required, sched_enqueue,
    set_thread_state,
};

fn ep(s: &State, e: PAddr) -> Endpoint {
    match s.objects.get(&e) {
        Some(Object::Endpoint(x)) => x.clone(),
        o => panic!("no endpoint at {e:#x}: {o:?}"),
    }
}

fn set_ep(s: &mut State, e: PAddr, v: Endpoint) {
    s.objects.insert(e, Object::Endpoint(v));
}

/// seL4's `sendIPC`: deliver to the first waiting receiver, or queue the sender if it blocks.
#[allow(clippy::too_many_arguments)] // seL4's sendIPC, argument for argument
pub fn send_ipc(
    s: &mut State,
    blocking: bool,
    do_call: bool,
    badge: u64,
    can_grant: bool,
    can_grant_reply: bool,
    t: PAddr,
    e: PAddr,
) {
    match ep(s, e) {
        Endpoint::Idle | Endpoint::Send(_) => {
            // Nobody is receiving: a blocking sender waits in line, a non-blocking one gives up.
            if blocking {
                set_thread_state(
                    s,
                    t,
                    ThreadState::BlockedOnSend {
                        ep: e,
                        badge,
                        can_grant,
                        can_grant_reply,
                        is_call: do_call,
                    },
                );
                let mut q = match ep(s, e) {
                    Endpoint::Send(q) => q,
                    _ => VecDeque::new(),
                };
                q.push_back(t);
                set_ep(s, e, Endpoint::Send(q));
            }
        }
        Endpoint::Recv(mut q) => {
            let dest = q.pop_front().expect("receive queues are never empty");
            set_ep(
                s,
                e,
                if q.is_empty() {
                    Endpoint::Idle
                } else {
                    Endpoint::Recv(q)
                },
            );
            do_ipc_transfer(s, t, Some(e), badge, can_grant, dest);
            let reply_can_grant = matches!(
                s.tcb(dest).state,
                ThreadState::BlockedOnReceive {
                    can_grant: true,
                    ..
                }
            );
            set_thread_state(s, dest, ThreadState::Running);
            possible_switch_to(s, dest);
            // A caller (or a faulting thread: fault messages are calls) waits for the reply
            // only if the receiver could be given a reply cap.
            if do_call {
                if can_grant || can_grant_reply {
                    setup_caller_cap(s, t, dest, reply_can_grant);
                } else {
                    set_thread_state(s, t, ThreadState::Inactive);
                }
            }
        }
    }
}

/// seL4's `receiveIPC`: take a pending signal from a bound notification, or the first
/// sender's message, or wait.
pub fn receive_ipc(s: &mut State, t: PAddr, cap: Cap, blocking: bool) {
    let Cap::Endpoint { ptr: e, rights, .. } = cap else {
        return;
    };
    // A signal already pending on the bound notification is delivered instead of waiting.
    if let Some(n) = s.tcb(t).bound_notification
        && is_active(s, n)
    {
        complete_signal(s, n, t);
        return;
    }
    match ep(s, e) {
        Endpoint::Idle | Endpoint::Recv(_) => {
            if blocking {
                set_thread_state(
                    s,
                    t,
                    ThreadState::BlockedOnReceive {
                        ep: e,
                        can_grant: rights.contains(sel4_abi::CapRights::GRANT),
                    },
                );
                let mut q = match ep(s, e) {
                    Endpoint::Recv(q) => q,
                    _ => VecDeque::new(),
                };
                q.push_back(t);
                set_ep(s, e, Endpoint::Recv(q));
            } else {
                s.tcb_mut(t).regs[BADGE_REGISTER] = 0;
            }
        }
        Endpoint::Send(mut q) => {
            let sender = q.pop_front().expect("send queues are never empty");
            set_ep(
                s,
                e,
                if q.is_empty() {
                    Endpoint::Idle
                } else {
                    Endpoint::Send(q)
                },
            );
            let ThreadState::BlockedOnSend {
                badge,
                can_grant,
                can_grant_reply,
                is_call,
                ..
            } = s.tcb(sender).state
            else {
                panic!("sender {sender:#x} not blocked on send");
            };
            do_ipc_transfer(s, sender, Some(e), badge, can_grant, t);
            if is_call {
                if can_grant || can_grant_reply {
                    setup_caller_cap(s, sender, t, rights.contains(sel4_abi::CapRights::GRANT));
                } else {
                    set_thread_state(s, sender, ThreadState::Inactive);
                }
            } else {
                set_thread_state(s, sender, ThreadState::Running);
                possible_switch_to(s, sender);
            }
        }
    }
}

/// seL4's `cancelIPC`: take a thread out of whatever IPC it is blocked in.
pub fn cancel_ipc(s: &mut State, t: PAddr) {
    match s.tcb(t).state {
        ThreadState::BlockedOnSend { ep: e, .. } | ThreadState::BlockedOnReceive { ep: e, .. } => {
            let v = match ep(s, e) {
                Endpoint::Send(mut q) => {
                    if remove_from(&mut q, t) {
                        Endpoint::Idle
                    } else {
                        Endpoint::Send(q)
                    }
                }
                Endpoint::Recv(mut q) => {
                    if remove_from(&mut q, t) {
                        Endpoint::Idle
                    } else {
                        Endpoint::Recv(q)
                    }
                }
                Endpoint::Idle => Endpoint::Idle,
            };
            set_ep(s, e, v);
            set_thread_state(s, t, ThreadState::Inactive);
        }
        ThreadState::BlockedOnNotification { ntfn } => {
            cancel_signal(s, t, ntfn);
        }
        ThreadState::BlockedOnReply => {
            // The reply cap the server holds is the master's next in the derivation list.
            s.tcb_mut(t).fault = None;
            let master = slot_at(t, TCB_REPLY);
            if let Some(caller) = s.cte(master).next
                && matches!(s.cap(caller), Cap::Reply { master: false, .. })
            {
                cte_delete_one(s, caller);
            }
        }
        _ => {}
    }
}

/// Threads leaving a destroyed or purged queue restart their syscall (and so see that the
/// endpoint is gone). A thread that was delivering a fault restarts too, and so faults
/// again: only MCS seL4 stops such a thread instead.
fn restart_dequeued(s: &mut State, t: PAddr) {
    set_thread_state(s, t, ThreadState::Restart);
    sched_enqueue(s, t);
}

/// seL4's `cancelAllIPC`: empty an endpoint's queue (it is being deleted).
pub fn cancel_all_ipc(s: &mut State, e: PAddr) {
    let q = match ep(s, e) {
        Endpoint::Idle => return,
        Endpoint::Send(q) | Endpoint::Recv(q) => q,
    };
    set_ep(s, e, Endpoint::Idle);
    for t in q {
        restart_dequeued(s, t);
    }
    reschedule_required(s);
}

/// seL4's `cancelBadgedSends`: dequeue the senders that use `badge` (their badged cap is
/// being revoked), keeping the rest in order.
pub fn cancel_badged_sends(s: &mut State, e: PAddr, badge: u64) {
    let Endpoint::Send(q) = ep(s, e) else { return };
    let mut keep = VecDeque::new();
    for t in q {
        match s.tcb(t).state {
            ThreadState::BlockedOnSend { badge: b, .. } if b == badge => restart_dequeued(s, t),
            _ => keep.push_back(t),
        }
    }
    set_ep(
        s,
        e,
        if keep.is_empty() {
            Endpoint::Idle
        } else {
            Endpoint::Send(keep)
        },
    );
    reschedule_required(s);
}
