//! The first instructions: drop from EL2 to EL1 if needed, zero .bss, build the boot page
//! tables, turn the MMU on and jump to the kernel's upper-half address.
//!
//! QEMU enters `_start` at its physical address with the MMU off, at EL1 (or EL2 with
//! `virtualization=on`). Until the jump, code runs at physical addresses, so it uses only
//! PC-relative addressing (`adr`, `adrp`) to reach its data.
//!
//! Boot tables: TTBR0 maps the kernel's own gigabyte (0x4000_0000) one to one, only long
//! enough to jump; TTBR1 maps the kernel window (`KERNEL_WINDOW + pa`), gigabyte 0 as
//! device memory (the `virt` board's MMIO) and gigabyte 1 as normal memory. Rust code maps
//! the rest of RAM once it has read the device tree (`entry::map_ram`).

use core::arch::global_asm;

global_asm!(
    r#"
    .section .text.boot, "ax"
    .global _start
_start:
    mrs     x1, mpidr_el1
    and     x1, x1, #0xff
    cbnz    x1, 9f                      // one core: the others wait forever
    mrs     x20, CurrentEL
    lsr     x20, x20, #2                // x20 = the EL we were entered at (for the log)
    cmp     x20, #2
    b.eq    2f
    cmp     x20, #1
    b.eq    3f
9:  wfe
    b       9b

2:  // Entered at EL2: configure it to stay out of the way and run the kernel at EL1.
    mov     x1, #(1 << 31)              // HCR_EL2.RW: EL1 runs AArch64; nothing trapped
    msr     hcr_el2, x1
    mrs     x1, cnthctl_el2
    orr     x1, x1, #3                  // EL1 may use the physical counter and timer
    msr     cnthctl_el2, x1
    msr     cntvoff_el2, xzr
    mov     x1, #0x33ff                 // CPTR_EL2: FP/SIMD not trapped
    msr     cptr_el2, x1
    msr     hstr_el2, xzr
    msr     vttbr_el2, xzr
    mrs     x1, pmcr_el0
    ubfx    x1, x1, #11, #5             // MDCR_EL2.HPMN = all counters; PMU not trapped
    msr     mdcr_el2, x1
    mrs     x1, id_aa64pfr0_el1
    ubfx    x1, x1, #24, #4             // GIC system-register interface present?
    cbz     x1, 1f
    mov     x1, #0xf                    // ICC_SRE_EL2: SRE, and let EL1 use ICC_* registers
    msr     S3_4_C12_C9_5, x1
    isb
    msr     S3_4_C12_C11_0, xzr         // ICH_HCR_EL2: no virtual interrupts
1:  mov     x1, #0x3c5                  // SPSR: EL1h, DAIF masked
    msr     spsr_el2, x1
    adr     x1, 3f
    msr     elr_el2, x1
    eret

3:  // EL1, MMU off.
    msr     daifset, #0xf
    mrs     x1, pmcr_el0                // PMU cycle counter on from here, readable at EL0:
    orr     x1, x1, #1                  // under -icount shift=0 it counts instructions, so
    msr     pmcr_el0, x1                // benchmarks can read "power-on to root task"
    mov     x1, #(1 << 31)
    msr     pmcntenset_el0, x1
    mov     x1, #5                      // PMUSERENR_EL0: EN | CR
    msr     pmuserenr_el0, x1
    ldr     x1, =0x30d00800             // SCTLR_EL1: reserved-one bits; MMU and caches off
    msr     sctlr_el1, x1
    isb
    adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
4:  cmp     x1, x2
    b.hs    5f
    stp     xzr, xzr, [x1], #16
    b       4b

5:  // Boot page tables (all in .bss, so already zero).
    adrp    x1, boot_l0_ident
    adrp    x2, boot_l1_ident
    orr     x3, x2, #3                  // table descriptor
    str     x3, [x1]                    // L0[0] -> L1 identity
    ldr     x3, =0x0040000040000709     // 1 GiB block at 0x4000_0000: normal, EL1 RWX
    str     x3, [x2, #8]
    adrp    x1, boot_l0_high
    adrp    x2, boot_l1_high
    orr     x3, x2, #3
    str     x3, [x1, #(256 * 8)]        // L0[256] covers 0xffff_8000_0000_0000
    ldr     x3, =0x0060000000000405     // 1 GiB block at 0: device nGnRE, never executed
    str     x3, [x2]
    ldr     x3, =0x0040000040000709
    str     x3, [x2, #8]

    ldr     x1, =0x44ff0400             // MAIR_EL1 (see vspace::MAIR_VALUE)
    msr     mair_el1, x1
    mrs     x2, id_aa64mmfr0_el1
    and     x2, x2, #7                  // PARange
    mov     x3, #5
    cmp     x2, x3
    csel    x2, x3, x2, hi              // at most 48-bit physical addresses
    ldr     x1, =0x10b5103510           // TCR_EL1: 48-bit VAs both halves, 4K granule, 16-bit ASIDs, WB caches
    orr     x1, x1, x2, lsl #32         // IPS
    msr     tcr_el1, x1
    adrp    x1, boot_l0_ident
    msr     ttbr0_el1, x1
    adrp    x1, boot_l0_high
    msr     ttbr1_el1, x1
    mov     x1, #(3 << 20)              // CPACR_EL1.FPEN: FP/SIMD usable (user code uses it)
    msr     cpacr_el1, x1
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    ldr     x1, =0x34d5d80d             // SCTLR_EL1: MMU, caches, SP alignment; EL0 may DC ZVA, read CTR, WFI/WFE
    msr     sctlr_el1, x1
    isb
    ldr     x1, =_start_high
    br      x1

_start_high:
    ldr     x1, =__kernel_stack_top
    mov     sp, x1
    ldr     x1, =exception_vectors
    msr     vbar_el1, x1
    isb
    mov     x0, x20
    bl      kernel_main
    b       9b

    .section .bss.pagetables, "aw", %nobits
    .balign 4096
    .global boot_l0_ident, boot_l1_ident, boot_l0_high, boot_l1_high, empty_vspace
empty_vspace:  .space 4096                  // a VSpace with no mappings
boot_l0_ident: .space 4096
boot_l1_ident: .space 4096
boot_l0_high:  .space 4096
boot_l1_high:  .space 4096

    .section .bss.stack, "aw", %nobits
    .balign 16
__kernel_stack: .space 32768
    .global __kernel_stack_top
__kernel_stack_top:
"#
);
