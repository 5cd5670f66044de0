//! Endpoints, as seL4's endpoint.c: synchronous send and receive, with a queue of waiting
//! senders or receivers, and cancellation when threads or endpoints go away.

use super::cte::cte_delete_one;
use super::thread::{possible_switch_to, reschedule_required, sched_enqueue, set_thread_state};
use super::{ipc, notification};
use crate::machine::Machine;
use crate::model::fault;
use crate::model::queue::Queue;
use crate::model::tcb::{field, slot as tcb_slot};
use crate::model::{Cap, KernelState, Tcb, ThreadState};
use sel4_abi::CapRights;
use sel4_abi::registers::BADGE_REGISTER;

/// Endpoint states (seL4's EPState).
pub mod state {
    /// No thread waits.
    pub const IDLE: u64 = 0;
    /// Senders wait.
    pub const SEND: u64 = 1;
    /// Receivers wait.
    pub const RECV: u64 = 2;
}

/// Flags a blocked thread keeps about its IPC (in its BLOCKING_FLAGS field).
pub mod flags {
    /// The cap it used had Grant.
    pub const CAN_GRANT: u64 = 1;
    /// The cap it used had GrantReply.
    pub const CAN_GRANT_REPLY: u64 = 2;
    /// It is a Call.
    pub const IS_CALL: u64 = 4;
}

/// seL4's sendIPC: `t` sends on `ep`; it blocks if no receiver waits and `blocking`.
#[allow(clippy::too_many_arguments)] // seL4's signature: each flag is a separate right
pub fn send_ipc(
    ks: &mut KernelState,
    m: &mut impl Machine,
    blocking: bool,
    call: bool,
    badge: u64,
    can_grant: bool,
    can_grant_reply: bool,
    t: Tcb,
    ep: u64,
) {
    let q = Queue(ep);
    match q.state(m) {
        state::IDLE | state::SEND => {
            if blocking {
                set_thread_state(ks, m, t, ThreadState::BlockedOnSend);
                t.set(m, field::BLOCKING_OBJECT, ep);
                t.set(m, field::BLOCKING_BADGE, badge);
                let f = if can_grant { flags::CAN_GRANT } else { 0 }
                    | if can_grant_reply {
                        flags::CAN_GRANT_REPLY
                    } else {
                        0
                    }
                    | if call { flags::IS_CALL } else { 0 };
                t.set(m, field::BLOCKING_FLAGS, f);
                q.append(m, t);
                q.set_state(m, state::SEND);
            }
        }
        _ => {
            let dest = q.head(m).expect("a receiving endpoint has a receiver");
            q.remove(m, dest);
            if q.head(m).is_none() {
                q.set_state(m, state::IDLE);
            }
            ipc::do_ipc_transfer(ks, m, t, Some(ep), badge, can_grant, dest);
            let reply_can_grant = dest.get(m, field::BLOCKING_FLAGS) & flags::CAN_GRANT != 0;
            set_thread_state(ks, m, dest, ThreadState::Running);
            possible_switch_to(ks, m, dest);
            if call {
                if can_grant || can_grant_reply {
                    ipc::setup_caller_cap(ks, m, t, dest, reply_can_grant);
                } else {
                    set_thread_state(ks, m, t, ThreadState::Inactive);
                }
            }
        }
    }
}

/// seL4's receiveIPC: `t` receives on the endpoint `ep` through a cap with `rights`; a signal pending on its
/// bound notification is taken first.
pub fn receive_ipc(
    ks: &mut KernelState,
    m: &mut impl Machine,
    t: Tcb,
    ep: u64,
    rights: CapRights,
    blocking: bool,
) {
    ipc::delete_caller_cap(ks, m, t);
    let bound = t.get(m, field::BOUND_NOTIFICATION);
    if bound != 0 && notification::is_active(m, bound) {
        notification::complete_signal(m, bound, t);
        return;
    }
    let q = Queue(ep);
    match q.state(m) {
        state::IDLE | state::RECV => {
            if blocking {
                set_thread_state(ks, m, t, ThreadState::BlockedOnReceive);
                wait_to_receive(m, t, ep, rights);
            } else {
                // seL4's doNBRecvFailedTransfer: nothing was received, badge 0.
                t.set_reg(m, BADGE_REGISTER, 0);
            }
        }
        _ => {
            let sender = q.head(m).expect("a sending endpoint has a sender");
            q.remove(m, sender);
            if q.head(m).is_none() {
                q.set_state(m, state::IDLE);
            }
            let badge = sender.get(m, field::BLOCKING_BADGE);
            let f = sender.get(m, field::BLOCKING_FLAGS);
            let (can_grant, can_grant_reply) =
                (f & flags::CAN_GRANT != 0, f & flags::CAN_GRANT_REPLY != 0);
            ipc::do_ipc_transfer(ks, m, sender, Some(ep), badge, can_grant, t);
            if f & flags::IS_CALL != 0 {
                if can_grant || can_grant_reply {
                    ipc::setup_caller_cap(ks, m, sender, t, rights.contains(CapRights::GRANT));
                } else {
                    set_thread_state(ks, m, sender, ThreadState::Inactive);
                }
            } else {
                set_thread_state(ks, m, sender, ThreadState::Running);
                possible_switch_to(ks, m, sender);
            }
        }
    }
}

/// The blocking half of seL4's receiveIPC, after the thread state is set: `t` waits at the
/// tail of `ep`'s queue, remembering whether its cap had Grant.
#[inline(always)]
pub fn wait_to_receive(m: &mut impl Machine, t: Tcb, ep: u64, rights: CapRights) {
    t.set(m, field::BLOCKING_OBJECT, ep);
    let grant = if rights.contains(CapRights::GRANT) {
        flags::CAN_GRANT
    } else {
        0
    };
    t.set(m, field::BLOCKING_FLAGS, grant);
    let q = Queue(ep);
    q.append(m, t);
    q.set_state(m, state::RECV);
}

/// seL4's cancelIPC: whatever IPC `t` is blocked in stops.
pub fn cancel_ipc(ks: &mut KernelState, m: &mut impl Machine, t: Tcb) {
    match t.state(m) {
        ThreadState::BlockedOnSend | ThreadState::BlockedOnReceive => {
            let ep = t.get(m, field::BLOCKING_OBJECT);
            cancel_blocked(ks, m, t, ep);
        }
        ThreadState::BlockedOnNotification => {
            let ntfn = t.get(m, field::BLOCKING_OBJECT);
            notification::cancel_signal(ks, m, t, ntfn);
        }
        ThreadState::BlockedOnReply => {
            fault::clear(m, t);
            // The reply cap someone holds to this thread is its master's child.
            if let Some(child) = t.slot(tcb_slot::REPLY).next(m)
                && matches!(child.cap(m), Cap::Reply { master: false, tcb, .. } if tcb == t.0)
            {
                cte_delete_one(ks, m, child);
            }
        }
        _ => {}
    }
}

/// Removes a thread blocked on `ep` from its queue (part of seL4's cancelIPC).
fn cancel_blocked(ks: &mut KernelState, m: &mut impl Machine, t: Tcb, ep: u64) {
    let q = Queue(ep);
    q.remove(m, t);
    if q.head(m).is_none() {
        q.set_state(m, state::IDLE);
    }
    set_thread_state(ks, m, t, ThreadState::Inactive);
}

/// seL4's cancelAllIPC: the endpoint is going away; every waiting thread restarts its
/// syscall (and will find the cap gone).
pub fn cancel_all_ipc(ks: &mut KernelState, m: &mut impl Machine, ep: u64) {
    let q = Queue(ep);
    if q.state(m) == state::IDLE {
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

/// seL4's cancelBadgedSends: senders waiting with `badge` restart; others keep waiting.
pub fn cancel_badged_sends(ks: &mut KernelState, m: &mut impl Machine, ep: u64, badge: u64) {
    let q = Queue(ep);
    if q.state(m) != state::SEND {
        return;
    }
    let mut next = q.head(m);
    while let Some(t) = next {
        next = Queue::next(m, t);
        if t.get(m, field::BLOCKING_BADGE) == badge {
            q.remove(m, t);
            set_thread_state(ks, m, t, ThreadState::Restart);
            sched_enqueue(ks, m, t);
        }
    }
    if q.head(m).is_none() {
        q.set_state(m, state::IDLE);
    }
    reschedule_required(ks, m);
}
