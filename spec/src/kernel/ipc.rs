//! Message transfer between threads: message registers, extra caps, badges, fault messages,
//! the reply side of a call (the caller's reply cap, the reply transfer), and the replies the
//! kernel itself writes (success, with or without data, and invocation errors).

use sel4_abi::ipc_buffer::offset;

use sel4_abi::{FAST_MESSAGE_REGISTERS, MSG_MAX_EXTRA_CAPS, MessageInfo, WORD_BITS};

use crate::machine::{BADGE_REGISTER, MSG_INFO_REGISTER};
use crate::model::error::SyscallError;
use crate::model::{Cap, LookupFailure, PAddr, SlotRef, State, ThreadState};

use super::cspace::{lookup_cap_and_slot, lookup_slot, resolve_address_bits, slot_at};
use super::cte::{cte_delete_one, derive_cap};
use super::fault::{fault_message, handle_fault_reply};
use super::thread::{
    TCB_CALLER, TCB_REPLY, get_mr, lookup_ipc_buffer, possible_switch_to, set_mr, set_thread_state,
};

/// Byte offset of `caps_or_badges[i]` in the IPC buffer.
fn caps_or_badges(i: usize) -> u64 {
    offset::caps_or_badges(i)
}

/// The message-info word a thread left in x1, with the length cut to 120.
pub fn message_info(s: &State, t: PAddr) -> MessageInfo {
    MessageInfo::from_word_clamped(s.tcb(t).regs[MSG_INFO_REGISTER])
}

/// seL4's `lookupExtraCaps`: the slots of the caps a message carries, named by cptrs in
/// the sender's IPC buffer. Without a buffer a message carries no caps.
pub fn lookup_extra_caps(
    s: &State,
    t: PAddr,
    buf: Option<PAddr>,
    info: MessageInfo,
) -> Result<Vec<SlotRef>, (u64, LookupFailure)> {
    let Some(b) = buf else { return Ok(vec![]) };
    let mut out = Vec::new();
    for i in 0..info.extra_caps as usize {
        let cptr = s.read_word(b + caps_or_badges(i));
        out.push(lookup_slot(s, t, cptr).map_err(|f| (cptr, f))?);
    }
    Ok(out)
}

/// seL4's `copyMRs`: copy `n` message words; past the four registers both threads need a
/// buffer, otherwise the message is cut to four words.
pub fn copy_mrs(
    s: &mut State,
    sender: PAddr,
    sbuf: Option<PAddr>,
    receiver: PAddr,
    rbuf: Option<PAddr>,
    n: usize,
) -> usize {
    let mut i = 0;
    while i < n.min(FAST_MESSAGE_REGISTERS) {
        let v = get_mr(s, sender, sbuf, i);
        set_mr(s, receiver, rbuf, i, v);
        i += 1;
    }
    if let (Some(_), Some(_)) = (sbuf, rbuf) {
        while i < n {
            let v = get_mr(s, sender, sbuf, i);
            set_mr(s, receiver, rbuf, i, v);
            i += 1;
        }
    }
    i
}

/// seL4's `doIPCTransfer`: a normal message, or the sender's fault message.
pub fn do_ipc_transfer(
    s: &mut State,
    sender: PAddr,
    ep: Option<PAddr>,
    badge: u64,
    grant: bool,
    receiver: PAddr,
) {
    let rbuf = lookup_ipc_buffer(s, receiver, true);
    match s.tcb(sender).fault {
        None => {
            let sbuf = lookup_ipc_buffer(s, sender, false);
            do_normal_transfer(s, sender, sbuf, ep, badge, grant, receiver, rbuf);
        }
        Some(f) => {
            let words = fault_message(s, sender, &f);
            let mut len = 0;
            for (i, w) in words.into_iter().enumerate() {
                len = set_mr(s, receiver, rbuf, i, w);
            }
            let info = MessageInfo::new(fault_label(&f), 0, 0, len as u64);
            let tcb = s.tcb_mut(receiver);
            tcb.regs[MSG_INFO_REGISTER] = info.to_word();
            tcb.regs[BADGE_REGISTER] = badge;
        }
    }
}

/// The label of a fault message (the fault type).
pub fn fault_label(f: &crate::model::Fault) -> u64 {
    use crate::model::Fault;
    use sel4_abi::FaultType;
    match f {
        Fault::Cap { .. } => FaultType::CapFault,
        Fault::UnknownSyscall { .. } => FaultType::UnknownSyscall,
        Fault::UserException { .. } => FaultType::UserException,
        Fault::VmFault { .. } => FaultType::VMFault,
    }
    .word()
}

#[allow(clippy::too_many_arguments)] // seL4's doNormalTransfer, argument for argument
fn do_normal_transfer(
    s: &mut State,
    sender: PAddr,
    sbuf: Option<PAddr>,
    ep: Option<PAddr>,
    badge: u64,
    grant: bool,
    receiver: PAddr,
    rbuf: Option<PAddr>,
) {
    let tag = message_info(s, sender);
    // Caps travel only through a cap with Grant; a failed lookup sends the message without.
    let caps = if grant {
        lookup_extra_caps(s, sender, sbuf, tag).unwrap_or_default()
    } else {
        vec![]
    };
    let sent = copy_mrs(s, sender, sbuf, receiver, rbuf, tag.length as usize);
    let mut tag = transfer_caps(s, tag, &caps, ep, receiver, rbuf);
    tag.length = sent as u64;
    let tcb = s.tcb_mut(receiver);
    tcb.regs[MSG_INFO_REGISTER] = tag.to_word();
    tcb.regs[BADGE_REGISTER] = badge;
}

/// seL4's `getReceiveSlots`: the empty slot the receiver named in its IPC buffer for an
/// incoming cap, if it named one that resolves.
fn receive_slot(s: &State, receiver: PAddr, rbuf: Option<PAddr>) -> Option<SlotRef> {
    let b = rbuf?;
    let root_cptr = s.read_word(b + offset::RECEIVE_CNODE);
    let index = s.read_word(b + offset::RECEIVE_INDEX);
    let depth = s.read_word(b + offset::RECEIVE_DEPTH);
    let (root, _) = lookup_cap_and_slot(s, receiver, root_cptr).ok()?;
    if !matches!(root, Cap::CNode { .. }) || !(1..=WORD_BITS).contains(&depth) {
        return None;
    }
    let r = resolve_address_bits(s, root, index, depth).ok()?;
    (r.bits_remaining == 0 && s.cap(r.slot).is_null()).then_some(r.slot)
}

/// seL4's `transferCaps`: caps to the receiving endpoint itself are unwrapped into their
/// badge; at most one other cap is derived into the receiver's receive slot.
fn transfer_caps(
    s: &mut State,
    mut info: MessageInfo,
    caps: &[SlotRef],
    ep: Option<PAddr>,
    receiver: PAddr,
    rbuf: Option<PAddr>,
) -> MessageInfo {
    info.extra_caps = 0;
    info.caps_unwrapped = 0;
    let Some(b) = rbuf else { return info };
    if caps.is_empty() {
        return info;
    }
    let mut dest = receive_slot(s, receiver, rbuf);
    let mut i = 0;
    while i < caps.len().min(MSG_MAX_EXTRA_CAPS) {
        let slot = caps[i];
        let cap = s.cap(slot);
        match cap {
            Cap::Endpoint { ptr, badge, .. } if Some(ptr) == ep => {
                s.write_word(b + caps_or_badges(i), badge);
                info.caps_unwrapped |= 1 << i;
            }
            _ => {
                let Some(d) = dest else { break };
                let Ok(derived) = derive_cap(s, slot, cap) else {
                    break;
                };
                if derived.is_null() {
                    break;
                }
                s.cte_insert(derived, slot, d);
                dest = None;
            }
        }
        i += 1;
    }
    info.extra_caps = i as u64;
    info
}

/// seL4's `setupCallerCap`: the caller waits for a reply; the receiver gets a reply cap to it
/// in its tcbCaller slot, derived from the caller's master reply cap.
pub fn setup_caller_cap(s: &mut State, sender: PAddr, receiver: PAddr, can_grant: bool) {
    set_thread_state(s, sender, ThreadState::BlockedOnReply);
    let reply_slot = slot_at(sender, TCB_REPLY);
    let caller_slot = slot_at(receiver, TCB_CALLER);
    // A leftover reply cap would be overwritten; seL4 deletes it on every receive first.
    cte_delete_one(s, caller_slot);
    s.cte_insert(
        Cap::Reply {
            tcb: sender,
            master: false,
            can_grant,
        },
        reply_slot,
        caller_slot,
    );
}

/// seL4's `doReplyTransfer`: deliver a reply (or a fault handler's reply) to a thread blocked
/// on reply, consuming the reply cap in `slot`.
pub fn do_reply_transfer(
    s: &mut State,
    sender: PAddr,
    receiver: PAddr,
    slot: SlotRef,
    grant: bool,
) {
    if s.tcb(receiver).state != ThreadState::BlockedOnReply {
        return;
    }
    match s.tcb(receiver).fault {
        None => {
            do_ipc_transfer(s, sender, None, 0, grant, receiver);
            cte_delete_one(s, slot);
            set_thread_state(s, receiver, ThreadState::Running);
            possible_switch_to(s, receiver);
        }
        Some(f) => {
            cte_delete_one(s, slot);
            let restart = handle_fault_reply(s, receiver, sender, &f);
            s.tcb_mut(receiver).fault = None;
            if restart {
                set_thread_state(s, receiver, ThreadState::Restart);
                possible_switch_to(s, receiver);
            } else {
                set_thread_state(s, receiver, ThreadState::Inactive);
            }
        }
    }
}

/// Write a reply from the kernel: badge 0, the words as message registers, and a
/// message-info word with `label` and the number of words written.
pub fn reply_from_kernel(s: &mut State, t: PAddr, label: u64, words: &[u64]) {
    let buf = lookup_ipc_buffer(s, t, true);
    s.tcb_mut(t).regs[BADGE_REGISTER] = 0;
    let mut len = 0;
    for (i, &w) in words.iter().enumerate() {
        len = set_mr(s, t, buf, i, w);
    }
    s.tcb_mut(t).regs[MSG_INFO_REGISTER] = MessageInfo::new(label, 0, 0, len as u64).to_word();
}

/// seL4's `replyFromKernel_error`: the error code as label, its payload as the message.
pub fn reply_error(s: &mut State, t: PAddr, e: &SyscallError) {
    reply_from_kernel(s, t, e.code().word(), &e.payload());
}
