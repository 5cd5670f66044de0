//! The PL011 UART: the kernel's debug console (transmit only).

use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite};
use tock_registers::{register_bitfields, register_structs};

register_bitfields![u32,
    FR [
        /// Transmit FIFO full.
        TXFF OFFSET(5) NUMBITS(1) []
    ]
];

register_structs! {
    Registers {
        (0x00 => dr: ReadWrite<u32>),
        (0x04 => _reserved),
        (0x18 => fr: ReadOnly<u32, FR::Register>),
        (0x1c => @END),
    }
}

/// A PL011 whose registers are mapped in the kernel window.
pub struct Pl011 {
    regs: &'static Registers,
}

impl Pl011 {
    /// The UART whose registers are at virtual address `base`.
    ///
    /// # Safety
    /// `base` must be the kernel-window address of a PL011's register block, mapped as
    /// device memory for the kernel's whole life.
    pub unsafe fn new(base: u64) -> Pl011 {
        // SAFETY: the caller guarantees a live, device-mapped PL011 register block.
        let regs = unsafe { &*(base as *const Registers) };
        Pl011 { regs }
    }

    /// Sends one byte, waiting for room in the FIFO.
    pub fn putc(&self, c: u8) {
        while self.regs.fr.is_set(FR::TXFF) {}
        self.regs.dr.set(c as u32);
    }
}
