//! `memcpy` for the kernel: the compiler copies every `Cap` and invocation value with it
//! (on this soft-float, strict-alignment target it does not expand even a 40-byte copy
//! inline), and the library's version spends about 60 instructions on 40 bytes. This one
//! moves 16 bytes per step once both ends are 8-byte aligned (ends misaligned alike are
//! aligned first; ends misaligned differently are copied byte by byte).

use core::arch::global_asm;

// SAFETY (of linking it): it has memcpy's contract exactly (copy `n` bytes from `src` to
// the non-overlapping `dst`, return `dst`), takes the place of compiler_builtins' weak
// definition, and touches nothing but the two ranges and caller-saved registers.
global_asm!(
    r#"
    .section .text.memcpy, "ax"
    .global memcpy
    .type memcpy, %function
memcpy:
    mov     x3, x0
    // Ends misaligned differently: byte by byte.
    eor     x4, x0, x1
    tst     x4, #7
    b.ne    3f
    // Misaligned alike: bytes up to the next 8-byte boundary, then words.
0:  tst     x1, #7
    b.eq    1f
    cbz     x2, 4f
    ldrb    w5, [x1], #1
    strb    w5, [x3], #1
    sub     x2, x2, #1
    b       0b
1:  cmp     x2, #16
    b.lo    2f
    ldp     x5, x6, [x1], #16
    stp     x5, x6, [x3], #16
    sub     x2, x2, #16
    b       1b
2:  cmp     x2, #8
    b.lo    3f
    ldr     x5, [x1], #8
    str     x5, [x3], #8
    sub     x2, x2, #8
3:  cbz     x2, 4f
    ldrb    w5, [x1], #1
    strb    w5, [x3], #1
    sub     x2, x2, #1
    b       3b
4:  ret
    .size memcpy, . - memcpy
"#
);
