//! Raw syscalls: the one place a `svc` is executed, and the debug syscalls built on it.
//!
//! Registers follow seL4's AArch64 convention: x0 the capability (in) or badge (out), x1
//! the message info, x2..x5 message registers 0..3, x7 the syscall number. The kernel
//! returns values in x0..x5 and preserves every other register.

use sel4_abi::Syscall;

// The asm below names the registers literally (asm operands cannot be computed); these
// assertions tie each to the role sel4-abi gives it.
const _: () = {
    use sel4_abi::registers::*;
    assert!(CAP_REGISTER == 0 && BADGE_REGISTER == 0 && MSG_INFO_REGISTER == 1);
    assert!(MSG_REGISTERS[0] == 2 && MSG_REGISTERS[3] == 5 && SYSCALL_REGISTER == 7);
};

/// The registers a syscall passes and returns: x0..x5.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Regs {
    /// x0: capability pointer in, badge out.
    pub x0: u64,
    /// x1: message info.
    pub x1: u64,
    /// x2..x5: message registers 0..3.
    pub mr: [u64; 4],
}

/// Performs syscall `sys` with `regs`, returning the registers the kernel wrote back.
#[inline(always)]
pub fn raw(sys: Syscall, regs: Regs) -> Regs {
    raw_number(sys.word(), regs)
}

/// Performs the syscall with raw number `number` (for tests of unknown syscalls).
#[inline(always)]
pub fn raw_number(number: u64, regs: Regs) -> Regs {
    #[cfg_attr(not(target_arch = "aarch64"), allow(unused_mut))] // written by the svc only
    let mut r = regs;
    #[cfg(target_arch = "aarch64")]
    // SAFETY: `svc #0` enters the kernel, which reads x0..x7 and writes back only x0..x5,
    // all declared here; it touches no memory of this program except the IPC buffer,
    // which the kernel's ABI makes the kernel's to read and write during a syscall.
    unsafe {
        core::arch::asm!(
            "svc #0",
            inout("x0") r.x0,
            inout("x1") r.x1,
            inout("x2") r.mr[0],
            inout("x3") r.mr[1],
            inout("x4") r.mr[2],
            inout("x5") r.mr[3],
            in("x7") number,
            options(nostack),
        );
    }
    #[cfg(not(target_arch = "aarch64"))]
    let _ = number;
    r
}

/// seL4_DebugPutChar: writes one byte to the kernel console.
pub fn debug_put_char(c: u8) {
    raw(
        Syscall::DebugPutChar,
        Regs {
            x0: c as u64,
            ..Regs::default()
        },
    );
}

/// seL4_DebugHalt: stops the machine. This kernel reads `status` from x0 and ends QEMU
/// with it (0 = success); seL4 itself ignores it.
pub fn debug_halt(status: u32) -> ! {
    raw(
        Syscall::DebugHalt,
        Regs {
            x0: status as u64,
            ..Regs::default()
        },
    );
    // The kernel does not return from DebugHalt; if it ever did, stop here.
    #[allow(clippy::empty_loop)] // nothing else to do, and no way to wait without the kernel
    loop {}
}

/// seL4_DebugCapIdentify: the type tag of the cap `cptr` names (0 for an empty slot or a
/// failed lookup); compare with [`sel4_abi::CapType`].
pub fn debug_cap_identify(cptr: u64) -> u64 {
    raw(
        Syscall::DebugCapIdentify,
        Regs {
            x0: cptr,
            ..Regs::default()
        },
    )
    .x0
}

/// seL4_DebugNameThread: names the thread `tcb` for kernel diagnostics. The name goes
/// through the IPC buffer, cut to fit.
pub fn debug_name_thread(tcb: u64, name: &str) {
    crate::ipc_buffer::with(|buf| {
        let bytes = name.as_bytes();
        let max = buf.msg.len() * 8 - 1;
        let n = bytes.len().min(max);
        for (i, w) in buf.msg.iter_mut().enumerate() {
            let mut word = [0u8; 8];
            for (j, b) in word.iter_mut().enumerate() {
                let k = i * 8 + j;
                *b = if k < n { bytes[k] } else { 0 };
            }
            *w = u64::from_le_bytes(word);
        }
    });
    raw(
        Syscall::DebugNameThread,
        Regs {
            x0: tcb,
            ..Regs::default()
        },
    );
}

/// seL4_DebugDumpScheduler: the kernel prints its table of threads.
pub fn debug_dump_scheduler() {
    raw(Syscall::DebugDumpScheduler, Regs::default());
}

/// seL4_Yield: gives up the rest of the timeslice.
pub fn yield_now() {
    raw(Syscall::Yield, Regs::default());
}

/// seL4_SetTLSBase: sets this thread's TPIDR_EL0.
pub fn set_tls_base(base: u64) {
    raw(
        Syscall::SetTLSBase,
        Regs {
            x0: base,
            ..Regs::default()
        },
    );
}
