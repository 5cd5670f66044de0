//! The IPC fastpath, as seL4's fastpath.c: Call and ReplyRecv in their common case (a short
//! message, no caps, a partner waiting who may run at once) done in one straight pass with a
//! direct switch to the partner. Anything else takes the general path, which gives the same
//! result: the fastpath is an optimisation, checked against the spec and against the general
//! path by the refinement tests, never a behaviour of its own.
//!
//! The conditions (each failure goes to the general path, having changed nothing):
//!
//! | | Call | ReplyRecv |
//! | --- | --- | --- |
//! | message | length ≤ 4, no extra caps | the same |
//! | the caller | no fault pending | no fault pending; its bound notification (if any) not active |
//! | the cap | an endpoint with Send, and Grant or GrantReply | an endpoint with Receive |
//! | the endpoint | receivers waiting | no senders waiting |
//! | the partner | the first receiver; its caller slot empty | the thread the Caller slot's reply cap names, blocked on reply, no fault pending |
//! | its VSpace | a VSpace cap with an ASID | the same |
//! | priority | not lower than ours, or the highest ready | the highest ready |
//! | scheduler | nothing decided yet this entry | the same |

use crate::kernel::cspace;
use crate::kernel::cte::delete_reply_cap;
use crate::kernel::endpoint::{flags, state, wait_to_receive};
use crate::kernel::notification;
use crate::kernel::thread::{is_highest_prio, prio};
use crate::machine::Machine;
use crate::model::queue::Queue;
use crate::model::tcb::{field, slot as tcb_slot};
use crate::model::{KernelState, RawCap, SchedulerAction, Tcb, ThreadState};
use crate::mutant::{self, Mutant};
use sel4_abi::CapRights;
use sel4_abi::registers::{BADGE_REGISTER, CAP_REGISTER, MSG_INFO_REGISTER, MSG_REGISTERS};

/// The message-info bits the fastpath needs clear above the length: a length of at most 4
/// and no extra caps reads as a value of at most 4 in the low 9 bits (length 7, caps 2).
const LENGTH_AND_CAPS: u64 = (1 << 9) - 1;
/// The capsUnwrapped bits of a message info word (the receiver gets them cleared).
const CAPS_UNWRAPPED: u64 = 0b111 << 9;

/// The longest message the fastpath carries: the message registers.
fn max_length() -> u64 {
    if mutant::on(Mutant::FastpathLongMessage) {
        MSG_REGISTERS.len() as u64 + 1
    } else {
        MSG_REGISTERS.len() as u64
    }
}

/// The message info `t` passed, if the fastpath can carry it.
#[inline(always)]
fn short_message(m: &impl Machine, t: Tcb) -> Option<u64> {
    let info = t.reg(m, MSG_INFO_REGISTER);
    (info & LENGTH_AND_CAPS <= max_length()).then_some(info)
}

/// seL4's isHighestPrio (with the fastpath's planted bug that inverts it).
#[inline(always)]
fn is_highest(ks: &KernelState, prio: usize) -> bool {
    is_highest_prio(ks, prio) != mutant::on(Mutant::FastpathPriorityInverted)
}

/// The thread's VSpace is one it can run in: a VSpace cap with an ASID assigned (seL4's
/// isValidVTableRoot; whether the ASID still names it, the return to user level checks, as
/// for every thread).
#[inline(always)]
fn has_vspace(m: &impl Machine, t: Tcb) -> bool {
    matches!(t.slot(tcb_slot::VTABLE).raw(m).vspace(), Some((_, Some(_))))
}

/// Copies the message registers of a short message and hands over its info and badge.
#[inline(always)]
fn transfer(m: &mut impl Machine, from: Tcb, to: Tcb, info: u64, badge: u64) {
    let length = (info & LENGTH_AND_CAPS) as usize;
    for (i, &r) in MSG_REGISTERS.iter().enumerate() {
        if i < length {
            let v = from.reg(m, r);
            to.set_reg(m, r, v);
        }
    }
    to.set_reg(m, MSG_INFO_REGISTER, info & !CAPS_UNWRAPPED);
    to.set_reg(m, BADGE_REGISTER, badge);
}

/// The conditions Call and ReplyRecv share: the fastpath is on and nothing is decided yet,
/// the message is short, the caller has no fault pending, and its cap pointer names an
/// endpoint cap. Its message info and the cap's (endpoint, badge, rights).
#[inline(always)]
fn common_checks(
    ks: &KernelState,
    m: &impl Machine,
    t: Tcb,
) -> Option<(u64, (u64, u64, CapRights))> {
    if !ks.fastpath || ks.action != SchedulerAction::ResumeCurrent {
        return None;
    }
    let info = short_message(m, t)?;
    if t.get(m, field::FAULT) != 0 {
        return None;
    }
    let slot = cspace::lookup_slot(m, t, t.reg(m, CAP_REGISTER)).ok()?;
    Some((info, slot.raw(m).endpoint()?))
}

/// Tries the fastpath for the Call `t` made; false (with nothing changed) when the general
/// path must do it.
#[inline(never)]
pub fn call(ks: &mut KernelState, m: &mut impl Machine, t: Tcb) -> bool {
    let Some((info, (ep, badge, rights))) = common_checks(ks, m, t) else {
        return false;
    };
    if !rights.contains(CapRights::WRITE)
        || !rights.intersects(CapRights::GRANT | CapRights::GRANT_REPLY)
    {
        return false;
    }
    let q = Queue(ep);
    if q.state(m) != state::RECV {
        return false;
    }
    let Some(dest) = q.head(m) else {
        return false;
    };
    if !has_vspace(m, dest) || !dest.slot(tcb_slot::CALLER).raw(m).is_zero() {
        return false;
    }
    let dest_prio = prio(m, dest);
    if dest_prio < prio(m, t) && !is_highest(ks, dest_prio) {
        return false;
    }

    // Committed: the general path's send_ipc, setupCallerCap and schedule, in one pass.
    q.remove_head(m, dest);
    if q.head(m).is_none() && !mutant::on(Mutant::FastpathEndpointNotIdled) {
        q.set_state(m, state::IDLE);
    }
    let badge = if mutant::on(Mutant::FastpathBadgeNotDelivered) {
        0
    } else {
        badge
    };
    transfer(m, t, dest, info, badge);
    t.set_state(m, ThreadState::BlockedOnReply);
    let can_grant = dest.get(m, field::BLOCKING_FLAGS) & flags::CAN_GRANT != 0;
    if !mutant::on(Mutant::FastpathNoReplyCap) {
        // seL4's setupCallerCap: a reply cap (never revocable) derived from the caller's
        // master reply cap.
        dest.slot(tcb_slot::CALLER).insert_child(
            m,
            RawCap::reply_cap(t.0, false, can_grant),
            t.slot(tcb_slot::REPLY),
            false,
        );
    }
    dest.set_state(m, ThreadState::Running);
    ks.current = Some(dest);
    taken(ks);
    true
}

/// Tries the fastpath for the ReplyRecv `t` made; false (with nothing changed) when the
/// general path must do it.
#[inline(never)]
pub fn reply_recv(ks: &mut KernelState, m: &mut impl Machine, t: Tcb) -> bool {
    let Some((info, (ep, _, rights))) = common_checks(ks, m, t) else {
        return false;
    };
    if !rights.contains(CapRights::READ) {
        return false;
    }
    let bound = t.get(m, field::BOUND_NOTIFICATION);
    if bound != 0 && notification::is_active(m, bound) {
        return false;
    }
    let q = Queue(ep);
    if q.state(m) == state::SEND {
        return false;
    }
    let caller_slot = t.slot(tcb_slot::CALLER);
    let Some((caller, false, _)) = caller_slot.raw(m).reply() else {
        return false;
    };
    let caller = Tcb(caller);
    if caller.state(m) != ThreadState::BlockedOnReply
        || caller.get(m, field::FAULT) != 0
        || !has_vspace(m, caller)
        || !is_highest(ks, prio(m, caller))
    {
        return false;
    }

    // Committed: the general path's reply (doReplyTransfer), receive (receiveIPC blocking
    // on the endpoint) and schedule, in one pass.
    transfer(m, t, caller, info, 0);
    if !mutant::on(Mutant::FastpathReplyCapLeft) {
        delete_reply_cap(m, caller_slot);
    }
    caller.set_state(m, ThreadState::Running);
    // The thread state directly: the scheduler's action stays (the switch is direct).
    t.set_state(m, ThreadState::BlockedOnReceive);
    wait_to_receive(m, t, ep, rights);
    ks.current = Some(caller);
    taken(ks);
    true
}

#[inline(always)]
fn taken(_ks: &mut KernelState) {
    #[cfg(any(feature = "sim", feature = "trace", test))]
    {
        _ks.fastpath_taken += 1;
    }
}
