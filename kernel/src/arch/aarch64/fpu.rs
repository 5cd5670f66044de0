//! Lazy FP/SIMD switching, as seL4 does it: the registers belong to one thread at a time
//! (`KernelState::fpu_owner`); EL0 FP access traps for any other thread, and the trap saves
//! the owner's registers into its TCB and loads the new thread's. The kernel itself is
//! built soft-float and never touches them.

use super::KERNEL_WINDOW;
use crate::model::tcb::FPU_OFFSET;
use aarch64_cpu::registers::CPACR_EL1;
use core::arch::{asm, global_asm};
use core::sync::atomic::{AtomicBool, Ordering};
use tock_registers::interfaces::ReadWriteable;

global_asm!(
    r#"
    .arch_extension fp
    .arch_extension simd
    .section .text.fpu, "ax"
    // fpu_save(area: *mut [u128; 32] followed by fpsr, fpcr)
    .global fpu_save
fpu_save:
    stp     q0, q1, [x0, #0]
    stp     q2, q3, [x0, #32]
    stp     q4, q5, [x0, #64]
    stp     q6, q7, [x0, #96]
    stp     q8, q9, [x0, #128]
    stp     q10, q11, [x0, #160]
    stp     q12, q13, [x0, #192]
    stp     q14, q15, [x0, #224]
    stp     q16, q17, [x0, #256]
    stp     q18, q19, [x0, #288]
    stp     q20, q21, [x0, #320]
    stp     q22, q23, [x0, #352]
    stp     q24, q25, [x0, #384]
    stp     q26, q27, [x0, #416]
    stp     q28, q29, [x0, #448]
    stp     q30, q31, [x0, #480]
    mrs     x1, fpsr
    mrs     x2, fpcr
    add     x3, x0, #512
    stp     x1, x2, [x3]
    ret
    .global fpu_restore
fpu_restore:
    ldp     q0, q1, [x0, #0]
    ldp     q2, q3, [x0, #32]
    ldp     q4, q5, [x0, #64]
    ldp     q6, q7, [x0, #96]
    ldp     q8, q9, [x0, #128]
    ldp     q10, q11, [x0, #160]
    ldp     q12, q13, [x0, #192]
    ldp     q14, q15, [x0, #224]
    ldp     q16, q17, [x0, #256]
    ldp     q18, q19, [x0, #288]
    ldp     q20, q21, [x0, #320]
    ldp     q22, q23, [x0, #352]
    ldp     q24, q25, [x0, #384]
    ldp     q26, q27, [x0, #416]
    ldp     q28, q29, [x0, #448]
    ldp     q30, q31, [x0, #480]
    add     x3, x0, #512
    ldp     x1, x2, [x3]
    msr     fpsr, x1
    msr     fpcr, x2
    ret
"#
);

unsafe extern "C" {
    fn fpu_save(area: u64);
    fn fpu_restore(area: u64);
}

/// Whether EL0 may use the FP/SIMD registers right now (mirrors CPACR_EL1.FPEN).
static EL0_ENABLED: AtomicBool = AtomicBool::new(true);

/// Lets EL0 use the FP/SIMD unit (`true`) or makes its use trap to the kernel.
#[inline(always)]
pub fn set_el0_access(enabled: bool) {
    // A load and a store, not a swap: one core, interrupts masked in the kernel.
    if EL0_ENABLED.load(Ordering::Relaxed) == enabled {
        return;
    }
    EL0_ENABLED.store(enabled, Ordering::Relaxed);
    let fpen = if enabled {
        CPACR_EL1::FPEN::TrapNothing
    } else {
        CPACR_EL1::FPEN::TrapEl0
    };
    CPACR_EL1.modify(fpen);
    // SAFETY: a barrier only: the new trap setting applies from here on.
    unsafe { asm!("isb", options(nostack, preserves_flags)) };
}

/// Hands the FP/SIMD registers from `from` (if any) to `to`: saves `from`'s into its TCB,
/// loads `to`'s. Both are live TCBs (physical addresses).
pub fn switch(from: Option<u64>, to: u64) {
    set_el0_access(true);
    if let Some(f) = from {
        // SAFETY: the area is the 528-byte FP/SIMD save area inside a live TCB, mapped in
        // the kernel window; the registers belong to `f` (the owner) until now.
        unsafe { fpu_save(KERNEL_WINDOW + f + FPU_OFFSET) };
    }
    // SAFETY: as above, `to`'s area holds its saved registers (zero for a new thread: a
    // valid, default FP state).
    unsafe { fpu_restore(KERNEL_WINDOW + to + FPU_OFFSET) };
}

/// Whether user level's FP/SIMD instructions run rather than trap, read from CPACR_EL1
/// itself (feature `trace`: the trace records it at every entry).
#[cfg(feature = "trace")]
pub fn el0_access() -> bool {
    use tock_registers::interfaces::Readable;
    CPACR_EL1.matches_all(CPACR_EL1::FPEN::TrapNothing)
}
