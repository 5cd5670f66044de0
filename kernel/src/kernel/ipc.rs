//! Moving messages between threads, as seL4's doIPCTransfer and friends (kernel/thread.c,
//! object/endpoint.c): message registers, the IPC buffer, capability transfer, reply caps,
//! fault messages and fault replies, and the kernel's own replies.

use super::cspace;
use super::cte::{cte_delete_one, cte_insert, derive_cap};
use super::fault;
use super::thread::{lookup_ipc_buffer, possible_switch_to, set_mr, set_thread_state};
use crate::machine::journal;
use crate::machine::{Machine, Memory};
use crate::model::fault as pending_fault;
use crate::model::tcb::slot as tcb_slot;
use crate::model::{Cap, KernelState, Slot, SyscallError, Tcb, ThreadState};
use crate::mutant::{self, Mutant};
use sel4_abi::ipc_buffer::offset;
use sel4_abi::registers::{BADGE_REGISTER, MSG_INFO_REGISTER, MSG_REGISTERS};
use sel4_abi::{MSG_MAX_EXTRA_CAPS, MessageInfo};

/// The message info a thread passes in x1, with seL4's clamping of the length.
pub fn message_info(m: &impl Memory, t: Tcb) -> MessageInfo {
    MessageInfo::from_word_clamped(t.reg(m, MSG_INFO_REGISTER))
}

/// seL4's lookupExtraCaps: the slots of the caps a message carries; a cptr that does not
/// resolve is a cap fault on it.
pub fn lookup_extra_caps(
    m: &mut impl Machine,
    t: Tcb,
    buffer: Option<u64>,
    info: MessageInfo,
) -> Result<[Option<Slot>; MSG_MAX_EXTRA_CAPS], crate::model::Fault> {
    let mut slots = [None; MSG_MAX_EXTRA_CAPS];
    lookup_extra_caps_into(m, t, buffer, info, &mut slots).map(|()| slots)
}

/// [`lookup_extra_caps`] into `slots` (which the caller has cleared), so that a caller
/// building a larger structure fills it in place.
#[inline]
pub fn lookup_extra_caps_into(
    m: &mut impl Machine,
    t: Tcb,
    buffer: Option<u64>,
    info: MessageInfo,
    slots: &mut [Option<Slot>; MSG_MAX_EXTRA_CAPS],
) -> Result<(), crate::model::Fault> {
    let Some(b) = buffer else { return Ok(()) };
    for (i, s) in slots.iter_mut().enumerate().take(info.extra_caps as usize) {
        let cptr = journal::read_word(m, b + offset::caps_or_badges(i));
        let slot =
            cspace::lookup_slot(m, t, cptr).map_err(|lookup| crate::model::Fault::CapFault {
                addr: cptr,
                in_recv: false,
                lookup,
            })?;
        *s = Some(slot);
    }
    Ok(())
}

/// seL4's copyMRs: copies `n` message words; returns how many arrived.
fn copy_mrs(
    m: &mut impl Machine,
    from: Tcb,
    from_buf: Option<u64>,
    to: Tcb,
    to_buf: Option<u64>,
    n: usize,
) -> usize {
    let regs = n.min(MSG_REGISTERS.len());
    for &r in &MSG_REGISTERS[..regs] {
        let v = from.reg(m, r);
        to.set_reg(m, r, v);
    }
    let (Some(fb), Some(tb)) = (from_buf, to_buf) else {
        // Without both buffers only the registers travel: the length is truncated.
        return if mutant::on(Mutant::MessageNotTruncated) {
            n
        } else {
            regs
        };
    };
    let last = if mutant::on(Mutant::LastMessageWordNotCopied) {
        n.saturating_sub(1).max(regs)
    } else {
        n
    };
    for i in regs..last {
        let v = journal::read_word(m, fb + offset::msg(i));
        journal::write_word(m, tb + offset::msg(i), v);
    }
    n
}

/// seL4's getReceiveSlots: the empty slot the receiver named for an incoming cap.
fn receive_slot(m: &mut impl Machine, receiver: Tcb, rbuf: u64) -> Option<Slot> {
    let cptr = journal::read_word(m, rbuf + offset::RECEIVE_CNODE);
    let index = journal::read_word(m, rbuf + offset::RECEIVE_INDEX);
    let depth = journal::read_word(m, rbuf + offset::RECEIVE_DEPTH);
    let cnode = cspace::lookup_cap(m, receiver, cptr).ok()?;
    let slot = cspace::lookup_slot_for_cnode_op(m, false, cnode, index, depth).ok()?;
    slot.cap(m).is_null().then_some(slot)
}

/// seL4's transferCaps: caps to the endpoint the message came through arrive as their
/// badge ("unwrapped"); the first other cap is derived into the receive slot, at most one.
fn transfer_caps(
    m: &mut impl Machine,
    info: MessageInfo,
    caps: &[Option<Slot>; MSG_MAX_EXTRA_CAPS],
    ep: Option<u64>,
    receiver: Tcb,
    rbuf: Option<u64>,
) -> MessageInfo {
    let mut info = MessageInfo {
        extra_caps: 0,
        caps_unwrapped: 0,
        ..info
    };
    let (Some(_), Some(rb)) = (caps[0], rbuf) else {
        return info;
    };
    let mut dest = receive_slot(m, receiver, rb);
    let mut i = 0;
    while i < MSG_MAX_EXTRA_CAPS {
        let Some(slot) = caps[i] else { break };
        let cap = slot.cap(m);
        match cap {
            Cap::Endpoint { ptr, badge, .. } if Some(ptr) == ep => {
                if !mutant::on(Mutant::UnwrappedBadgeNotWritten) {
                    journal::write_word(m, rb + offset::caps_or_badges(i), badge);
                }
                info.caps_unwrapped |= 1 << i;
            }
            _ => {
                let Some(d) = dest else { break };
                let derived = match derive_cap(m, slot, cap) {
                    Ok(c) if !c.is_null() => c,
                    _ => break,
                };
                cte_insert(m, derived, slot, d);
                dest = None;
            }
        }
        i += 1;
    }
    info.extra_caps = i as u64;
    info
}

/// seL4's doIPCTransfer: a normal message, or the sender's fault as a message.
pub fn do_ipc_transfer(
    _ks: &mut KernelState,
    m: &mut impl Machine,
    sender: Tcb,
    ep: Option<u64>,
    badge: u64,
    can_grant: bool,
    receiver: Tcb,
) {
    let rbuf = lookup_ipc_buffer(m, receiver, true);
    match pending_fault::load(m, sender) {
        None => {
            let sbuf = lookup_ipc_buffer(m, sender, false);
            let tag = message_info(m, sender);
            let caps = if can_grant || mutant::on(Mutant::CapTransferWithoutGrant) {
                lookup_extra_caps(m, sender, sbuf, tag).unwrap_or([None; MSG_MAX_EXTRA_CAPS])
            } else {
                [None; MSG_MAX_EXTRA_CAPS]
            };
            let sent = copy_mrs(m, sender, sbuf, receiver, rbuf, tag.length as usize);
            let mut info = transfer_caps(m, tag, &caps, ep, receiver, rbuf);
            info.length = sent as u64;
            receiver.set_reg(m, MSG_INFO_REGISTER, info.to_word());
            let badge = if mutant::on(Mutant::BadgeNotDelivered) {
                0
            } else {
                badge
            };
            receiver.set_reg(m, BADGE_REGISTER, badge);
        }
        Some(f) => {
            let sent = fault::set_mrs_fault(m, sender, f, receiver, rbuf);
            let info = MessageInfo::new(f.fault_type() as u64, 0, 0, sent as u64);
            receiver.set_reg(m, MSG_INFO_REGISTER, info.to_word());
            receiver.set_reg(m, BADGE_REGISTER, badge);
        }
    }
}

/// seL4's setupCallerCap: the caller waits for a reply; the receiver gets a reply cap to
/// it in its Caller slot, derived from the caller's master reply cap.
pub fn setup_caller_cap(
    ks: &mut KernelState,
    m: &mut impl Machine,
    sender: Tcb,
    receiver: Tcb,
    can_grant: bool,
) {
    set_thread_state(ks, m, sender, ThreadState::BlockedOnReply);
    let master = sender.slot(tcb_slot::REPLY);
    let caller = receiver.slot(tcb_slot::CALLER);
    // The caller slot is emptied on every receive, so it is free here.
    cte_insert(
        m,
        Cap::Reply {
            tcb: sender.0,
            master: false,
            can_grant,
        },
        master,
        caller,
    );
}

/// seL4's deleteCallerCap: a pending reply cap is dropped when the thread receives again.
pub fn delete_caller_cap(ks: &mut KernelState, m: &mut impl Machine, t: Tcb) {
    cte_delete_one(ks, m, t.slot(tcb_slot::CALLER));
}

/// seL4's doReplyTransfer: the reply reaches a thread blocked on reply: a message, or, for
/// a thread that faulted, the registers to restart it with.
#[inline(never)]
pub fn do_reply_transfer(
    ks: &mut KernelState,
    m: &mut impl Machine,
    sender: Tcb,
    receiver: Tcb,
    slot: Slot,
    grant: bool,
) {
    if receiver.state(m) != ThreadState::BlockedOnReply {
        return;
    }
    match pending_fault::load(m, receiver) {
        None => {
            do_ipc_transfer(ks, m, sender, None, 0, grant, receiver);
            cte_delete_one(ks, m, slot);
            set_thread_state(ks, m, receiver, ThreadState::Running);
            possible_switch_to(ks, m, receiver);
        }
        Some(f) => {
            cte_delete_one(ks, m, slot);
            let restart = fault::handle_fault_reply(m, receiver, f, sender);
            pending_fault::clear(m, receiver);
            if restart {
                set_thread_state(ks, m, receiver, ThreadState::Restart);
                possible_switch_to(ks, m, receiver);
            } else {
                set_thread_state(ks, m, receiver, ThreadState::Inactive);
            }
        }
    }
}

/// Reads register `r` of the sender's reply words `i` (message registers, then the buffer).
pub fn reply_word(m: &impl Memory, sender: Tcb, sbuf: Option<u64>, i: usize) -> Option<u64> {
    match MSG_REGISTERS.get(i) {
        Some(&r) => Some(sender.reg(m, r)),
        None => sbuf.map(|b| m.read_word(b + offset::msg(i))),
    }
}

/// seL4's replyFromKernel_success_empty: an invocation that finished without blocking its
/// caller answers a Call with an empty message, badge 0.
pub fn reply_from_kernel_success_empty(m: &mut impl Memory, t: Tcb) {
    t.set_reg(m, BADGE_REGISTER, 0);
    t.set_reg(m, MSG_INFO_REGISTER, MessageInfo::new(0, 0, 0, 0).to_word());
}

/// A successful reply carrying `words` (ReadRegisters, GetAddress, SetFlags): badge 0, the
/// words in the message registers and the IPC buffer, label 0, the length what arrived.
pub fn reply_from_kernel(m: &mut impl Machine, t: Tcb, words: impl IntoIterator<Item = u64>) {
    let rbuf = lookup_ipc_buffer(m, t, true);
    let mut sent = 0;
    for (i, w) in words.into_iter().enumerate() {
        sent = set_mr(m, t, rbuf, i, w);
    }
    t.set_reg(m, BADGE_REGISTER, 0);
    t.set_reg(
        m,
        MSG_INFO_REGISTER,
        MessageInfo::new(0, 0, 0, sent as u64).to_word(),
    );
}

/// seL4's replyFromKernel_error: the label is the error, the payload the message.
pub fn reply_error(m: &mut impl Machine, t: Tcb, e: SyscallError) {
    let rbuf = lookup_ipc_buffer(m, t, true);
    let (words, n) = e.payload();
    let mut sent = 0;
    for (i, w) in words[..n].iter().enumerate() {
        sent = set_mr(m, t, rbuf, i, *w);
    }
    t.set_reg(m, BADGE_REGISTER, 0);
    t.set_reg(
        m,
        MSG_INFO_REGISTER,
        MessageInfo::new(e.code() as u64, 0, 0, sent as u64).to_word(),
    );
}
