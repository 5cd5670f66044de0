//! The kernel's [`Machine`]: physical memory through the kernel window, the PL011 console,
//! semihosting/PSCI power-off.

use super::gic::Gic;
use super::pl011::Pl011;
use super::window::WindowMap;
use super::{KERNEL_WINDOW, cpu, power};
use crate::machine::{CacheOp, Machine, Memory};

/// The real machine. One exists; the entry code owns it.
pub struct KernelMachine {
    uart: Option<Pl011>,
    /// The interrupt controller, once boot has initialised it.
    pub gic: Option<Gic>,
    /// The gigabytes the kernel window maps (entry::map_ram adds RAM's).
    pub window: WindowMap,
    /// Where the trace goes (feature `trace`).
    #[cfg(feature = "trace")]
    pub trace: super::tracefile::TraceFile,
}

/// Where QEMU's `virt` board puts its PL011, used until the device tree has been read.
pub const DEFAULT_UART: u64 = 0x0900_0000;

impl KernelMachine {
    /// A machine printing to the PL011 at physical address `uart`.
    pub fn new(uart: Option<u64>) -> Self {
        // SAFETY: boot maps gigabyte 0 of physical memory (all of the `virt` board's MMIO,
        // including every PL011 its device tree can name) as device memory in the window.
        let uart = uart
            .filter(|&pa| pa < 1 << 30)
            .map(|pa| unsafe { Pl011::new(KERNEL_WINDOW + pa) });
        let mut window = WindowMap::default();
        window.add(0);
        KernelMachine {
            uart,
            gic: None,
            window,
            #[cfg(feature = "trace")]
            trace: super::tracefile::TraceFile::new(),
        }
    }
}

fn window(pa: u64) -> *mut u8 {
    (KERNEL_WINDOW + pa) as *mut u8
}

// SAFETY (for every block below): the portable core passes only physical addresses of
// memory it owns: kernel objects it created from untyped memory, frames it is filling, and
// the DTB and root ELF at boot. All RAM is mapped read-write in the kernel window
// (entry::map_ram), so each address is valid and suitably aligned (the core aligns words).
// The kernel is single-core and runs with interrupts masked, so nothing else accesses the
// memory meanwhile.
impl Memory for KernelMachine {
    fn read_word(&self, pa: u64) -> u64 {
        // SAFETY: see above.
        unsafe { (window(pa) as *const u64).read() }
    }
    fn write_word(&mut self, pa: u64, value: u64) {
        // SAFETY: see above.
        unsafe { (window(pa) as *mut u64).write(value) }
    }
    fn read_byte(&self, pa: u64) -> u8 {
        // SAFETY: see above.
        unsafe { window(pa).read() }
    }
    fn write_byte(&mut self, pa: u64, value: u8) {
        // SAFETY: see above.
        unsafe { window(pa).write(value) }
    }
    fn zero(&mut self, pa: u64, len: u64) {
        // SAFETY: see above.
        unsafe { window(pa).write_bytes(0, len as usize) }
    }
    fn copy(&mut self, dst: u64, src: u64, len: u64) {
        // SAFETY: see above; the core never copies between overlapping ranges.
        unsafe { core::ptr::copy_nonoverlapping(window(src), window(dst), len as usize) }
    }
    fn bytes(&self, pa: u64, len: u64) -> &[u8] {
        // SAFETY: see above; the slice borrows self, so no write through this machine can
        // happen while it lives.
        unsafe { core::slice::from_raw_parts(window(pa), len as usize) }
    }
}

impl Machine for KernelMachine {
    fn putchar(&mut self, c: u8) {
        if let Some(u) = &self.uart {
            u.putc(c);
        }
    }
    fn halt(&mut self, status: u32) -> ! {
        power::exit(status)
    }
    fn sync_page_tables(&mut self) {
        cpu::flush_tlb();
    }
    fn flush_tlb(&mut self, asid: u16, page: Option<u64>) {
        cpu::flush_tlb_asid(asid, page);
    }
    fn cache_op(&mut self, op: CacheOp, pa: u64, len: u64) {
        // Memory outside the window is device memory above RAM: the kernel maps none of it
        // and user level only uncached, so no cache holds it and there is nothing to do.
        // (By address outside the window, the instruction would fault at EL1.)
        if self.window.covers(pa, len) {
            cpu::cache_op(op, KERNEL_WINDOW + pa, len);
        }
    }
    #[cfg(feature = "trace")]
    fn tracing(&self) -> bool {
        true
    }
    #[cfg(feature = "trace")]
    fn trace_words(&mut self, words: &[u64]) {
        self.trace.words(words);
    }
    #[cfg(feature = "trace")]
    fn trace_flush(&mut self) {
        self.trace.flush();
    }
    #[cfg(feature = "trace")]
    fn exception_registers(&self) -> (u64, u64) {
        (cpu::esr(), cpu::far())
    }
    #[cfg(feature = "trace")]
    fn irq_line(&self, irq: u64) -> (bool, bool) {
        self.gic
            .as_ref()
            .map_or((false, false), |g| g.line_state(irq as u32))
    }
    #[cfg(feature = "trace")]
    fn irq_groups(&self) -> u64 {
        self.gic.as_ref().map_or(0, |g| g.lines() / 32)
    }
    #[cfg(feature = "trace")]
    fn irq_group(&self, g: u64) -> (u32, u32) {
        self.gic
            .as_ref()
            .map_or((0, 0), |gic| gic.group_state(g as usize))
    }
    #[cfg(feature = "trace")]
    fn fpu_enabled(&self) -> bool {
        super::fpu::el0_access()
    }
    fn interrupt_pending(&self) -> bool {
        cpu::irq_pending()
    }
    fn sgi_target_valid(&self, target: u64) -> bool {
        self.gic
            .as_ref()
            .is_some_and(|g| g.sgi_target_valid(target))
    }
    fn send_sgi(&mut self, irq: u64, target: u64) {
        if let Some(g) = &self.gic {
            g.send_sgi(irq, target);
        }
    }
    fn set_irq_trigger(&mut self, irq: u64, edge: bool) {
        if let Some(g) = &self.gic {
            g.set_trigger(irq as u32, edge);
        }
    }
    fn mask_irq(&mut self, irq: u64, masked: bool) {
        if let Some(g) = &self.gic {
            if masked {
                g.disable(irq as u32)
            } else {
                g.enable(irq as u32)
            }
        }
    }
}
