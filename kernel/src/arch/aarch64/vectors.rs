//! The exception vector table, the save of a user thread's registers into its TCB on entry
//! and their restore on exit.
//!
//! While a thread runs at EL0, SP_EL1 points at the saved-context area of its TCB
//! (`tcb::CONTEXT_OFFSET`, in the kernel window), so an exception stores the user registers
//! straight into the TCB, then moves to the kernel stack. Context layout (words):
//! x0..x30 at 0..30, SP_EL0 31, ELR_EL1 32, SPSR_EL1 33, TPIDR_EL0 34, TPIDRRO_EL0 35.

use core::arch::global_asm;

global_asm!(
    r#"
    .section .text.vectors, "ax"
    .balign 2048
    .global exception_vectors
exception_vectors:
    // Current EL with SP_EL0: never used by this kernel.
    .balign 0x80
    b       kernel_bad_vector
    .balign 0x80
    b       kernel_bad_vector
    .balign 0x80
    b       kernel_bad_vector
    .balign 0x80
    b       kernel_bad_vector
    // Current EL with SP_ELx: an exception inside the kernel.
    .balign 0x80
    b       kernel_sync_vector
    .balign 0x80
    b       kernel_bad_vector
    .balign 0x80
    b       kernel_bad_vector
    .balign 0x80
    b       kernel_bad_vector
    // Lower EL, AArch64: user threads. x0 carries the kind to el0_exception.
    .balign 0x80
    stp     x0, x1, [sp]
    mov     x0, #0
    b       el0_entry
    .balign 0x80
    stp     x0, x1, [sp]
    mov     x0, #1
    b       el0_entry
    .balign 0x80
    stp     x0, x1, [sp]
    mov     x0, #2
    b       el0_entry
    .balign 0x80
    stp     x0, x1, [sp]
    mov     x0, #3
    b       el0_entry
    // Lower EL, AArch32: user threads never run AArch32 (SPSR.M[4] is always clear).
    .balign 0x80
    b       kernel_bad_vector
    .balign 0x80
    b       kernel_bad_vector
    .balign 0x80
    b       kernel_bad_vector
    .balign 0x80
    b       kernel_bad_vector

el0_entry:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    mrs     x1, sp_el0
    stp     x30, x1, [sp, #240]
    mrs     x1, elr_el1
    mrs     x2, spsr_el1
    stp     x1, x2, [sp, #256]
    mrs     x1, tpidr_el0
    mrs     x2, tpidrro_el0
    stp     x1, x2, [sp, #272]
    ldr     x1, =__kernel_stack_top
    mov     sp, x1
    // A syscall (a synchronous exception of class SVC64) goes straight to el0_syscall.
    cbnz    x0, 1f
    mrs     x1, esr_el1
    lsr     x1, x1, #26
    cmp     x1, #0x15
    b.ne    1f
    bl      el0_syscall
1:  bl      el0_exception
    b       kernel_bad_vector

    // restore_user_context(context: *const u64) -> !
    .global restore_user_context
restore_user_context:
    mov     sp, x0
    ldp     x1, x2, [sp, #272]
    msr     tpidr_el0, x1
    msr     tpidrro_el0, x2
    ldp     x1, x2, [sp, #256]
    msr     elr_el1, x1
    msr     spsr_el1, x2
    ldp     x30, x1, [sp, #240]
    msr     sp_el0, x1
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    ldp     x0, x1, [sp]
    eret

kernel_sync_vector:
    ldr     x0, =__kernel_stack_top     // the kernel is dead anyway: take a fresh stack
    mov     sp, x0
    bl      kernel_exception
kernel_bad_vector:
    ldr     x0, =__kernel_stack_top
    mov     sp, x0
    bl      kernel_bad_exception
1:  wfe
    b       1b
"#
);

unsafe extern "C" {
    /// Loads the user context at `context` (a TCB's context area, kernel window address)
    /// and returns to EL0 with it.
    pub fn restore_user_context(context: u64) -> !;
}
