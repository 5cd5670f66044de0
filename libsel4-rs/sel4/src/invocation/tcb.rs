//! Thread control blocks: configuration, scheduling parameters, registers, notifications.

use sel4_abi::{CNodeCapData, InvocationLabel as L, USER_CONTEXT_WORDS, UserContext};

use super::{invoke, invoke_unit};
use crate::cap::cap_type::{CNode, Notification, SmallPage, Tcb, VSpace};
use crate::cap::{CPtr, Cap};
use crate::error::Result;
use crate::message::Message;

// The flag word of Read/Write/CopyRegisters, as seL4's libsel4 stubs pack it.
use sel4_abi::tcb::REGISTERS_ARCH_FLAGS_SHIFT as ARCH_FLAGS_SHIFT;
use sel4_abi::tcb::registers_flags::{
    COPY_RESUME_TARGET, COPY_SUSPEND_SOURCE, COPY_TRANSFER_FRAME, COPY_TRANSFER_INTEGER,
    READ_SUSPEND_SOURCE as FLAG_SUSPEND_SOURCE, WRITE_RESUME_TARGET as FLAG_RESUME_TARGET,
};

fn flags(bits: &[(bool, u64)], arch_flags: u8) -> u64 {
    bits.iter()
        .filter(|(on, _)| *on)
        .fold(u64::from(arch_flags) << ARCH_FLAGS_SHIFT, |w, (_, b)| w | b)
}

/// Request for seL4_TCB_Configure: words `(fault_ep, cspace_root_data, vspace_root_data,
/// buffer)`, caps `(cspace_root, vspace_root, buffer_frame)`.
pub fn tcb_configure(
    fault_ep: CPtr,
    cspace_root: Cap<CNode>,
    cspace_root_data: CNodeCapData,
    vspace_root: Cap<VSpace>,
    vspace_root_data: u64,
    buffer: u64,
    buffer_frame: Cap<SmallPage>,
) -> Message {
    let mut m = Message::invocation(L::TcbConfigure);
    m.push(fault_ep)
        .push(cspace_root_data.to_word())
        .push(vspace_root_data)
        .push(buffer)
        .push_cap(cspace_root)
        .push_cap(vspace_root)
        .push_cap(buffer_frame);
    m
}

/// Request for seL4_TCB_SetPriority: word `(priority)`, cap `(authority)`.
pub fn tcb_set_priority(authority: Cap<Tcb>, priority: u64) -> Message {
    let mut m = Message::invocation(L::TcbSetPriority);
    m.push(priority).push_cap(authority);
    m
}

/// Request for seL4_TCB_SetMCPriority: word `(mcp)`, cap `(authority)`.
pub fn tcb_set_mc_priority(authority: Cap<Tcb>, mcp: u64) -> Message {
    let mut m = Message::invocation(L::TcbSetMcPriority);
    m.push(mcp).push_cap(authority);
    m
}

/// Request for seL4_TCB_SetSchedParams (non-MCS): words `(mcp, priority)`, cap
/// `(authority)`.
pub fn tcb_set_sched_params(authority: Cap<Tcb>, mcp: u64, priority: u64) -> Message {
    let mut m = Message::invocation(L::TcbSetSchedParams);
    m.push(mcp).push(priority).push_cap(authority);
    m
}

/// Request for seL4_TCB_SetIPCBuffer: word `(buffer)`, cap `(buffer_frame)`.
pub fn tcb_set_ipc_buffer(buffer: u64, buffer_frame: Cap<SmallPage>) -> Message {
    let mut m = Message::invocation(L::TcbSetIpcBuffer);
    m.push(buffer).push_cap(buffer_frame);
    m
}

/// Request for seL4_TCB_SetSpace: words `(fault_ep, cspace_root_data, vspace_root_data)`,
/// caps `(cspace_root, vspace_root)`.
pub fn tcb_set_space(
    fault_ep: CPtr,
    cspace_root: Cap<CNode>,
    cspace_root_data: CNodeCapData,
    vspace_root: Cap<VSpace>,
    vspace_root_data: u64,
) -> Message {
    let mut m = Message::invocation(L::TcbSetSpace);
    m.push(fault_ep)
        .push(cspace_root_data.to_word())
        .push(vspace_root_data)
        .push_cap(cspace_root)
        .push_cap(vspace_root);
    m
}

/// Request for seL4_TCB_Suspend: no arguments.
pub fn tcb_suspend() -> Message {
    Message::invocation(L::TcbSuspend)
}

/// Request for seL4_TCB_Resume: no arguments.
pub fn tcb_resume() -> Message {
    Message::invocation(L::TcbResume)
}

/// Request for seL4_TCB_ReadRegisters: words `(flags, count)`, where `flags` packs
/// `suspend_source` (bit 0) and `arch_flags` (bits 8..16) as libsel4 does.
pub fn tcb_read_registers(suspend_source: bool, arch_flags: u8, count: u64) -> Message {
    let mut m = Message::invocation(L::TcbReadRegisters);
    m.push(flags(&[(suspend_source, FLAG_SUSPEND_SOURCE)], arch_flags))
        .push(count);
    m
}

/// Request for seL4_TCB_WriteRegisters: words `(flags, count, regs[0..count]...)`, where
/// `flags` packs `resume_target` (bit 0) and `arch_flags` (bits 8..16). At most the 36
/// words of a [`UserContext`] are sent; a larger `count` goes to the kernel as it is (and
/// is refused there as a truncated message).
pub fn tcb_write_registers(
    resume_target: bool,
    arch_flags: u8,
    count: u64,
    regs: &UserContext,
) -> Message {
    let mut m = Message::invocation(L::TcbWriteRegisters);
    m.push(flags(&[(resume_target, FLAG_RESUME_TARGET)], arch_flags))
        .push(count);
    let n = usize::try_from(count).map_or(USER_CONTEXT_WORDS, |c| c.min(USER_CONTEXT_WORDS));
    for &w in &regs.as_words()[..n] {
        m.push(w);
    }
    m
}

/// Request for seL4_TCB_CopyRegisters: word `(flags)` packing `suspend_source` (bit 0),
/// `resume_target` (1), `transfer_frame` (2), `transfer_integer` (3) and `arch_flags`
/// (bits 8..16), as libsel4 does; cap `(source)`.
pub fn tcb_copy_registers(
    source: Cap<Tcb>,
    suspend_source: bool,
    resume_target: bool,
    transfer_frame: bool,
    transfer_integer: bool,
    arch_flags: u8,
) -> Message {
    let mut m = Message::invocation(L::TcbCopyRegisters);
    m.push(flags(
        &[
            (suspend_source, COPY_SUSPEND_SOURCE),
            (resume_target, COPY_RESUME_TARGET),
            (transfer_frame, COPY_TRANSFER_FRAME),
            (transfer_integer, COPY_TRANSFER_INTEGER),
        ],
        arch_flags,
    ))
    .push_cap(source);
    m
}

/// Request for seL4_TCB_BindNotification: cap `(notification)`.
pub fn tcb_bind_notification(notification: Cap<Notification>) -> Message {
    let mut m = Message::invocation(L::TcbBindNotification);
    m.push_cap(notification);
    m
}

/// Request for seL4_TCB_UnbindNotification: no arguments.
pub fn tcb_unbind_notification() -> Message {
    Message::invocation(L::TcbUnbindNotification)
}

/// Request for seL4_TCB_SetTLSBase: word `(tls_base)`.
pub fn tcb_set_tls_base(tls_base: u64) -> Message {
    Message::with_words(L::TcbSetTlsBase.word(), &[tls_base])
}

/// Request for seL4_TCB_SetFlags: words `(clear, set)`.
pub fn tcb_set_flags(clear: u64, set: u64) -> Message {
    Message::with_words(L::TcbSetFlags.word(), &[clear, set])
}

impl Cap<Tcb> {
    /// seL4_TCB_Configure: sets the fault endpoint (a cptr in the thread's own CSpace, 0 for
    /// none), CSpace and VSpace roots, and IPC buffer (address and frame; address 0 for none)
    /// in one go.
    #[allow(clippy::too_many_arguments)] // seL4's signature, argument for argument
    pub fn tcb_configure(
        self,
        fault_ep: CPtr,
        cspace_root: Cap<CNode>,
        cspace_root_data: CNodeCapData,
        vspace_root: Cap<VSpace>,
        vspace_root_data: u64,
        buffer: u64,
        buffer_frame: Cap<SmallPage>,
    ) -> Result<()> {
        invoke_unit(
            self,
            &tcb_configure(
                fault_ep,
                cspace_root,
                cspace_root_data,
                vspace_root,
                vspace_root_data,
                buffer,
                buffer_frame,
            ),
        )
    }

    /// seL4_TCB_SetPriority: `authority`'s maximum controlled priority bounds `priority`.
    pub fn tcb_set_priority(self, authority: Cap<Tcb>, priority: u64) -> Result<()> {
        invoke_unit(self, &tcb_set_priority(authority, priority))
    }

    /// seL4_TCB_SetMCPriority: sets the maximum controlled priority.
    pub fn tcb_set_mc_priority(self, authority: Cap<Tcb>, mcp: u64) -> Result<()> {
        invoke_unit(self, &tcb_set_mc_priority(authority, mcp))
    }

    /// seL4_TCB_SetSchedParams: sets the maximum controlled priority and the priority.
    pub fn tcb_set_sched_params(self, authority: Cap<Tcb>, mcp: u64, priority: u64) -> Result<()> {
        invoke_unit(self, &tcb_set_sched_params(authority, mcp, priority))
    }

    /// seL4_TCB_SetIPCBuffer: the buffer's address and the frame holding it.
    pub fn tcb_set_ipc_buffer(self, buffer: u64, buffer_frame: Cap<SmallPage>) -> Result<()> {
        invoke_unit(self, &tcb_set_ipc_buffer(buffer, buffer_frame))
    }

    /// seL4_TCB_SetSpace: the fault endpoint (a cptr in the thread's CSpace) and the roots.
    pub fn tcb_set_space(
        self,
        fault_ep: CPtr,
        cspace_root: Cap<CNode>,
        cspace_root_data: CNodeCapData,
        vspace_root: Cap<VSpace>,
        vspace_root_data: u64,
    ) -> Result<()> {
        invoke_unit(
            self,
            &tcb_set_space(
                fault_ep,
                cspace_root,
                cspace_root_data,
                vspace_root,
                vspace_root_data,
            ),
        )
    }

    /// seL4_TCB_Suspend.
    pub fn tcb_suspend(self) -> Result<()> {
        invoke_unit(self, &tcb_suspend())
    }

    /// seL4_TCB_Resume.
    pub fn tcb_resume(self) -> Result<()> {
        invoke_unit(self, &tcb_resume())
    }

    /// seL4_TCB_ReadRegisters: the first `count` registers (1..=36) in seL4's order; the
    /// rest of the returned context is 0.
    pub fn tcb_read_registers(
        self,
        suspend_source: bool,
        arch_flags: u8,
        count: u64,
    ) -> Result<UserContext> {
        let reply = invoke(self, &tcb_read_registers(suspend_source, arch_flags, count))?;
        let mut words = [0u64; USER_CONTEXT_WORDS];
        let n = reply.len().min(USER_CONTEXT_WORDS);
        words[..n].copy_from_slice(&reply.words()[..n]);
        Ok(UserContext::from_words(&words))
    }

    /// seL4_TCB_ReadRegisters of all 36 registers.
    pub fn tcb_read_all_registers(self, suspend_source: bool) -> Result<UserContext> {
        self.tcb_read_registers(suspend_source, 0, USER_CONTEXT_WORDS as u64)
    }

    /// seL4_TCB_WriteRegisters: the first `count` registers of `regs`.
    pub fn tcb_write_registers(
        self,
        resume_target: bool,
        arch_flags: u8,
        count: u64,
        regs: &UserContext,
    ) -> Result<()> {
        invoke_unit(
            self,
            &tcb_write_registers(resume_target, arch_flags, count, regs),
        )
    }

    /// seL4_TCB_WriteRegisters of all 36 registers.
    pub fn tcb_write_all_registers(self, resume_target: bool, regs: &UserContext) -> Result<()> {
        self.tcb_write_registers(resume_target, 0, USER_CONTEXT_WORDS as u64, regs)
    }

    /// seL4_TCB_CopyRegisters: copies `source`'s frame and/or integer registers into this
    /// thread.
    pub fn tcb_copy_registers(
        self,
        source: Cap<Tcb>,
        suspend_source: bool,
        resume_target: bool,
        transfer_frame: bool,
        transfer_integer: bool,
        arch_flags: u8,
    ) -> Result<()> {
        invoke_unit(
            self,
            &tcb_copy_registers(
                source,
                suspend_source,
                resume_target,
                transfer_frame,
                transfer_integer,
                arch_flags,
            ),
        )
    }

    /// seL4_TCB_BindNotification.
    pub fn tcb_bind_notification(self, notification: Cap<Notification>) -> Result<()> {
        invoke_unit(self, &tcb_bind_notification(notification))
    }

    /// seL4_TCB_UnbindNotification.
    pub fn tcb_unbind_notification(self) -> Result<()> {
        invoke_unit(self, &tcb_unbind_notification())
    }

    /// seL4_TCB_SetTLSBase: sets the thread's TPIDR_EL0.
    pub fn tcb_set_tls_base(self, tls_base: u64) -> Result<()> {
        invoke_unit(self, &tcb_set_tls_base(tls_base))
    }

    /// seL4_TCB_SetFlags: clears then sets flags (`sel4_abi::tcb::TCB_FLAG_*`); returns the
    /// thread's new flags.
    pub fn tcb_set_flags(self, clear: u64, set: u64) -> Result<u64> {
        Ok(invoke(self, &tcb_set_flags(clear, set))?
            .get(0)
            .unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invocation::test_util::check;

    const CN: Cap<CNode> = Cap::from_cptr(2);
    const VS: Cap<VSpace> = Cap::from_cptr(3);
    const BUF: Cap<SmallPage> = Cap::from_cptr(10);
    const OTHER: Cap<Tcb> = Cap::from_cptr(1);

    #[test]
    fn configure_and_space() {
        let data = CNodeCapData::new(0, 52);
        check(
            &tcb_configure(0x20, CN, data, VS, 7, 0x1000, BUF),
            L::TcbConfigure,
            &[0x20, 52, 7, 0x1000],
            &[2, 3, 10],
        );
        check(
            &tcb_set_space(0x21, CN, CNodeCapData::new(1, 4), VS, 0),
            L::TcbSetSpace,
            &[0x21, (1 << 6) | 4, 0],
            &[2, 3],
        );
        check(
            &tcb_set_ipc_buffer(0x5000, BUF),
            L::TcbSetIpcBuffer,
            &[0x5000],
            &[10],
        );
    }

    #[test]
    fn priorities() {
        check(
            &tcb_set_priority(OTHER, 200),
            L::TcbSetPriority,
            &[200],
            &[1],
        );
        check(
            &tcb_set_mc_priority(OTHER, 100),
            L::TcbSetMcPriority,
            &[100],
            &[1],
        );
        check(
            &tcb_set_sched_params(OTHER, 150, 120),
            L::TcbSetSchedParams,
            &[150, 120],
            &[1],
        );
    }

    #[test]
    fn no_argument_operations() {
        check(&tcb_suspend(), L::TcbSuspend, &[], &[]);
        check(&tcb_resume(), L::TcbResume, &[], &[]);
        check(
            &tcb_unbind_notification(),
            L::TcbUnbindNotification,
            &[],
            &[],
        );
        check(
            &tcb_bind_notification(Cap::from_cptr(0x33)),
            L::TcbBindNotification,
            &[],
            &[0x33],
        );
        check(&tcb_set_tls_base(0xdead), L::TcbSetTlsBase, &[0xdead], &[]);
        check(&tcb_set_flags(1, 0), L::TcbSetFlags, &[1, 0], &[]);
    }

    #[test]
    fn register_flags_are_packed_like_libsel4() {
        check(
            &tcb_read_registers(false, 0, 36),
            L::TcbReadRegisters,
            &[0, 36],
            &[],
        );
        check(
            &tcb_read_registers(true, 0, 5),
            L::TcbReadRegisters,
            &[1, 5],
            &[],
        );
        check(
            &tcb_read_registers(true, 0xab, 1),
            L::TcbReadRegisters,
            &[0xab01, 1],
            &[],
        );
        check(
            &tcb_copy_registers(OTHER, true, false, true, true, 0),
            L::TcbCopyRegisters,
            &[0b1101],
            &[1],
        );
        check(
            &tcb_copy_registers(OTHER, false, true, false, false, 2),
            L::TcbCopyRegisters,
            &[0x202],
            &[1],
        );
    }

    #[test]
    fn write_registers_sends_count_words() {
        let words: [u64; 36] = core::array::from_fn(|i| 1000 + i as u64);
        let ctx = UserContext::from_words(&words);
        let m = tcb_write_registers(true, 0, 3, &ctx);
        check(&m, L::TcbWriteRegisters, &[1, 3, 1000, 1001, 1002], &[]);
        let m = tcb_write_registers(false, 0, 36, &ctx);
        assert_eq!(m.len(), 38);
        assert_eq!(&m.words()[2..], &words);
        // An oversized count is passed through for the kernel to refuse.
        let m = tcb_write_registers(false, 0, 99, &ctx);
        assert_eq!((m.get(1), m.len()), (Some(99), 38));
        assert_eq!(m.label(), 3);
    }
}
