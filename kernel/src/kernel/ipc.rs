//! Moving messages between threads, as seL4's doIPCTransfer and friends (kernel/thread.c,
//! object/endpoint.c): message registers, the IPC buffer, capability transfer, reply caps,
//! fault messages and fault replies, and cancelling a thread's IPC.

use crate::api::fault::{self, Fault};
use crate::kernel::cspace;
use crate::kernel::thread::{possible_switch_to, set_thread_state};
use crate::machine::{Machine, Memory};
use crate::model::KernelState;
use crate::mutant::{self, Mutant};
use crate::object::cte;
use crate::object::objecttype::derive_cap;
use crate::object::tcb::{ThreadState, field, slot as tcb_slot};
use crate::object::{Cap, Slot, Tcb, VmRights, endpoint, notification};
use sel4_abi::{MSG_MAX_EXTRA_CAPS, MessageInfo};

/// Message registers 0..3 travel in x2..x5 (seL4's msgRegisters).
pub const MSG_REGISTERS: [usize; 4] = [2, 3, 4, 5];
/// x0 carries the badge (seL4's badgeRegister) and x1 the message info.
pub const BADGE_REGISTER: usize = 0;
/// x1: the message info (seL4's msgInfoRegister).
pub const INFO_REGISTER: usize = 1;

/// Offsets in the IPC buffer (see sel4_abi::IpcBuffer).
pub mod buf {
    /// Message word i (the tag is word 0) is at `8 * (i + 1)`.
    pub const fn msg(i: usize) -> u64 {
        8 * (i as u64 + 1)
    }
    /// caps_or_badges[i].
    pub const fn cap(i: usize) -> u64 {
        976 + 8 * i as u64
    }
    /// receiveCNode.
    pub const RECEIVE_CNODE: u64 = 1000;
    /// receiveIndex.
    pub const RECEIVE_INDEX: u64 = 1008;
    /// receiveDepth.
    pub const RECEIVE_DEPTH: u64 = 1016;
}

/// seL4's lookupIPCBuffer: the physical address of `t`'s IPC buffer, if its buffer frame
/// cap allows the access (a receiver needs ReadWrite, a sender ReadOnly or better) and is
/// not device memory.
pub fn ipc_buffer(m: &impl Memory, t: Tcb, receiver: bool) -> Option<u64> {
    let Cap::Frame {
        base,
        size,
        rights,
        is_device: false,
        ..
    } = t.cap(m, tcb_slot::BUFFER)
    else {
        return None;
    };
    let allowed = rights == VmRights::ReadWrite || (!receiver && rights == VmRights::ReadOnly);
    allowed.then(|| base + (t.ipc_buffer(m) & ((1 << size.bits()) - 1)))
}

/// seL4's getSyscallArg: message word `i` of the current thread's message.
pub fn msg_word(m: &impl Memory, t: Tcb, buffer: Option<u64>, i: usize) -> u64 {
    match (MSG_REGISTERS.get(i), buffer) {
        (Some(&r), _) => t.reg(m, r),
        (None, Some(b)) => m.read_word(b + buf::msg(i)),
        (None, None) => 0,
    }
}

/// seL4's setMR: writes message word `i` of `t`'s message; returns the count written so
/// far (words past the registers are lost without a buffer).
pub fn set_msg_word(m: &mut impl Machine, t: Tcb, buffer: Option<u64>, i: usize, v: u64) -> usize {
    match (MSG_REGISTERS.get(i), buffer) {
        (Some(&r), _) => {
            t.set_reg(m, r, v);
            i + 1
        }
        (None, Some(b)) => {
            m.write_word(b + buf::msg(i), v);
            i + 1
        }
        (None, None) => MSG_REGISTERS.len(),
    }
}

/// The message info a thread passes in x1, with seL4's clamping of the length.
pub fn message_info(m: &impl Memory, t: Tcb) -> MessageInfo {
    MessageInfo::from_word_clamped(t.reg(m, INFO_REGISTER))
}

/// seL4's lookupExtraCaps: the slots of the caps a message carries; a cptr that does not
/// resolve is a cap fault on it.
pub fn lookup_extra_caps(
    m: &impl Memory,
    t: Tcb,
    buffer: Option<u64>,
    info: MessageInfo,
) -> Result<[Option<Slot>; MSG_MAX_EXTRA_CAPS], Fault> {
    let mut slots = [None; MSG_MAX_EXTRA_CAPS];
    let Some(b) = buffer else { return Ok(slots) };
    for (i, s) in slots.iter_mut().enumerate().take(info.extra_caps as usize) {
        let cptr = m.read_word(b + buf::cap(i));
        let slot = cspace::lookup_slot(m, t, cptr).map_err(|lookup| Fault::CapFault {
            addr: cptr,
            in_recv: false,
            lookup,
        })?;
        *s = Some(slot);
    }
    Ok(slots)
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
    for i in regs..n {
        let v = m.read_word(fb + buf::msg(i));
        m.write_word(tb + buf::msg(i), v);
    }
    n
}

/// seL4's getReceiveSlots: the empty slot the receiver named for an incoming cap.
fn receive_slot(m: &impl Memory, receiver: Tcb, rbuf: u64) -> Option<Slot> {
    let cnode = cspace::lookup_cap(m, receiver, m.read_word(rbuf + buf::RECEIVE_CNODE)).ok()?;
    let index = m.read_word(rbuf + buf::RECEIVE_INDEX);
    let depth = m.read_word(rbuf + buf::RECEIVE_DEPTH);
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
                m.write_word(rb + buf::cap(i), badge);
                info.caps_unwrapped |= 1 << i;
            }
            _ => {
                let Some(d) = dest else { break };
                let derived = match derive_cap(m, slot, cap) {
                    Ok(c) if !c.is_null() => c,
                    _ => break,
                };
                cte::insert(m, derived, slot, d);
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
    let rbuf = ipc_buffer(m, receiver, true);
    match fault::load(m, sender) {
        None => {
            let sbuf = ipc_buffer(m, sender, false);
            let tag = message_info(m, sender);
            let caps = if can_grant || mutant::on(Mutant::CapTransferWithoutGrant) {
                lookup_extra_caps(m, sender, sbuf, tag).unwrap_or([None; MSG_MAX_EXTRA_CAPS])
            } else {
                [None; MSG_MAX_EXTRA_CAPS]
            };
            let sent = copy_mrs(m, sender, sbuf, receiver, rbuf, tag.length as usize);
            let mut info = transfer_caps(m, tag, &caps, ep, receiver, rbuf);
            info.length = sent as u64;
            receiver.set_reg(m, INFO_REGISTER, info.to_word());
            let badge = if mutant::on(Mutant::BadgeNotDelivered) {
                0
            } else {
                badge
            };
            receiver.set_reg(m, BADGE_REGISTER, badge);
        }
        Some(f) => {
            let sent = fault::write_message(m, sender, f, receiver, rbuf);
            let info = MessageInfo::new(f.fault_type() as u64, 0, 0, sent as u64);
            receiver.set_reg(m, INFO_REGISTER, info.to_word());
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
    cte::insert(
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
    cte::delete_one(ks, m, t.slot(tcb_slot::CALLER));
}

/// seL4's doReplyTransfer: the reply reaches a thread blocked on reply: a message, or, for
/// a thread that faulted, the registers to restart it with.
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
    match fault::load(m, receiver) {
        None => {
            do_ipc_transfer(ks, m, sender, None, 0, grant, receiver);
            cte::delete_one(ks, m, slot);
            set_thread_state(ks, m, receiver, ThreadState::Running);
            possible_switch_to(ks, m, receiver);
        }
        Some(f) => {
            cte::delete_one(ks, m, slot);
            let restart = fault::handle_reply(m, receiver, f, sender);
            fault::clear(m, receiver);
            if restart {
                set_thread_state(ks, m, receiver, ThreadState::Restart);
                possible_switch_to(ks, m, receiver);
            } else {
                set_thread_state(ks, m, receiver, ThreadState::Inactive);
            }
        }
    }
}

/// seL4's cancelIPC: whatever IPC `t` is blocked in stops.
pub fn cancel_ipc(ks: &mut KernelState, m: &mut impl Machine, t: Tcb) {
    match t.state(m) {
        ThreadState::BlockedOnSend | ThreadState::BlockedOnReceive => {
            let ep = t.get(m, field::BLOCKING_OBJECT);
            endpoint::cancel_blocked(ks, m, t, ep);
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
                cte::delete_one(ks, m, child);
            }
        }
        _ => {}
    }
}

/// Reads register `r` of the sender's reply words `i` (message registers, then the buffer).
pub fn reply_word(m: &impl Memory, sender: Tcb, sbuf: Option<u64>, i: usize) -> Option<u64> {
    match MSG_REGISTERS.get(i) {
        Some(&r) => Some(sender.reg(m, r)),
        None => sbuf.map(|b| m.read_word(b + buf::msg(i))),
    }
}
