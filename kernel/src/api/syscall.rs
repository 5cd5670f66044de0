//! Syscall dispatch (seL4's handleSyscall) and the debug syscalls of a debug build.

use super::fault::{Fault, handle_fault};
use crate::kernel::cspace;
use crate::machine::{Machine, Memory};
use crate::model::KernelState;
use crate::object::tcb::{ThreadState, reg, slot as tcb_slot};
use crate::object::{Cap, Tcb, VmRights};
use crate::{kprint, kprintln};
use sel4_abi::{Error, MessageInfo, Syscall};

/// Handles the syscall whose number `t` left in x7.
pub fn handle_syscall<M: Machine>(ks: &mut KernelState, m: &mut M, t: Tcb) {
    let number = t.reg(m, 7);
    let Some(sys) = Syscall::from_word(number) else {
        return handle_fault(m, t, Fault::UnknownSyscall { number });
    };
    let x0 = t.reg(m, reg::X0);
    match sys {
        Syscall::DebugPutChar => m.putchar(x0 as u8),
        Syscall::DebugHalt => {
            kprintln!(
                m,
                "kernel: halt requested by a user thread, status {}",
                x0 as u32
            );
            m.halt(x0 as u32)
        }
        Syscall::DebugCapIdentify => {
            // seL4 reports the type of whatever the pointer names; a failed lookup names
            // nothing, which reads as the null cap.
            let cap = cspace::lookup_cap(m, t, x0).unwrap_or(Cap::Null);
            t.set_reg(m, reg::X0, cap.cap_type() as u64);
        }
        Syscall::DebugNameThread => debug_name_thread(m, t, x0),
        Syscall::DebugDumpScheduler => dump_scheduler(ks, m),
        Syscall::DebugSnapshot | Syscall::BenchmarkNullSyscall | Syscall::Yield => {}
        Syscall::SetTLSBase => t.set_reg(m, reg::TPIDR_EL0, x0),
        Syscall::Call
        | Syscall::ReplyRecv
        | Syscall::Send
        | Syscall::NBSend
        | Syscall::Recv
        | Syscall::Reply
        | Syscall::NBRecv => not_yet(m, t, sys),
    }
}

/// IPC and invocations come with the kernel-core work. Until then a Call is answered with
/// IllegalOperation so the caller sees an error rather than a silent success.
fn not_yet<M: Machine>(m: &mut M, t: Tcb, sys: Syscall) {
    kprintln!(m, "kernel: {sys:?} is not implemented yet");
    if matches!(sys, Syscall::Call) {
        let info = MessageInfo::new(Error::IllegalOperation as u64, 0, 0, 0);
        t.set_reg(m, 1, info.to_word());
    }
}

/// seL4's lookupIPCBuffer: the physical address of `t`'s IPC buffer, if its buffer frame
/// cap allows the access (a receiver needs ReadWrite, a sender ReadOnly or better) and is
/// not device memory.
pub fn ipc_buffer_pa(m: &impl Memory, t: Tcb, receiver: bool) -> Option<u64> {
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

/// seL4_DebugNameThread: names the thread `tcb_cptr` names after the NUL-terminated string
/// in the caller's IPC buffer (after the tag word). seL4 halts the machine when the
/// arguments are wrong; this kernel reports the error and carries on, so no argument can
/// stop the system.
fn debug_name_thread<M: Machine>(m: &mut M, t: Tcb, tcb_cptr: u64) {
    let Ok(Cap::Thread { tcb }) = cspace::lookup_cap(m, t, tcb_cptr) else {
        kprintln!(
            m,
            "kernel: DebugNameThread: cptr {tcb_cptr:#x} is not a TCB cap; ignored"
        );
        return;
    };
    let Some(buf) = ipc_buffer_pa(m, t, true) else {
        kprintln!(
            m,
            "kernel: DebugNameThread: caller has no usable IPC buffer; ignored"
        );
        return;
    };
    let max = (sel4_abi::MSG_MAX_LENGTH * 8) as u64;
    let bytes = m.bytes(buf + 8, max);
    let Some(len) = bytes.iter().position(|&b| b == 0) else {
        kprintln!(
            m,
            "kernel: DebugNameThread: name is not NUL-terminated within {max} bytes; ignored"
        );
        return;
    };
    let mut name = [0u8; 960];
    name[..len].copy_from_slice(&bytes[..len]);
    Tcb(tcb).set_name(m, &name[..len]);
}

/// seL4_DebugDumpScheduler: a table of the threads the kernel knows are runnable.
fn dump_scheduler<M: Machine>(ks: &KernelState, m: &mut M) {
    kprintln!(
        m,
        "kernel: {:<20} {:<18} {:<12} {:>4}",
        "name",
        "tcb",
        "state",
        "prio"
    );
    if let Some(t) = ks.current {
        let (state, prio) = (t.state(m), t.priority(m));
        let mut name = [0u8; 20];
        let n = t.name(m).len().min(20);
        name[..n].copy_from_slice(&t.name(m)[..n]);
        let name = core::str::from_utf8(&name[..n]).unwrap_or("?");
        kprint!(m, "kernel: {name:<20} {:<#18x} ", t.0);
        kprintln!(m, "{:<12} {prio:>4}", state_name(state));
    }
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
