//! The machine interface: what the portable core needs from hardware, as two traits.
//!
//! The core is generic over [`Machine`]; the kernel implements it in `arch::aarch64` on the
//! kernel's physical-memory window, and host tests implement it on a simulated memory
//! ([`sim::SimMachine`]). Physical addresses are plain `u64`s: every kernel object is named
//! by its physical address, as in the spec.
#![forbid(unsafe_code)]

pub mod console;
pub mod esr;
pub mod journal;
#[cfg(any(test, feature = "sim"))]
pub mod sim;

pub use console::Console;

/// Physical memory as the kernel sees it through its window. Addresses are physical.
///
/// The implementation trusts the core to access only memory it owns (kernel objects and
/// frames it is loading); the core validates every address that comes from user level
/// before it gets here.
pub trait Memory {
    /// Reads the 64-bit word at `pa` (8-byte aligned).
    fn read_word(&self, pa: u64) -> u64;
    /// Writes the 64-bit word at `pa` (8-byte aligned).
    fn write_word(&mut self, pa: u64, value: u64);
    /// Reads the byte at `pa`.
    fn read_byte(&self, pa: u64) -> u8;
    /// Writes the byte at `pa`.
    fn write_byte(&mut self, pa: u64, value: u8);
    /// Fills `len` bytes at `pa` with zero.
    fn zero(&mut self, pa: u64, len: u64);
    /// Copies `len` bytes from `src` to `dst` (the ranges do not overlap).
    fn copy(&mut self, dst: u64, src: u64, len: u64);
    /// The `len` bytes at `pa`, for parsing data that sits in memory (the DTB, the root ELF).
    fn bytes(&self, pa: u64, len: u64) -> &[u8];
}

/// Everything else the core asks of the hardware.
pub trait Machine: Memory {
    /// Writes one byte to the kernel's debug console.
    fn putchar(&mut self, c: u8);
    /// Ends the emulated machine with an exit status (semihosting), or powers it off.
    fn halt(&mut self, status: u32) -> !;
    /// Makes page-table writes visible to the table walker and drops stale translations.
    fn sync_page_tables(&mut self);
    /// After a page-table write: drops the translations it may have made stale, for one
    /// address space (`Some(asid)`) or one page of it (`Some((asid, vaddr))` as `page`).
    fn flush_tlb(&mut self, asid: u16, page: Option<u64>);
    /// Performs a cache maintenance operation on `len` bytes of physical memory at `pa`.
    fn cache_op(&mut self, op: CacheOp, pa: u64, len: u64);
    /// Masks (`true`) or unmasks an interrupt line at the interrupt controller.
    fn mask_irq(&mut self, irq: u64, masked: bool);
    /// True if an interrupt is waiting to be taken (the kernel runs with them masked).
    fn interrupt_pending(&self) -> bool;
    /// Configures a line as edge-triggered (`true`) or level-sensitive.
    fn set_irq_trigger(&mut self, irq: u64, edge: bool);
    /// Whether software-generated interrupts can target `target` (seL4's
    /// plat_SGITargetValid: a GICv2 has 8 CPU interfaces; a GICv3 takes any affinity word).
    fn sgi_target_valid(&self, target: u64) -> bool;
    /// Sends software-generated interrupt `irq` (0..16) to `target` (seL4's plat_sendSGI).
    fn send_sgi(&mut self, irq: u64, target: u64);
    /// Whether entries are being recorded (feature `trace`; a machine without a trace
    /// channel records nothing).
    #[cfg(feature = "trace")]
    fn tracing(&self) -> bool {
        false
    }
    /// Appends words to the trace (feature `trace`; the trace module writes it).
    #[cfg(feature = "trace")]
    fn trace_words(&mut self, _words: &[u64]) {}
    /// Sends what [`Machine::trace_words`] buffered on (the end of a record).
    #[cfg(feature = "trace")]
    fn trace_flush(&mut self) {}
    /// The syndrome and fault address of the synchronous exception being handled (ESR_EL1
    /// and FAR_EL1), as the trace records them for the spec to decode (feature `trace`).
    #[cfg(feature = "trace")]
    fn exception_registers(&self) -> (u64, u64) {
        (0, 0)
    }
    /// What the interrupt controller holds for line `irq`: whether it is enabled (unmasked)
    /// and whether it is edge-triggered, read back from the controller (feature `trace`).
    #[cfg(feature = "trace")]
    fn irq_line(&self, _irq: u64) -> (bool, bool) {
        (false, false)
    }
    /// How many groups of 32 lines the interrupt controller has (feature `trace`).
    #[cfg(feature = "trace")]
    fn irq_groups(&self) -> u64 {
        0
    }
    /// Lines `32 g .. 32 g + 32` as the controller holds them: the enabled ones and the
    /// active ones (acknowledged, not yet ended), one bit per line (feature `trace`).
    #[cfg(feature = "trace")]
    fn irq_group(&self, _g: u64) -> (u32, u32) {
        (0, 0)
    }
    /// Whether user level runs with the FP/SIMD unit enabled, as the trap setting is now
    /// (feature `trace`).
    #[cfg(feature = "trace")]
    fn fpu_enabled(&self) -> bool {
        false
    }
}

/// Cache maintenance a user level may ask for on its memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheOp {
    /// Write dirty lines back (clean).
    Clean,
    /// Drop lines without writing them back (invalidate).
    Invalidate,
    /// Write back, then drop.
    CleanInvalidate,
    /// Make data writes visible to instruction fetches (clean to the point of
    /// unification, invalidate the instruction cache).
    Unify,
}

/// Exit statuses the kernel ends QEMU with (xtask and the tests read them).
pub mod exit_status {
    /// The root task asked to halt with status 0 (success).
    pub const SUCCESS: u32 = 0;
    /// The root task panicked (its runtime halts with this status).
    pub const ROOT_TASK_FAILED: u32 = 1;
    /// The kernel refused to start the root task (bad ELF, no memory).
    pub const BAD_ROOT_TASK: u32 = 2;
    /// The kernel panicked: a kernel bug.
    pub const KERNEL_PANIC: u32 = 3;
    /// No thread can ever run again (all stopped, no interrupt can wake one).
    pub const ALL_THREADS_STOPPED: u32 = 4;
    /// The trace kernel, asked to (`idle=halt` on its command line), stopped where it
    /// would have idled waiting for an interrupt.
    pub const IDLE_HALT: u32 = 5;
}
