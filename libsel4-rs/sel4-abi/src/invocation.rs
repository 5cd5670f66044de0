//! Invocation labels: the message label that names the operation invoked on a capability.
//!
//! seL4 generates these from its interface XML, generic methods first, then AArch64's, then
//! Arm's, leaving out methods a configuration disables. The numbers here are those of a
//! non-MCS, single-core AArch64 build without hypervisor or SMMU support.

/// An invocation label (`invocation_label` / `arch_invocation_label` in seL4).
#[repr(u64)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvocationLabel {
    /// `InvalidInvocation`: never a valid operation.
    InvalidInvocation = 0,
    /// `UntypedRetype`: `(type, size_bits, root*, node_index, node_depth, node_offset,
    /// num_objects)`.
    UntypedRetype = 1,
    /// `TCBReadRegisters`: `(suspend_source | arch_flags << 8, count)`.
    TcbReadRegisters = 2,
    /// `TCBWriteRegisters`: `(resume_target | arch_flags << 8, count, regs...)`.
    TcbWriteRegisters = 3,
    /// `TCBCopyRegisters`: `(source*, suspend_source, resume_target, transfer_frame,
    /// transfer_integer, arch_flags)`.
    TcbCopyRegisters = 4,
    /// `TCBConfigure`: `(fault_ep, cspace_root*, cspace_root_data, vspace_root*,
    /// vspace_root_data, buffer, buffer_frame*)`.
    TcbConfigure = 5,
    /// `TCBSetPriority`: `(authority*, priority)`.
    TcbSetPriority = 6,
    /// `TCBSetMCPriority`: `(authority*, mcp)`.
    TcbSetMcPriority = 7,
    /// `TCBSetSchedParams`: `(authority*, mcp, priority)`.
    TcbSetSchedParams = 8,
    /// `TCBSetIPCBuffer`: `(buffer, buffer_frame*)`.
    TcbSetIpcBuffer = 9,
    /// `TCBSetSpace`: `(fault_ep, cspace_root*, cspace_root_data, vspace_root*,
    /// vspace_root_data)`.
    TcbSetSpace = 10,
    /// `TCBSuspend`.
    TcbSuspend = 11,
    /// `TCBResume`.
    TcbResume = 12,
    /// `TCBBindNotification`: `(notification*)`.
    TcbBindNotification = 13,
    /// `TCBUnbindNotification`.
    TcbUnbindNotification = 14,
    /// `TCBSetTLSBase`: `(tls_base)`.
    TcbSetTlsBase = 15,
    /// `TCBSetFlags`: `(clear, set)`; replies with the new flags (see [`crate::tcb`]).
    TcbSetFlags = 16,
    /// `CNodeRevoke`: `(index, depth)`.
    CNodeRevoke = 17,
    /// `CNodeDelete`: `(index, depth)`.
    CNodeDelete = 18,
    /// `CNodeCancelBadgedSends`: `(index, depth)`.
    CNodeCancelBadgedSends = 19,
    /// `CNodeCopy`: `(dest_index, dest_depth, src_root*, src_index, src_depth, rights)`.
    CNodeCopy = 20,
    /// `CNodeMint`: `(dest_index, dest_depth, src_root*, src_index, src_depth, rights,
    /// badge)`.
    CNodeMint = 21,
    /// `CNodeMove`: `(dest_index, dest_depth, src_root*, src_index, src_depth)`.
    CNodeMove = 22,
    /// `CNodeMutate`: `(dest_index, dest_depth, src_root*, src_index, src_depth, badge)`.
    CNodeMutate = 23,
    /// `CNodeRotate`: `(dest_index, dest_depth, dest_badge, pivot_root*, pivot_index,
    /// pivot_depth, pivot_badge, src_root*, src_index, src_depth)`.
    CNodeRotate = 24,
    /// `CNodeSaveCaller`: `(index, depth)` (non-MCS only).
    CNodeSaveCaller = 25,
    /// `IRQIssueIRQHandler` on IRQControl: `(irq, root*, index, depth)`.
    IrqIssueIrqHandler = 26,
    /// `IRQAckIRQ` on an IRQHandler.
    IrqAckIrq = 27,
    /// `IRQSetIRQHandler` on an IRQHandler: `(notification*)`.
    IrqSetIrqHandler = 28,
    /// `IRQClearIRQHandler` on an IRQHandler.
    IrqClearIrqHandler = 29,
    /// `DomainSetSet`: `(domain, thread*)`.
    DomainSetSet = 30,
    /// `DomainScheduleConfigure`: set one entry of the domain schedule.
    ScheduleConfigure = 31,
    /// `DomainScheduleSetStart`: choose the domain schedule's first entry.
    ScheduleSetStart = 32,
    /// `ARMVSpaceClean_Data`: `(start, end)`.
    ArmVSpaceCleanData = 33,
    /// `ARMVSpaceInvalidate_Data`: `(start, end)`.
    ArmVSpaceInvalidateData = 34,
    /// `ARMVSpaceCleanInvalidate_Data`: `(start, end)`.
    ArmVSpaceCleanInvalidateData = 35,
    /// `ARMVSpaceUnify_Instruction`: `(start, end)`.
    ArmVSpaceUnifyInstruction = 36,
    /// `ARMSMCCall`: `(x0..x7)`, on the SMC cap.
    ArmSmcCall = 37,
    /// `ARMPageTableMap`: `(vspace*, vaddr, attr)`.
    ArmPageTableMap = 38,
    /// `ARMPageTableUnmap`.
    ArmPageTableUnmap = 39,
    /// `ARMPageMap`: `(vspace*, vaddr, rights, attr)`.
    ArmPageMap = 40,
    /// `ARMPageUnmap`.
    ArmPageUnmap = 41,
    /// `ARMPageClean_Data`: `(start_offset, end_offset)`.
    ArmPageCleanData = 42,
    /// `ARMPageInvalidate_Data`: `(start_offset, end_offset)`.
    ArmPageInvalidateData = 43,
    /// `ARMPageCleanInvalidate_Data`: `(start_offset, end_offset)`.
    ArmPageCleanInvalidateData = 44,
    /// `ARMPageUnify_Instruction`: `(start_offset, end_offset)`.
    ArmPageUnifyInstruction = 45,
    /// `ARMPageGetAddress`: replies with the frame's physical address.
    ArmPageGetAddress = 46,
    /// `ARMASIDControlMakePool`: `(untyped*, root*, index, depth)`.
    ArmAsidControlMakePool = 47,
    /// `ARMASIDPoolAssign`: `(vspace*)`.
    ArmAsidPoolAssign = 48,
    /// `ARMIRQIssueIRQHandlerTrigger` on IRQControl: `(irq, trigger, root*, index, depth)`.
    ArmIrqIssueIrqHandlerTrigger = 49,
    /// `ARMIRQIssueSGISignal` on IRQControl: `(irq, target, root*, index, depth)`.
    ArmIrqIssueSgiSignal = 50,
}

impl InvocationLabel {
    /// Every label, in numeric order (51 of them).
    pub const ALL: [InvocationLabel; 51] = {
        use InvocationLabel::*;
        [
            InvalidInvocation,
            UntypedRetype,
            TcbReadRegisters,
            TcbWriteRegisters,
            TcbCopyRegisters,
            TcbConfigure,
            TcbSetPriority,
            TcbSetMcPriority,
            TcbSetSchedParams,
            TcbSetIpcBuffer,
            TcbSetSpace,
            TcbSuspend,
            TcbResume,
            TcbBindNotification,
            TcbUnbindNotification,
            TcbSetTlsBase,
            TcbSetFlags,
            CNodeRevoke,
            CNodeDelete,
            CNodeCancelBadgedSends,
            CNodeCopy,
            CNodeMint,
            CNodeMove,
            CNodeMutate,
            CNodeRotate,
            CNodeSaveCaller,
            IrqIssueIrqHandler,
            IrqAckIrq,
            IrqSetIrqHandler,
            IrqClearIrqHandler,
            DomainSetSet,
            ScheduleConfigure,
            ScheduleSetStart,
            ArmVSpaceCleanData,
            ArmVSpaceInvalidateData,
            ArmVSpaceCleanInvalidateData,
            ArmVSpaceUnifyInstruction,
            ArmSmcCall,
            ArmPageTableMap,
            ArmPageTableUnmap,
            ArmPageMap,
            ArmPageUnmap,
            ArmPageCleanData,
            ArmPageInvalidateData,
            ArmPageCleanInvalidateData,
            ArmPageUnifyInstruction,
            ArmPageGetAddress,
            ArmAsidControlMakePool,
            ArmAsidPoolAssign,
            ArmIrqIssueIrqHandlerTrigger,
            ArmIrqIssueSgiSignal,
        ]
    };

    /// The label as it appears in the message info.
    pub const fn word(self) -> u64 {
        self as u64
    }

    /// Decodes a message label; `None` if no invocation has that label.
    pub fn from_word(w: u64) -> Option<InvocationLabel> {
        Self::ALL.get(usize::try_from(w).ok()?).copied()
    }
}

/// A message label that names no invocation of the object it was sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnknownLabel(pub u64);

impl TryFrom<u64> for InvocationLabel {
    type Error = UnknownLabel;
    fn try_from(w: u64) -> Result<Self, UnknownLabel> {
        InvocationLabel::from_word(w).ok_or(UnknownLabel(w))
    }
}

/// Declares the labels one object family answers to: an enum whose variants name the
/// family's [`InvocationLabel`]s, decoded from a message label with `TryFrom<u64>` (a label
/// of another family, or of none, is an [`UnknownLabel`]), so that a decoder matches its
/// family's labels exhaustively.
macro_rules! family_labels {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $label:ident,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every label of the family.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The label as seL4 numbers it.
            pub const fn label(self) -> InvocationLabel {
                match self {
                    $($name::$variant => InvocationLabel::$label,)+
                }
            }
        }

        impl TryFrom<InvocationLabel> for $name {
            type Error = UnknownLabel;
            fn try_from(l: InvocationLabel) -> Result<Self, UnknownLabel> {
                match l {
                    $(InvocationLabel::$label => Ok($name::$variant),)+
                    _ => Err(UnknownLabel(l.word())),
                }
            }
        }

        impl TryFrom<u64> for $name {
            type Error = UnknownLabel;
            fn try_from(w: u64) -> Result<Self, UnknownLabel> {
                InvocationLabel::try_from(w)?.try_into()
            }
        }

        impl From<$name> for InvocationLabel {
            fn from(l: $name) -> InvocationLabel {
                l.label()
            }
        }
    };
}

family_labels! {
    /// The labels of an untyped cap (`decodeUntypedInvocation`).
    UntypedLabel {
        /// `UntypedRetype`.
        Retype = UntypedRetype,
    }
}

family_labels! {
    /// The labels of a TCB cap (`decodeTCBInvocation`).
    TcbLabel {
        /// `TCBReadRegisters`.
        ReadRegisters = TcbReadRegisters,
        /// `TCBWriteRegisters`.
        WriteRegisters = TcbWriteRegisters,
        /// `TCBCopyRegisters`.
        CopyRegisters = TcbCopyRegisters,
        /// `TCBConfigure`.
        Configure = TcbConfigure,
        /// `TCBSetPriority`.
        SetPriority = TcbSetPriority,
        /// `TCBSetMCPriority`.
        SetMcPriority = TcbSetMcPriority,
        /// `TCBSetSchedParams`.
        SetSchedParams = TcbSetSchedParams,
        /// `TCBSetIPCBuffer`.
        SetIpcBuffer = TcbSetIpcBuffer,
        /// `TCBSetSpace`.
        SetSpace = TcbSetSpace,
        /// `TCBSuspend`.
        Suspend = TcbSuspend,
        /// `TCBResume`.
        Resume = TcbResume,
        /// `TCBBindNotification`.
        BindNotification = TcbBindNotification,
        /// `TCBUnbindNotification`.
        UnbindNotification = TcbUnbindNotification,
        /// `TCBSetTLSBase`.
        SetTlsBase = TcbSetTlsBase,
        /// `TCBSetFlags`.
        SetFlags = TcbSetFlags,
    }
}

family_labels! {
    /// The labels of a CNode cap (`decodeCNodeInvocation`).
    CNodeLabel {
        /// `CNodeRevoke`.
        Revoke = CNodeRevoke,
        /// `CNodeDelete`.
        Delete = CNodeDelete,
        /// `CNodeCancelBadgedSends`.
        CancelBadgedSends = CNodeCancelBadgedSends,
        /// `CNodeCopy`.
        Copy = CNodeCopy,
        /// `CNodeMint`.
        Mint = CNodeMint,
        /// `CNodeMove`.
        Move = CNodeMove,
        /// `CNodeMutate`.
        Mutate = CNodeMutate,
        /// `CNodeRotate`.
        Rotate = CNodeRotate,
        /// `CNodeSaveCaller`.
        SaveCaller = CNodeSaveCaller,
    }
}

family_labels! {
    /// The labels of the IRQControl cap (`decodeIRQControlInvocation` and its AArch64 part).
    IrqControlLabel {
        /// `IRQIssueIRQHandler`.
        IssueIrqHandler = IrqIssueIrqHandler,
        /// `ARMIRQIssueIRQHandlerTrigger`.
        IssueIrqHandlerTrigger = ArmIrqIssueIrqHandlerTrigger,
        /// `ARMIRQIssueSGISignal`.
        IssueSgiSignal = ArmIrqIssueSgiSignal,
    }
}

family_labels! {
    /// The labels of an IRQHandler cap (`decodeIRQHandlerInvocation`).
    IrqHandlerLabel {
        /// `IRQAckIRQ`.
        Ack = IrqAckIrq,
        /// `IRQSetIRQHandler`.
        SetNotification = IrqSetIrqHandler,
        /// `IRQClearIRQHandler`.
        Clear = IrqClearIrqHandler,
    }
}

family_labels! {
    /// The labels of the domain cap (`decodeDomainInvocation`).
    DomainLabel {
        /// `DomainSetSet`.
        SetSet = DomainSetSet,
        /// `DomainScheduleConfigure`.
        ScheduleConfigure = ScheduleConfigure,
        /// `DomainScheduleSetStart`.
        ScheduleSetStart = ScheduleSetStart,
    }
}

family_labels! {
    /// The labels of a VSpace cap (`decodeARMVSpaceRootInvocation`).
    VSpaceLabel {
        /// `ARMVSpaceClean_Data`.
        CleanData = ArmVSpaceCleanData,
        /// `ARMVSpaceInvalidate_Data`.
        InvalidateData = ArmVSpaceInvalidateData,
        /// `ARMVSpaceCleanInvalidate_Data`.
        CleanInvalidateData = ArmVSpaceCleanInvalidateData,
        /// `ARMVSpaceUnify_Instruction`.
        UnifyInstruction = ArmVSpaceUnifyInstruction,
    }
}

family_labels! {
    /// The labels of a page-table cap (`decodeARMPageTableInvocation`).
    PageTableLabel {
        /// `ARMPageTableMap`.
        Map = ArmPageTableMap,
        /// `ARMPageTableUnmap`.
        Unmap = ArmPageTableUnmap,
    }
}

family_labels! {
    /// The labels of a frame cap (`decodeARMFrameInvocation`).
    FrameLabel {
        /// `ARMPageMap`.
        Map = ArmPageMap,
        /// `ARMPageUnmap`.
        Unmap = ArmPageUnmap,
        /// `ARMPageClean_Data`.
        CleanData = ArmPageCleanData,
        /// `ARMPageInvalidate_Data`.
        InvalidateData = ArmPageInvalidateData,
        /// `ARMPageCleanInvalidate_Data`.
        CleanInvalidateData = ArmPageCleanInvalidateData,
        /// `ARMPageUnify_Instruction`.
        UnifyInstruction = ArmPageUnifyInstruction,
        /// `ARMPageGetAddress`.
        GetAddress = ArmPageGetAddress,
    }
}

family_labels! {
    /// The labels of the ASIDControl cap (`decodeARMASIDControlInvocation`).
    AsidControlLabel {
        /// `ARMASIDControlMakePool`.
        MakePool = ArmAsidControlMakePool,
    }
}

family_labels! {
    /// The labels of an ASID pool cap (`decodeARMASIDPoolInvocation`).
    AsidPoolLabel {
        /// `ARMASIDPoolAssign`.
        Assign = ArmAsidPoolAssign,
    }
}

#[cfg(test)]
mod tests {
    use super::InvocationLabel::{self, *};

    #[test]
    fn labels_are_pinned() {
        let expected: [(InvocationLabel, u64); 51] = [
            (InvalidInvocation, 0),
            (UntypedRetype, 1),
            (TcbReadRegisters, 2),
            (TcbWriteRegisters, 3),
            (TcbCopyRegisters, 4),
            (TcbConfigure, 5),
            (TcbSetPriority, 6),
            (TcbSetMcPriority, 7),
            (TcbSetSchedParams, 8),
            (TcbSetIpcBuffer, 9),
            (TcbSetSpace, 10),
            (TcbSuspend, 11),
            (TcbResume, 12),
            (TcbBindNotification, 13),
            (TcbUnbindNotification, 14),
            (TcbSetTlsBase, 15),
            (TcbSetFlags, 16),
            (CNodeRevoke, 17),
            (CNodeDelete, 18),
            (CNodeCancelBadgedSends, 19),
            (CNodeCopy, 20),
            (CNodeMint, 21),
            (CNodeMove, 22),
            (CNodeMutate, 23),
            (CNodeRotate, 24),
            (CNodeSaveCaller, 25),
            (IrqIssueIrqHandler, 26),
            (IrqAckIrq, 27),
            (IrqSetIrqHandler, 28),
            (IrqClearIrqHandler, 29),
            (DomainSetSet, 30),
            (ScheduleConfigure, 31),
            (ScheduleSetStart, 32),
            (ArmVSpaceCleanData, 33),
            (ArmVSpaceInvalidateData, 34),
            (ArmVSpaceCleanInvalidateData, 35),
            (ArmVSpaceUnifyInstruction, 36),
            (ArmSmcCall, 37),
            (ArmPageTableMap, 38),
            (ArmPageTableUnmap, 39),
            (ArmPageMap, 40),
            (ArmPageUnmap, 41),
            (ArmPageCleanData, 42),
            (ArmPageInvalidateData, 43),
            (ArmPageCleanInvalidateData, 44),
            (ArmPageUnifyInstruction, 45),
            (ArmPageGetAddress, 46),
            (ArmAsidControlMakePool, 47),
            (ArmAsidPoolAssign, 48),
            (ArmIrqIssueIrqHandlerTrigger, 49),
            (ArmIrqIssueSgiSignal, 50),
        ];
        for (label, n) in expected {
            assert_eq!(label.word(), n, "{label:?}");
            assert_eq!(InvocationLabel::from_word(n), Some(label));
        }
        assert_eq!(
            InvocationLabel::ALL.map(InvocationLabel::word),
            expected.map(|(_, n)| n)
        );
    }

    /// Every label but InvalidInvocation and ARMSMCCall (no SMC cap exists in this
    /// configuration) belongs to exactly one family, and each family's labels decode to it
    /// and to nothing else.
    #[test]
    fn families_partition_the_labels() {
        extern crate std;
        use super::*;
        use std::vec::Vec;
        fn members<F: Copy + Into<InvocationLabel> + TryFrom<u64>>(all: &[F]) -> Vec<u64> {
            let v: Vec<u64> = all.iter().map(|&f| f.into().word()).collect();
            for w in 0..64u64 {
                assert_eq!(F::try_from(w).is_ok(), v.contains(&w), "label {w}");
            }
            v
        }
        let mut seen = [
            members(UntypedLabel::ALL),
            members(TcbLabel::ALL),
            members(CNodeLabel::ALL),
            members(IrqControlLabel::ALL),
            members(IrqHandlerLabel::ALL),
            members(DomainLabel::ALL),
            members(VSpaceLabel::ALL),
            members(PageTableLabel::ALL),
            members(FrameLabel::ALL),
            members(AsidControlLabel::ALL),
            members(AsidPoolLabel::ALL),
        ]
        .concat();
        seen.sort_unstable();
        let expected: Vec<u64> = (1..=50).filter(|&w| w != ArmSmcCall.word()).collect();
        assert_eq!(seen, expected);
        assert_eq!(CNodeLabel::try_from(u64::MAX), Err(UnknownLabel(u64::MAX)));
        assert_eq!(
            TcbLabel::try_from(CNodeRevoke),
            Err(UnknownLabel(CNodeRevoke.word()))
        );
        assert_eq!(FrameLabel::try_from(42), Ok(FrameLabel::CleanData));
    }

    #[test]
    fn from_word_rejects_out_of_range() {
        for w in [51, 52, 1 << 20, (1 << 52) - 1, u64::MAX] {
            assert_eq!(InvocationLabel::from_word(w), None, "{w}");
        }
    }
}
