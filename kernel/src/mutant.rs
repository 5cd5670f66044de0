//! Deliberate kernel bugs behind a switch, so the refinement tests can prove they catch them.
//!
//! Built only with the `mutants` feature (the refinement tests' mutant run); without it
//! [`on`] is a constant `false` and every mutation point compiles away. At most one mutant
//! is active at a time, chosen at run time with [`set`].
#![forbid(unsafe_code)]

/// The mutants: each names the bug it plants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Mutant {
    /// Mint keeps the source's rights instead of masking them.
    MintIgnoresRightsMask = 1,
    /// Mint leaves the new endpoint or notification cap unbadged.
    MintDropsBadge,
    /// Mint re-badges a cap that already has a badge (seL4 refuses).
    RebadgeAllowed,
    /// Retype aligns objects to half their size.
    RetypeAlignmentOffByOne,
    /// Retype does not advance the untyped's watermark.
    WatermarkNotAdvanced,
    /// Revoke leaves the last child in place.
    RevokeLeavesOneChild,
    /// Signal overwrites the pending badge instead of OR-ing into it.
    NotificationBadgeOverwritten,
    /// SetPriority / SetMCPriority skip the MCP authority check.
    PriorityAboveMcp,
    /// An untyped cap with children can be copied.
    UntypedCopyWithChildren,
    /// A CNode operation on an empty source reports 0 bits left instead of the depth.
    MissingCapabilityBitsLeft,
    /// A receiver gets badge 0 instead of the sender's badge.
    BadgeNotDelivered,
    /// Caps are transferred through an endpoint cap without the Grant right.
    CapTransferWithoutGrant,
    /// The scheduler picks the lowest ready priority instead of the highest.
    LowerPriorityScheduled,
    /// PageUnmap leaves the frame cap recording its old mapping.
    UnmapKeepsMapping,
    /// A message sent without IPC buffers keeps its full length instead of the registers'.
    MessageNotTruncated,
    /// A frame mapped with ExecuteNever is still executable (its descriptor's UXN clear).
    PteExecuteNeverIgnored,
    /// A read-only frame mapping's descriptor lets user level write.
    PteReadOnlyWritable,
    /// PageUnmap clears the cap's mapping but leaves the page-table entry.
    UnmapLeavesPte,
    /// PageTableUnmap leaves the parent's entry pointing at the table.
    PageTableUnmapLeavesEntry,
    /// Deleting a VSpace leaves its ASID naming it in the pool.
    DeleteAsidLeavesEntry,
    /// A thread whose time slice ends gets one tick less than a full slice.
    TimeSliceRefilledShort,
    /// The scheduler leaves ChooseNewThread as its action after choosing.
    SchedulerActionNotReset,
    /// The exception decoding takes a data abort for an instruction abort and back.
    AbortKindSwapped,
    /// IRQHandler Ack leaves the line masked at the interrupt controller.
    AckLeavesMasked,
    /// IssueIRQHandlerTrigger does not configure the line's trigger.
    IrqTriggerIgnored,
    /// Deleting a line's last handler cap leaves the line enabled.
    DeletedHandlerLeavesUnmasked,
    /// PageTableUnmap leaves the table's entries in place (seL4 clears the table).
    PageTableUnmapKeepsEntries,
    /// A cap unwrapped to its badge sets the message's unwrapped bit but does not write
    /// the badge into the receiver's IPC buffer.
    UnwrappedBadgeNotWritten,
    /// A message copied between IPC buffers loses its last buffer word.
    LastMessageWordNotCopied,
    /// An untyped reset lowers the watermark without clearing the memory.
    ResetLeavesMemory,
    /// TCB SetFlags replies with the new flags but does not store them.
    TcbFlagsNotStored,
    /// BootInfo's empty region starts one slot after the first empty slot. (Boot runs
    /// before the QEMU kernel reads its command line: this one is planted on the host.)
    BootInfoEmptyOffByOne,
    /// The IPC fastpath delivers badge 0 instead of the endpoint cap's badge.
    FastpathBadgeNotDelivered,
    /// The IPC fastpath's priority check is inverted: it switches to a Call's receiver that
    /// a higher ready thread should wait behind, and leaves the rest to the general path.
    FastpathPriorityInverted,
    /// The IPC fastpath's ReplyRecv leaves the used reply cap in the Caller slot.
    FastpathReplyCapLeft,
    /// The IPC fastpath's Call gives the receiver no reply cap.
    FastpathNoReplyCap,
    /// The IPC fastpath takes a 5-word message (one more than the message registers).
    FastpathLongMessage,
    /// The IPC fastpath's Call leaves the endpoint in the receiving state when it takes the
    /// last receiver.
    FastpathEndpointNotIdled,
    /// The arch layer returns to a thread with the wrong ASID in TTBR0 (one of
    /// [`Mutant::ARCH`]: the host harness has no arch layer).
    WrongAsidOnExit,
    /// The arch layer returns to a thread without a valid VSpace in the previous thread's
    /// address space instead of the empty one.
    EmptyVSpaceSkipped,
}

impl Mutant {
    /// Every mutant, in order.
    pub const ALL: [Mutant; 38] = [
        Mutant::MintIgnoresRightsMask,
        Mutant::MintDropsBadge,
        Mutant::RebadgeAllowed,
        Mutant::RetypeAlignmentOffByOne,
        Mutant::WatermarkNotAdvanced,
        Mutant::RevokeLeavesOneChild,
        Mutant::NotificationBadgeOverwritten,
        Mutant::PriorityAboveMcp,
        Mutant::UntypedCopyWithChildren,
        Mutant::MissingCapabilityBitsLeft,
        Mutant::BadgeNotDelivered,
        Mutant::CapTransferWithoutGrant,
        Mutant::LowerPriorityScheduled,
        Mutant::UnmapKeepsMapping,
        Mutant::MessageNotTruncated,
        Mutant::PteExecuteNeverIgnored,
        Mutant::PteReadOnlyWritable,
        Mutant::UnmapLeavesPte,
        Mutant::PageTableUnmapLeavesEntry,
        Mutant::DeleteAsidLeavesEntry,
        Mutant::TimeSliceRefilledShort,
        Mutant::SchedulerActionNotReset,
        Mutant::AbortKindSwapped,
        Mutant::AckLeavesMasked,
        Mutant::IrqTriggerIgnored,
        Mutant::DeletedHandlerLeavesUnmasked,
        Mutant::PageTableUnmapKeepsEntries,
        Mutant::UnwrappedBadgeNotWritten,
        Mutant::LastMessageWordNotCopied,
        Mutant::ResetLeavesMemory,
        Mutant::TcbFlagsNotStored,
        Mutant::BootInfoEmptyOffByOne,
        Mutant::FastpathBadgeNotDelivered,
        Mutant::FastpathPriorityInverted,
        Mutant::FastpathReplyCapLeft,
        Mutant::FastpathNoReplyCap,
        Mutant::FastpathLongMessage,
        Mutant::FastpathEndpointNotIdled,
    ];

    /// The mutants of the arch layer's return to user level: only the QEMU kernel has
    /// them, so only QEMU traces can catch them (`tests/qemu_programs.rs`).
    pub const ARCH: [Mutant; 2] = [Mutant::WrongAsidOnExit, Mutant::EmptyVSpaceSkipped];

    /// The mutant's name, as written in the source (how a QEMU run chooses one:
    /// `cargo xtask refine --record PROGRAM --mutant NAME`).
    pub const fn name(self) -> &'static str {
        match self {
            Mutant::MintIgnoresRightsMask => "MintIgnoresRightsMask",
            Mutant::MintDropsBadge => "MintDropsBadge",
            Mutant::RebadgeAllowed => "RebadgeAllowed",
            Mutant::RetypeAlignmentOffByOne => "RetypeAlignmentOffByOne",
            Mutant::WatermarkNotAdvanced => "WatermarkNotAdvanced",
            Mutant::RevokeLeavesOneChild => "RevokeLeavesOneChild",
            Mutant::NotificationBadgeOverwritten => "NotificationBadgeOverwritten",
            Mutant::PriorityAboveMcp => "PriorityAboveMcp",
            Mutant::UntypedCopyWithChildren => "UntypedCopyWithChildren",
            Mutant::MissingCapabilityBitsLeft => "MissingCapabilityBitsLeft",
            Mutant::BadgeNotDelivered => "BadgeNotDelivered",
            Mutant::CapTransferWithoutGrant => "CapTransferWithoutGrant",
            Mutant::LowerPriorityScheduled => "LowerPriorityScheduled",
            Mutant::UnmapKeepsMapping => "UnmapKeepsMapping",
            Mutant::MessageNotTruncated => "MessageNotTruncated",
            Mutant::PteExecuteNeverIgnored => "PteExecuteNeverIgnored",
            Mutant::PteReadOnlyWritable => "PteReadOnlyWritable",
            Mutant::UnmapLeavesPte => "UnmapLeavesPte",
            Mutant::PageTableUnmapLeavesEntry => "PageTableUnmapLeavesEntry",
            Mutant::DeleteAsidLeavesEntry => "DeleteAsidLeavesEntry",
            Mutant::TimeSliceRefilledShort => "TimeSliceRefilledShort",
            Mutant::SchedulerActionNotReset => "SchedulerActionNotReset",
            Mutant::AbortKindSwapped => "AbortKindSwapped",
            Mutant::AckLeavesMasked => "AckLeavesMasked",
            Mutant::IrqTriggerIgnored => "IrqTriggerIgnored",
            Mutant::DeletedHandlerLeavesUnmasked => "DeletedHandlerLeavesUnmasked",
            Mutant::PageTableUnmapKeepsEntries => "PageTableUnmapKeepsEntries",
            Mutant::UnwrappedBadgeNotWritten => "UnwrappedBadgeNotWritten",
            Mutant::LastMessageWordNotCopied => "LastMessageWordNotCopied",
            Mutant::ResetLeavesMemory => "ResetLeavesMemory",
            Mutant::TcbFlagsNotStored => "TcbFlagsNotStored",
            Mutant::BootInfoEmptyOffByOne => "BootInfoEmptyOffByOne",
            Mutant::FastpathBadgeNotDelivered => "FastpathBadgeNotDelivered",
            Mutant::FastpathPriorityInverted => "FastpathPriorityInverted",
            Mutant::FastpathReplyCapLeft => "FastpathReplyCapLeft",
            Mutant::FastpathNoReplyCap => "FastpathNoReplyCap",
            Mutant::FastpathLongMessage => "FastpathLongMessage",
            Mutant::FastpathEndpointNotIdled => "FastpathEndpointNotIdled",
            Mutant::WrongAsidOnExit => "WrongAsidOnExit",
            Mutant::EmptyVSpaceSkipped => "EmptyVSpaceSkipped",
        }
    }

    /// The mutant of this name.
    pub fn from_name(name: &[u8]) -> Option<Mutant> {
        Mutant::ALL
            .into_iter()
            .chain(Mutant::ARCH)
            .find(|m| m.name().as_bytes() == name)
    }
}

#[cfg(feature = "mutants")]
static ACTIVE: core::sync::atomic::AtomicU8 = core::sync::atomic::AtomicU8::new(0);

/// Activates `m` (or none): the kernel misbehaves in that one way from now on.
#[cfg(feature = "mutants")]
pub fn set(m: Option<Mutant>) {
    ACTIVE.store(
        m.map_or(0, |m| m as u8),
        core::sync::atomic::Ordering::SeqCst,
    );
}

/// The active mutant.
#[cfg(feature = "mutants")]
pub fn active() -> Option<Mutant> {
    let v = ACTIVE.load(core::sync::atomic::Ordering::SeqCst);
    Mutant::ALL
        .into_iter()
        .chain(Mutant::ARCH)
        .find(|&m| m as u8 == v)
}

/// Whether mutant `m` is active.
#[inline(always)]
pub fn on(m: Mutant) -> bool {
    #[cfg(feature = "mutants")]
    {
        ACTIVE.load(core::sync::atomic::Ordering::Relaxed) == m as u8
    }
    #[cfg(not(feature = "mutants"))]
    {
        let _ = m;
        false
    }
}
