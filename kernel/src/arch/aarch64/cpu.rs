//! System registers and maintenance instructions the kernel uses outside the boot code.

use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::{ELR_EL1, ESR_EL1, FAR_EL1, TTBR0_EL1};
use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering};
use tock_registers::interfaces::{Readable, Writeable};

/// True if an IRQ is pending at this core (ISR_EL1.I), whether or not it is masked.
pub fn irq_pending() -> bool {
    let isr: u64;
    // SAFETY: reading ISR_EL1 has no side effects.
    unsafe { asm!("mrs {}, isr_el1", out(reg) isr, options(nomem, nostack, preserves_flags)) };
    isr & (1 << 7) != 0
}

/// The syndrome of the exception being handled.
pub fn esr() -> u64 {
    ESR_EL1.get()
}

/// The faulting virtual address of the abort being handled.
pub fn far() -> u64 {
    FAR_EL1.get()
}

/// The address the exception being handled returns to.
pub fn elr() -> u64 {
    ELR_EL1.get()
}

/// TTBR0_EL1: the user address space's translation table and ASID, as the MMU sees them.
#[cfg(feature = "trace")]
pub fn ttbr0() -> u64 {
    TTBR0_EL1.get()
}

/// The value this kernel last wrote to TTBR0_EL1 (0 until the first return to user level:
/// boot's identity tables are never a user address space).
static USER_TTBR0: AtomicU64 = AtomicU64::new(0);

/// Makes the VSpace at `root_pa` with `asid` the user address space. Writing the value
/// TTBR0 already holds would change nothing (page-table changes flush the TLB themselves),
/// so a return to the same address space skips the write and its barrier.
#[inline]
pub fn set_user_vspace(root_pa: u64, asid: u16) {
    let v = root_pa | (asid as u64) << 48;
    if USER_TTBR0.load(Ordering::Relaxed) != v {
        USER_TTBR0.store(v, Ordering::Relaxed);
        TTBR0_EL1.set(v);
        barrier::isb(barrier::SY);
    }
}

/// Orders page-table writes before later walks and drops every EL1&0 TLB entry.
pub fn flush_tlb() {
    // SAFETY: barriers and TLB invalidation change no memory and no register the compiler
    // knows about; they only make earlier page-table writes take effect.
    unsafe {
        asm!(
            "dsb ishst",
            "tlbi vmalle1",
            "dsb ish",
            "isb",
            options(nostack, preserves_flags)
        )
    };
}

/// Orders page-table writes before later walks and drops the TLB entries of one ASID, or
/// of one page of it.
pub fn flush_tlb_asid(asid: u16, page: Option<u64>) {
    let a = (asid as u64) << 48;
    // SAFETY: barriers and TLB invalidation by ASID (or ASID and address) change no memory
    // and no register the compiler knows about.
    unsafe {
        match page {
            Some(va) => {
                asm!("dsb ishst", "tlbi vae1is, {}", "dsb ish", "isb", in(reg) a | (va >> 12) & ((1 << 44) - 1), options(nostack, preserves_flags))
            }
            None => {
                asm!("dsb ishst", "tlbi aside1is, {}", "dsb ish", "isb", in(reg) a, options(nostack, preserves_flags))
            }
        }
    }
}

/// Waits for an interrupt or event (power saving while there is nothing to do).
pub fn wait_for_event() {
    aarch64_cpu::asm::wfe();
}

/// Waits for an interrupt (it wakes the core even while IRQs are masked).
pub fn wait_for_interrupt() {
    aarch64_cpu::asm::wfi();
}

/// Cache maintenance by virtual address over `[va, va + len)` (64-byte lines).
pub fn cache_op(op: crate::machine::CacheOp, va: u64, len: u64) {
    use crate::machine::CacheOp;
    let mut a = va & !63;
    while a < va + len {
        // SAFETY: data-cache maintenance by VA on memory mapped in the kernel window changes
        // no architectural state the compiler tracks; an invalidate is asked for by the
        // owner of the frame, whose contents are its own concern.
        unsafe {
            match op {
                CacheOp::Clean => asm!("dc cvac, {}", in(reg) a, options(nostack)),
                CacheOp::Invalidate => asm!("dc civac, {}", in(reg) a, options(nostack)),
                CacheOp::CleanInvalidate => asm!("dc civac, {}", in(reg) a, options(nostack)),
                CacheOp::Unify => asm!("dc cvau, {0}", "ic ivau, {0}", in(reg) a, options(nostack)),
            }
        }
        a += 64;
    }
    // SAFETY: barriers only.
    unsafe { asm!("dsb ish", "isb", options(nostack, preserves_flags)) };
}
