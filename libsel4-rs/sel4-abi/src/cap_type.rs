//! Capability type tags: what `seL4_DebugCapIdentify` returns for a slot.
//!
//! These are the 5-bit `capType` tags of seL4's AArch64 cap layout
//! (`include/object/structures_64.bf` and `include/arch/arm/arch/64/mode/object/structures.bf`).
//! Generic caps have even tags, Arm caps odd ones. Some tags exist only in some
//! configurations; the variant docs say which. In ours (non-MCS, no hypervisor, no SMMU,
//! single core) the live arch tags are Frame, PageTable, VSpace, AsidControl, AsidPool,
//! SgiSignal, and Smc when SMC calls are allowed.

/// A capability's type tag (seL4's `cap_tag_t`, AArch64).
#[repr(u64)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CapType {
    /// `cap_null_cap`: an empty slot.
    Null = 0,
    /// `cap_untyped_cap`.
    Untyped = 2,
    /// `cap_endpoint_cap`.
    Endpoint = 4,
    /// `cap_notification_cap`.
    Notification = 6,
    /// `cap_reply_cap`.
    Reply = 8,
    /// `cap_cnode_cap`.
    CNode = 10,
    /// `cap_thread_cap`: a TCB.
    Thread = 12,
    /// `cap_irq_control_cap`.
    IrqControl = 14,
    /// `cap_irq_handler_cap`.
    IrqHandler = 16,
    /// `cap_zombie_cap`: a TCB or CNode being destroyed.
    Zombie = 18,
    /// `cap_domain_cap`.
    Domain = 20,
    /// `cap_sched_context_cap` (MCS only).
    SchedContext = 22,
    /// `cap_sched_control_cap` (MCS only).
    SchedControl = 24,
    /// `cap_frame_cap`: a page of any size.
    Frame = 1,
    /// `cap_page_table_cap`.
    PageTable = 3,
    /// `cap_vspace_cap`: a top-level translation table.
    VSpace = 9,
    /// `cap_asid_control_cap`.
    AsidControl = 11,
    /// `cap_asid_pool_cap`.
    AsidPool = 13,
    /// `cap_vcpu_cap` (hypervisor support only).
    Vcpu = 15,
    /// `cap_sid_control_cap` (SMMU only).
    SidControl = 17,
    /// `cap_sid_cap` (SMMU only).
    Sid = 19,
    /// `cap_cb_control_cap` (SMMU only).
    CbControl = 21,
    /// `cap_cb_cap` (SMMU only).
    Cb = 23,
    /// `cap_smc_cap` (`CONFIG_ALLOW_SMC_CALLS` only).
    Smc = 25,
    /// `cap_sgi_signal_cap` (single-core configurations only).
    SgiSignal = 27,
}

impl CapType {
    /// Every tag, generic ones first, each group in numeric order.
    pub const ALL: [CapType; 25] = [
        CapType::Null,
        CapType::Untyped,
        CapType::Endpoint,
        CapType::Notification,
        CapType::Reply,
        CapType::CNode,
        CapType::Thread,
        CapType::IrqControl,
        CapType::IrqHandler,
        CapType::Zombie,
        CapType::Domain,
        CapType::SchedContext,
        CapType::SchedControl,
        CapType::Frame,
        CapType::PageTable,
        CapType::VSpace,
        CapType::AsidControl,
        CapType::AsidPool,
        CapType::Vcpu,
        CapType::SidControl,
        CapType::Sid,
        CapType::CbControl,
        CapType::Cb,
        CapType::Smc,
        CapType::SgiSignal,
    ];

    /// The tag as `seL4_DebugCapIdentify` returns it.
    pub const fn word(self) -> u64 {
        self as u64
    }

    /// Decodes a tag; `None` if no AArch64 cap has it.
    pub fn from_word(w: u64) -> Option<CapType> {
        Self::ALL.into_iter().find(|t| t.word() == w)
    }

    /// Whether this is an architecture-specific cap (odd tags; seL4's `isArchCap`).
    pub const fn is_arch(self) -> bool {
        self.word() & 1 == 1
    }
}

#[cfg(test)]
mod tests {
    use super::CapType;

    #[test]
    fn tags_are_pinned() {
        let expected = [
            (CapType::Null, 0),
            (CapType::Untyped, 2),
            (CapType::Endpoint, 4),
            (CapType::Notification, 6),
            (CapType::Reply, 8),
            (CapType::CNode, 10),
            (CapType::Thread, 12),
            (CapType::IrqControl, 14),
            (CapType::IrqHandler, 16),
            (CapType::Zombie, 18),
            (CapType::Domain, 20),
            (CapType::SchedContext, 22),
            (CapType::SchedControl, 24),
            (CapType::Frame, 1),
            (CapType::PageTable, 3),
            (CapType::VSpace, 9),
            (CapType::AsidControl, 11),
            (CapType::AsidPool, 13),
            (CapType::Vcpu, 15),
            (CapType::SidControl, 17),
            (CapType::Sid, 19),
            (CapType::CbControl, 21),
            (CapType::Cb, 23),
            (CapType::Smc, 25),
            (CapType::SgiSignal, 27),
        ];
        for (t, n) in expected {
            assert_eq!(t.word(), n, "{t:?}");
            assert_eq!(CapType::from_word(n), Some(t));
            assert_eq!(t.is_arch(), n % 2 == 1, "{t:?}");
        }
        assert_eq!(CapType::ALL.map(CapType::word), expected.map(|(_, n)| n));
    }

    #[test]
    fn from_word_rejects_unused_tags() {
        // 5, 7: the old PageDirectory / PageUpperDirectory tags, gone since seL4 13.
        for w in [5, 7, 26, 28, 29, 30, 31, 32, u64::MAX] {
            assert_eq!(CapType::from_word(w), None, "{w}");
        }
    }
}
