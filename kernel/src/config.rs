//! Build-time configuration, as seL4's Kconfig options (set through environment variables).
#![forbid(unsafe_code)]

include!(concat!(env!("OUT_DIR"), "/config.rs"));

/// Slots in the root CNode.
pub const ROOT_CNODE_SLOTS: u64 = 1 << ROOT_CNODE_SIZE_BITS;

/// Physical addresses below this can be handed out as device untyped (seL4's
/// CONFIG_PADDR_USER_DEVICE_TOP). 2^40 is the smallest physical address size of the CPUs
/// we support (Cortex-A53), so the BootInfo is the same whatever `-cpu` says.
pub const PADDR_USER_DEVICE_TOP: u64 = 1 << 40;

/// Priority of the root task's thread (seL4_MaxPrio), also its maximum controlled priority.
pub const ROOT_TASK_PRIORITY: u64 = sel4_abi::MAX_PRIO;
