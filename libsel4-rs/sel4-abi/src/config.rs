//! The kernel configuration this ABI describes: seL4's Kconfig options (and platform facts
//! of QEMU's `virt` board) that user level can observe, as the default AArch64 build sets
//! them. The kernel and the specification take them from here.

/// Scheduling domains (`CONFIG_NUM_DOMAINS`).
pub const NUM_DOMAINS: u64 = 1;
/// Entries in the domain schedule (`CONFIG_NUM_DOMAIN_SCHEDULES`).
pub const NUM_DOMAIN_SCHEDULES: usize = 2;
/// The longest duration a domain schedule entry holds: 56 bits (seL4 packs the domain into
/// the top 8 of a 64-bit word).
pub const MAX_DOMAIN_DURATION: u64 = u64::MAX >> 8;
/// Timer ticks a thread runs before round robin moves on (`CONFIG_TIME_SLICE`).
pub const TIME_SLICE: u64 = 5;
/// Milliseconds between timer ticks (`CONFIG_TIMER_TICK_MS`).
pub const TIMER_TICK_MS: u64 = 2;
/// Units of long-running work (a slot cleared, a child revoked, a chunk zeroed) between
/// checks for a pending interrupt (`CONFIG_MAX_NUM_WORK_UNITS_PER_PREEMPTION`).
pub const MAX_NUM_WORK_UNITS_PER_PREEMPTION: u64 = 100;
/// log2 of the bytes an untyped reset zeroes between preemption checks
/// (`CONFIG_RESET_CHUNK_BITS`).
pub const RESET_CHUNK_BITS: u64 = 8;
/// The kernel timer's interrupt: the EL1 virtual timer's private peripheral interrupt on the
/// `virt` board (`KERNEL_TIMER_IRQ`). IRQControl refuses it.
pub const KERNEL_TIMER_IRQ: u64 = 27;
/// Software-generated interrupts a GIC has (`NUM_SGIS`): IssueSGISignal takes 0..16.
pub const NUM_SGIS: u64 = 16;
/// CPU interfaces a GICv2 can target with an SGI (`GIC_SGI_TARGETS` of `plat_SGITargetValid`).
pub const GICV2_SGI_TARGETS: u64 = 8;
/// The ASID of the root task's VSpace (`IT_ASID`).
pub const IT_ASID: u16 = 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_pinned() {
        assert_eq!((NUM_DOMAINS, NUM_DOMAIN_SCHEDULES), (1, 2));
        assert_eq!(MAX_DOMAIN_DURATION, 0x00ff_ffff_ffff_ffff);
        assert_eq!((TIME_SLICE, TIMER_TICK_MS), (5, 2));
        assert_eq!(
            (MAX_NUM_WORK_UNITS_PER_PREEMPTION, RESET_CHUNK_BITS),
            (100, 8)
        );
        assert_eq!((KERNEL_TIMER_IRQ, NUM_SGIS, GICV2_SGI_TARGETS), (27, 16, 8));
        assert_eq!(IT_ASID, 1);
    }
}
