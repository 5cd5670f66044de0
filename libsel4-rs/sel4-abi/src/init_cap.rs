//! The root CNode's fixed slots: where the root task finds its initial capabilities.
//!
//! Slots for features a configuration lacks (IO ports, IOMMU, SMMU, MCS, SMC) hold null caps.

/// `seL4_CapNull`: always empty.
pub const NULL: u64 = 0;
/// `seL4_CapInitThreadTCB`: the root task's TCB.
pub const INIT_THREAD_TCB: u64 = 1;
/// `seL4_CapInitThreadCNode`: the root CNode itself.
pub const INIT_THREAD_CNODE: u64 = 2;
/// `seL4_CapInitThreadVSpace`: the root task's VSpace.
pub const INIT_THREAD_VSPACE: u64 = 3;
/// `seL4_CapIRQControl`: the IRQ controller.
pub const IRQ_CONTROL: u64 = 4;
/// `seL4_CapASIDControl`: the ASID controller (makes ASID pools).
pub const ASID_CONTROL: u64 = 5;
/// `seL4_CapInitThreadASIDPool`: the ASID pool of the root task's VSpace.
pub const INIT_THREAD_ASID_POOL: u64 = 6;
/// `seL4_CapIOPortControl`: x86 IO ports (null on Arm).
pub const IO_PORT_CONTROL: u64 = 7;
/// `seL4_CapIOSpace`: IOMMU space (null without an IOMMU).
pub const IO_SPACE: u64 = 8;
/// `seL4_CapBootInfoFrame`: the BootInfo frame.
pub const BOOT_INFO_FRAME: u64 = 9;
/// `seL4_CapInitThreadIPCBuffer`: the root task's IPC buffer frame.
pub const INIT_THREAD_IPC_BUFFER: u64 = 10;
/// `seL4_CapDomain`: the domain controller.
pub const DOMAIN: u64 = 11;
/// `seL4_CapSMMUSIDControl`: SMMU stream-id control (null without an SMMU).
pub const SMMU_SID_CONTROL: u64 = 12;
/// `seL4_CapSMMUCBControl`: SMMU context-bank control (null without an SMMU).
pub const SMMU_CB_CONTROL: u64 = 13;
/// `seL4_CapInitThreadSC`: the root task's scheduling context (MCS; null otherwise).
pub const INIT_THREAD_SC: u64 = 14;
/// `seL4_CapSMC`: the SMC cap (null unless SMC calls are allowed).
pub const SMC: u64 = 15;
/// `seL4_NumInitialCaps`: the first slot after the fixed ones.
pub const NUM_INITIAL_CAPS: u64 = 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_pinned() {
        let slots = [
            NULL,
            INIT_THREAD_TCB,
            INIT_THREAD_CNODE,
            INIT_THREAD_VSPACE,
            IRQ_CONTROL,
            ASID_CONTROL,
            INIT_THREAD_ASID_POOL,
            IO_PORT_CONTROL,
            IO_SPACE,
            BOOT_INFO_FRAME,
            INIT_THREAD_IPC_BUFFER,
            DOMAIN,
            SMMU_SID_CONTROL,
            SMMU_CB_CONTROL,
            INIT_THREAD_SC,
            SMC,
            NUM_INITIAL_CAPS,
        ];
        assert_eq!(
            slots,
            [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]
        );
    }
}
