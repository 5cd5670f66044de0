//! A simulated machine for host tests: a flat RAM window, a captured console, no devices.

use super::{Machine, Memory};

/// RAM from `base` to `base + ram.len()`, and the console output as a string.
pub struct SimMachine {
    /// Physical address of the first byte of `ram`.
    pub base: u64,
    /// The simulated RAM.
    pub ram: Vec<u8>,
    /// Everything written to the console.
    pub console: String,
    /// Interrupt lines the kernel has unmasked.
    pub unmasked_irqs: std::collections::BTreeSet<u64>,
    /// Whether an interrupt is pending (tests set it to exercise preemption).
    pub pending: bool,
    /// Lines configured as edge-triggered.
    pub edge_irqs: std::collections::BTreeSet<u64>,
    /// Software-generated interrupts sent, as (SGI, target), oldest first.
    pub sgis: Vec<(u64, u64)>,
    /// The syndrome and fault address of the exception being handled (ESR_EL1, FAR_EL1),
    /// set by whoever makes the exception.
    pub exception: (u64, u64),
    /// The trace recorded so far (feature `trace`), if recording is on.
    #[cfg(feature = "trace")]
    pub trace: Option<Vec<u64>>,
}

impl SimMachine {
    /// A machine with `size` bytes of zeroed RAM at physical address `base`.
    pub fn new(base: u64, size: usize) -> Self {
        Self {
            base,
            ram: vec![0; size],
            console: String::new(),
            unmasked_irqs: Default::default(),
            pending: false,
            edge_irqs: Default::default(),
            sgis: Vec::new(),
            exception: (0, 0),
            #[cfg(feature = "trace")]
            trace: None,
        }
    }

    fn index(&self, pa: u64, len: u64) -> usize {
        assert!(
            pa >= self.base && pa + len <= self.base + self.ram.len() as u64,
            "simulated access at {pa:#x}+{len:#x} is outside RAM"
        );
        (pa - self.base) as usize
    }
}

impl Memory for SimMachine {
    fn read_word(&self, pa: u64) -> u64 {
        assert_eq!(pa % 8, 0, "unaligned word read at {pa:#x}");
        let i = self.index(pa, 8);
        u64::from_le_bytes(self.ram[i..i + 8].try_into().unwrap())
    }
    fn write_word(&mut self, pa: u64, value: u64) {
        assert_eq!(pa % 8, 0, "unaligned word write at {pa:#x}");
        let i = self.index(pa, 8);
        self.ram[i..i + 8].copy_from_slice(&value.to_le_bytes());
    }
    fn read_byte(&self, pa: u64) -> u8 {
        self.ram[self.index(pa, 1)]
    }
    fn write_byte(&mut self, pa: u64, value: u8) {
        let i = self.index(pa, 1);
        self.ram[i] = value;
    }
    fn zero(&mut self, pa: u64, len: u64) {
        let i = self.index(pa, len);
        self.ram[i..i + len as usize].fill(0);
    }
    fn copy(&mut self, dst: u64, src: u64, len: u64) {
        let (d, s) = (self.index(dst, len), self.index(src, len));
        self.ram.copy_within(s..s + len as usize, d);
    }
    fn bytes(&self, pa: u64, len: u64) -> &[u8] {
        let i = self.index(pa, len);
        &self.ram[i..i + len as usize]
    }
}

impl Machine for SimMachine {
    fn putchar(&mut self, c: u8) {
        if c != b'\r' {
            self.console.push(c as char);
        }
    }
    fn halt(&mut self, status: u32) -> ! {
        panic!("simulated machine halted with status {status}");
    }
    fn sync_page_tables(&mut self) {}
    fn flush_tlb(&mut self, _asid: u16, _page: Option<u64>) {}
    fn cache_op(&mut self, _op: super::CacheOp, _pa: u64, _len: u64) {}
    fn interrupt_pending(&self) -> bool {
        self.pending
    }
    fn set_irq_trigger(&mut self, irq: u64, edge: bool) {
        // As a GIC: a private line's trigger is fixed.
        if irq < 32 {
            return;
        }
        if edge {
            self.edge_irqs.insert(irq);
        } else {
            self.edge_irqs.remove(&irq);
        }
    }
    fn sgi_target_valid(&self, target: u64) -> bool {
        // The simulated machine has a GICv2: 8 CPU interfaces.
        target < 8
    }
    fn send_sgi(&mut self, irq: u64, target: u64) {
        self.sgis.push((irq, target));
    }
    fn mask_irq(&mut self, irq: u64, masked: bool) {
        if masked {
            self.unmasked_irqs.remove(&irq);
        } else {
            self.unmasked_irqs.insert(irq);
        }
    }
    #[cfg(feature = "trace")]
    fn tracing(&self) -> bool {
        self.trace.is_some()
    }
    #[cfg(feature = "trace")]
    fn trace_words(&mut self, words: &[u64]) {
        if let Some(t) = &mut self.trace {
            t.extend_from_slice(words);
        }
    }
    #[cfg(feature = "trace")]
    fn trace_flush(&mut self) {}
    #[cfg(feature = "trace")]
    fn exception_registers(&self) -> (u64, u64) {
        self.exception
    }
    #[cfg(feature = "trace")]
    fn irq_line(&self, irq: u64) -> (bool, bool) {
        (
            self.unmasked_irqs.contains(&irq),
            self.edge_irqs.contains(&irq),
        )
    }
    #[cfg(feature = "trace")]
    fn irq_groups(&self) -> u64 {
        32
    }
    /// The simulated controller has no active state: an interrupt is taken and ended in
    /// one call.
    #[cfg(feature = "trace")]
    fn irq_group(&self, g: u64) -> (u32, u32) {
        let enabled = (0..32)
            .filter(|b| self.unmasked_irqs.contains(&(32 * g + b)))
            .fold(0u32, |w, b| w | 1 << b);
        (enabled, 0)
    }
}
