//! Thread control blocks: the layout of the 2 KiB TCB object and typed access to it.
//!
//! As in seL4, the first half is the TCB's own small CNode (the thread's CSpace and VSpace
//! roots, reply and caller slots, IPC buffer frame) followed by the debug name; the second
//! half holds the saved user context, the FP/SIMD state and the scheduling and IPC fields.
//! The exception entry code saves registers straight into [`CONTEXT_OFFSET`].

use super::{Cap, KernelState, Slot};
use crate::machine::Memory;
use sel4_abi::registers::{PSTATE_USER, USER_SPSR_WRITABLE};

/// Slots of the TCB's CNode (seL4's tcb_cnode_index).
pub mod slot {
    /// The thread's CSpace root (tcbCTable).
    pub const CTABLE: u64 = 0;
    /// The thread's VSpace root (tcbVTable).
    pub const VTABLE: u64 = 1;
    /// The reply cap slot (tcbReply).
    pub const REPLY: u64 = 2;
    /// The caller's reply cap (tcbCaller).
    pub const CALLER: u64 = 3;
    /// The IPC buffer frame (tcbBuffer).
    pub const BUFFER: u64 = 4;
}

/// The number of slots in a TCB's CNode (seL4's tcbCNodeEntries).
pub const TCB_CNODE_ENTRIES: u64 = 5;

/// Offset of the links of the debug list of all threads (next, then previous).
pub const DEBUG_LINKS_OFFSET: u64 = 704;
/// Offset of the debug name (NUL-terminated) in the TCB object.
pub const NAME_OFFSET: u64 = 768;
/// Room for the name, including its terminating NUL.
pub const NAME_LEN: u64 = 256;
/// Offset of the saved user context: 36 words, in [`reg`] order.
pub const CONTEXT_OFFSET: u64 = 1024;
/// Offset of the FP/SIMD state: q0..q31, then FPSR and FPCR.
pub const FPU_OFFSET: u64 = CONTEXT_OFFSET + 36 * 8;
/// Offset of the kernel's per-thread fields.
const FIELDS_OFFSET: u64 = FPU_OFFSET + 32 * 16 + 16;
const _: () = assert!(FIELDS_OFFSET + field::COUNT * 8 <= 1 << sel4_abi::TCB_BITS);
const _: () = assert!(DEBUG_LINKS_OFFSET >= 5 * 32 && DEBUG_LINKS_OFFSET + 16 <= NAME_OFFSET);

/// Word index of each register in the saved context. This order is the kernel's (the
/// exception entry saves x0..x30 in a row); ReadRegisters maps it to seL4's order.
pub mod reg {
    /// x0; xN is at index N for N in 0..=30.
    pub const X0: usize = 0;
    /// x30, the link register.
    pub const X30: usize = 30;
    /// SP_EL0, the user stack pointer.
    pub const SP: usize = 31;
    /// ELR_EL1: where the thread resumes.
    pub const PC: usize = 32;
    /// SPSR_EL1: the user's saved PSTATE.
    pub const SPSR: usize = 33;
    /// TPIDR_EL0: the TLS base.
    pub const TPIDR_EL0: usize = 34;
    /// TPIDRRO_EL0.
    pub const TPIDRRO_EL0: usize = 35;
    /// Number of words in the context.
    pub const COUNT: usize = 36;
}

/// Word index of each kernel field, after the FP/SIMD state.
pub mod field {
    /// Thread state ([`super::ThreadState`]).
    pub const STATE: u64 = 0;
    /// The endpoint or notification the thread is blocked on.
    pub const BLOCKING_OBJECT: u64 = 1;
    /// Badge of a blocked send.
    pub const BLOCKING_BADGE: u64 = 2;
    /// Flags of a blocked IPC: bit 0 can grant, bit 1 can grant reply, bit 2 is call.
    pub const BLOCKING_FLAGS: u64 = 3;
    /// The pending fault: type (0 = none), then three words of data, then the lookup
    /// failure (kind, and up to three words).
    pub const FAULT: u64 = 4;
    /// Words of the pending fault.
    pub const FAULT_WORDS: u64 = 8;
    /// Next thread in the ready queue.
    pub const SCHED_NEXT: u64 = 12;
    /// Previous thread in the ready queue.
    pub const SCHED_PREV: u64 = 13;
    /// Next thread in an endpoint or notification queue.
    pub const EP_NEXT: u64 = 14;
    /// Previous thread in an endpoint or notification queue.
    pub const EP_PREV: u64 = 15;
    /// Priority.
    pub const PRIORITY: u64 = 16;
    /// Maximum controlled priority.
    pub const MCP: u64 = 17;
    /// Fault endpoint cptr (in the thread's own CSpace).
    pub const FAULT_HANDLER: u64 = 18;
    /// IPC buffer virtual address.
    pub const IPC_BUFFER: u64 = 19;
    /// Bound notification (physical address, 0 = none).
    pub const BOUND_NOTIFICATION: u64 = 20;
    /// Ticks left in the timeslice.
    pub const TIME_SLICE: u64 = 21;
    /// TCB flags (seL4_TCBFlag).
    pub const FLAGS: u64 = 22;
    /// 1 while the thread is in a ready queue (seL4's tcbQueued).
    pub const QUEUED: u64 = 23;
    /// seL4's FaultIP: where the thread restarts (the `svc` of an interrupted syscall, the
    /// faulting instruction); ReadRegisters reports it as the pc.
    pub const FAULT_IP: u64 = 24;
    /// Number of fields.
    pub const COUNT: u64 = 25;
}

/// A user register by seL4's name, wherever the kernel keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserReg {
    /// General register xN (0..=30).
    X(usize),
    /// SP_EL0.
    Sp,
    /// seL4's FaultIP (the restart pc).
    FaultIp,
    /// seL4's NextIP: where the thread resumes (ELR_EL1).
    NextIp,
    /// SPSR_EL1.
    Spsr,
    /// TPIDR_EL0.
    TpidrEl0,
    /// TPIDRRO_EL0.
    TpidrroEl0,
}

/// The registers of seL4's UnknownSyscall fault message, in order (n_syscallMessage).
pub const SYSCALL_MESSAGE: [UserReg; 12] = [
    UserReg::X(0),
    UserReg::X(1),
    UserReg::X(2),
    UserReg::X(3),
    UserReg::X(4),
    UserReg::X(5),
    UserReg::X(6),
    UserReg::X(7),
    UserReg::FaultIp,
    UserReg::Sp,
    UserReg::X(30),
    UserReg::Spsr,
];

/// The registers of seL4's UserException fault message, in order (n_exceptionMessage).
pub const EXCEPTION_MESSAGE: [UserReg; 3] = [UserReg::FaultIp, UserReg::Sp, UserReg::Spsr];

/// seL4_UserContext's order (ReadRegisters, WriteRegisters): pc, sp, spsr, x0..x8, x16,
/// x17, x18, x29, x30, x9..x15, x19..x28, tpidr_el0, tpidrro_el0.
pub const USER_CONTEXT: [UserReg; 36] = {
    let mut r = [UserReg::FaultIp; 36];
    r[1] = UserReg::Sp;
    r[2] = UserReg::Spsr;
    let mut i = 0;
    while i <= 8 {
        r[3 + i] = UserReg::X(i);
        i += 1;
    }
    r[12] = UserReg::X(16);
    r[13] = UserReg::X(17);
    r[14] = UserReg::X(18);
    r[15] = UserReg::X(29);
    r[16] = UserReg::X(30);
    let mut j = 0;
    while j < 7 {
        r[17 + j] = UserReg::X(9 + j);
        j += 1;
    }
    let mut k = 0;
    while k < 10 {
        r[24 + k] = UserReg::X(19 + k);
        k += 1;
    }
    r[34] = UserReg::TpidrEl0;
    r[35] = UserReg::TpidrroEl0;
    r
};

/// seL4's sanitiseRegister: user level may set the condition flags of SPSR and nothing
/// else; the thread always returns to EL0 (AArch64) with the kernel's interrupt masks.
pub const fn sanitise(r: UserReg, v: u64) -> u64 {
    match r {
        UserReg::Spsr => (v & USER_SPSR_WRITABLE) | PSTATE_USER,
        _ => v,
    }
}

/// seL4's thread states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadState {
    /// Not runnable and not waiting: suspended, or never started.
    Inactive = 0,
    /// Runnable.
    Running = 1,
    /// Runnable; restarts the interrupted syscall.
    Restart = 2,
    /// Waiting to receive on an endpoint.
    BlockedOnReceive = 3,
    /// Waiting to send on an endpoint.
    BlockedOnSend = 4,
    /// Waiting for a reply.
    BlockedOnReply = 5,
    /// Waiting on a notification.
    BlockedOnNotification = 6,
    /// The idle thread.
    Idle = 7,
}

impl ThreadState {
    fn from_word(w: u64) -> ThreadState {
        match w {
            1 => ThreadState::Running,
            2 => ThreadState::Restart,
            3 => ThreadState::BlockedOnReceive,
            4 => ThreadState::BlockedOnSend,
            5 => ThreadState::BlockedOnReply,
            6 => ThreadState::BlockedOnNotification,
            7 => ThreadState::Idle,
            _ => ThreadState::Inactive,
        }
    }
    /// Runnable states (seL4's isRunnable).
    pub const fn is_runnable(self) -> bool {
        matches!(self, ThreadState::Running | ThreadState::Restart)
    }
}

/// A TCB object, named by its physical address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tcb(pub u64);

impl Tcb {
    fn field_addr(self, f: u64) -> u64 {
        self.0 + FIELDS_OFFSET + f * 8
    }
    /// Kernel field `f` (a [`field`] index).
    pub fn get(self, m: &impl Memory, f: u64) -> u64 {
        m.read_word(self.field_addr(f))
    }
    /// Sets kernel field `f` (a [`field`] index).
    pub fn set(self, m: &mut impl Memory, f: u64, v: u64) {
        m.write_word(self.field_addr(f), v)
    }
    /// Physical address of the TCB object holding `slot` (a slot of some TCB's CNode).
    pub const fn containing(slot: Slot) -> Tcb {
        Tcb(slot.0 & !((1 << sel4_abi::TCB_BITS) - 1))
    }
    /// Slot `i` of the TCB's CNode (see [`slot`]).
    pub const fn slot(self, i: u64) -> Slot {
        Slot::of(self.0, i)
    }
    /// The cap in slot `i` of the TCB's CNode.
    pub fn cap(self, m: &impl Memory, i: u64) -> Cap {
        self.slot(i).cap(m)
    }
    /// Physical address of the saved user context (the exception entry's save area).
    pub const fn context(self) -> u64 {
        self.0 + CONTEXT_OFFSET
    }
    /// Saved register `r` (a [`reg`] index).
    pub fn reg(self, m: &impl Memory, r: usize) -> u64 {
        m.read_word(self.context() + r as u64 * 8)
    }
    /// Sets saved register `r` (a [`reg`] index).
    pub fn set_reg(self, m: &mut impl Memory, r: usize, v: u64) {
        m.write_word(self.context() + r as u64 * 8, v)
    }
    /// User register `r` by seL4's name.
    pub fn user_reg(self, m: &impl Memory, r: UserReg) -> u64 {
        match r {
            UserReg::X(n) => self.reg(m, n),
            UserReg::Sp => self.reg(m, reg::SP),
            UserReg::FaultIp => self.get(m, field::FAULT_IP),
            UserReg::NextIp => self.reg(m, reg::PC),
            UserReg::Spsr => self.reg(m, reg::SPSR),
            UserReg::TpidrEl0 => self.reg(m, reg::TPIDR_EL0),
            UserReg::TpidrroEl0 => self.reg(m, reg::TPIDRRO_EL0),
        }
    }
    /// Sets user register `r` by seL4's name (unsanitised: callers apply [`sanitise`]).
    pub fn set_user_reg(self, m: &mut impl Memory, r: UserReg, v: u64) {
        match r {
            UserReg::X(n) => self.set_reg(m, n, v),
            UserReg::Sp => self.set_reg(m, reg::SP, v),
            UserReg::FaultIp => self.set(m, field::FAULT_IP, v),
            UserReg::NextIp => self.set_reg(m, reg::PC, v),
            UserReg::Spsr => self.set_reg(m, reg::SPSR, v),
            UserReg::TpidrEl0 => self.set_reg(m, reg::TPIDR_EL0, v),
            UserReg::TpidrroEl0 => self.set_reg(m, reg::TPIDRRO_EL0, v),
        }
    }
    /// The thread's state.
    pub fn state(self, m: &impl Memory) -> ThreadState {
        ThreadState::from_word(m.read_word(self.field_addr(field::STATE)))
    }
    /// Sets the thread's state.
    pub fn set_state(self, m: &mut impl Memory, s: ThreadState) {
        m.write_word(self.field_addr(field::STATE), s as u64)
    }
    /// The thread's priority.
    pub fn priority(self, m: &impl Memory) -> u64 {
        m.read_word(self.field_addr(field::PRIORITY))
    }
    /// Sets the thread's priority.
    pub fn set_priority(self, m: &mut impl Memory, p: u64) {
        m.write_word(self.field_addr(field::PRIORITY), p)
    }
    /// The thread's maximum controlled priority.
    pub fn mcp(self, m: &impl Memory) -> u64 {
        m.read_word(self.field_addr(field::MCP))
    }
    /// Sets the thread's maximum controlled priority.
    pub fn set_mcp(self, m: &mut impl Memory, p: u64) {
        m.write_word(self.field_addr(field::MCP), p)
    }
    /// The cptr of the thread's fault endpoint, in its own CSpace (0: none).
    pub fn fault_handler(self, m: &impl Memory) -> u64 {
        m.read_word(self.field_addr(field::FAULT_HANDLER))
    }
    /// The user virtual address of the thread's IPC buffer.
    pub fn ipc_buffer(self, m: &impl Memory) -> u64 {
        m.read_word(self.field_addr(field::IPC_BUFFER))
    }
    /// Sets the user virtual address of the thread's IPC buffer.
    pub fn set_ipc_buffer(self, m: &mut impl Memory, vaddr: u64) {
        m.write_word(self.field_addr(field::IPC_BUFFER), vaddr)
    }
    /// Sets the debug name, cut to fit; bytes after the first NUL are ignored.
    pub fn set_name(self, m: &mut impl Memory, name: &[u8]) {
        let len = name
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(name.len())
            .min(NAME_LEN as usize - 1);
        for (i, &b) in name[..len].iter().enumerate() {
            m.write_byte(self.0 + NAME_OFFSET + i as u64, b);
        }
        m.write_byte(self.0 + NAME_OFFSET + len as u64, 0);
    }
    /// The debug name (as stored; not necessarily UTF-8).
    pub fn name(self, m: &impl Memory) -> &[u8] {
        let bytes = m.bytes(self.0 + NAME_OFFSET, NAME_LEN);
        &bytes[..bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len())]
    }
}

fn debug_next(m: &impl Memory, t: Tcb) -> u64 {
    m.read_word(t.0 + DEBUG_LINKS_OFFSET)
}

/// seL4's tcbDebugAppend: a new thread joins the debug list of all threads.
pub fn tcb_debug_append(ks: &mut KernelState, m: &mut impl Memory, t: Tcb) {
    m.write_word(t.0 + DEBUG_LINKS_OFFSET, ks.debug_tcbs);
    m.write_word(t.0 + DEBUG_LINKS_OFFSET + 8, 0);
    if ks.debug_tcbs != 0 {
        m.write_word(ks.debug_tcbs + DEBUG_LINKS_OFFSET + 8, t.0);
    }
    ks.debug_tcbs = t.0;
}

/// seL4's tcbDebugRemove: a thread being destroyed leaves the debug list.
pub fn tcb_debug_remove(ks: &mut KernelState, m: &mut impl Memory, t: Tcb) {
    let (n, p) = (debug_next(m, t), m.read_word(t.0 + DEBUG_LINKS_OFFSET + 8));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::sim::SimMachine;

    #[test]
    fn fields_and_registers_are_independent_words() {
        let mut m = SimMachine::new(0x4000, 0x800);
        let t = Tcb(0x4000);
        t.set_state(&mut m, ThreadState::Running);
        t.set_priority(&mut m, 255);
        t.set_mcp(&mut m, 254);
        t.set_ipc_buffer(&mut m, 0x1000);
        for r in 0..reg::COUNT {
            t.set_reg(&mut m, r, 100 + r as u64);
        }
        assert_eq!(t.state(&m), ThreadState::Running);
        assert_eq!(
            (t.priority(&m), t.mcp(&m), t.ipc_buffer(&m)),
            (255, 254, 0x1000)
        );
        assert_eq!(t.reg(&m, reg::PC), 132);
        assert_eq!(t.fault_handler(&m), 0);
        assert_eq!(
            t.context() - t.0,
            1024,
            "the trap path saves registers here"
        );
    }

    #[test]
    fn name_is_cut_and_nul_terminated() {
        let mut m = SimMachine::new(0x4000, 0x800);
        let t = Tcb(0x4000);
        t.set_name(&mut m, b"rootserver\0junk");
        assert_eq!(t.name(&m), b"rootserver");
        t.set_name(&mut m, &[b'x'; 400]);
        assert_eq!(t.name(&m).len(), 255);
    }
}
