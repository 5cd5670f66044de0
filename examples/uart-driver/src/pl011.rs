//! The PL011 UART's registers, and a safe driver over them for use at EL0.

use tock_registers::interfaces::{ReadWriteable, Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

use sel4::abi::PAGE_BITS;

use crate::device::DeviceMapping;

register_bitfields![u32,
    /// Flag register.
    FR [
        /// Receive FIFO empty.
        RXFE OFFSET(4) NUMBITS(1) [],
        /// Transmit FIFO full.
        TXFF OFFSET(5) NUMBITS(1) []
    ],
    /// Line control register.
    LCR_H [
        /// FIFOs enabled (16 bytes deep each way, instead of a one-byte holding register).
        FEN OFFSET(4) NUMBITS(1) []
    ],
    /// Control register.
    CR [
        /// The UART as a whole.
        UARTEN OFFSET(0) NUMBITS(1) [],
        /// Transmit.
        TXE OFFSET(8) NUMBITS(1) [],
        /// Receive.
        RXE OFFSET(9) NUMBITS(1) []
    ],
    /// Interrupt mask set/clear, and interrupt clear: the same bit layout.
    INT [
        /// Receive: the RX FIFO reached its trigger level.
        RX OFFSET(4) NUMBITS(1) [],
        /// Receive timeout: bytes sit in the RX FIFO below the trigger level.
        RT OFFSET(6) NUMBITS(1) [],
        /// Every interrupt source (bits 0..=10).
        ALL OFFSET(0) NUMBITS(11) []
    ]
];

register_structs! {
    /// The PL011 register block (the part this driver uses).
    Registers {
        (0x00 => dr: ReadWrite<u32>),
        (0x04 => _reserved0),
        (0x18 => fr: ReadOnly<u32, FR::Register>),
        (0x1c => _reserved1),
        (0x2c => lcr_h: ReadWrite<u32, LCR_H::Register>),
        (0x30 => cr: ReadWrite<u32, CR::Register>),
        (0x34 => _reserved2),
        (0x38 => imsc: ReadWrite<u32, INT::Register>),
        (0x3c => _reserved3),
        (0x44 => icr: WriteOnly<u32, INT::Register>),
        (0x48 => @END),
    }
}

/// A PL011 mapped into this address space.
pub struct Pl011 {
    regs: &'static Registers,
}

impl Pl011 {
    /// The UART whose register block starts `offset` bytes into the device page `mapping`.
    ///
    /// # Panics
    /// If the register block does not fit in the page (a wrong offset).
    #[allow(unsafe_code)] // the driver's one unsafe site: the device's base address
    pub fn new(mapping: DeviceMapping, offset: u64) -> Pl011 {
        assert!(offset + size_of::<Registers>() as u64 <= 1 << PAGE_BITS);
        let base = mapping.vaddr() + offset;
        // SAFETY: a DeviceMapping is a page mapped read-write and uncached for the rest of
        // the program (only `map_device_page` makes one and nothing unmaps it), the block
        // fits in it (checked above), and the mapping is consumed here, so this driver is
        // the only code in the program that reaches these registers. Every access through
        // `Registers` is a volatile load or store. (The kernel's debug output drives the
        // same UART through its own mapping; it only waits for TX room and writes DR.)
        let regs = unsafe { &*(base as *const Registers) };
        Pl011 { regs }
    }

    /// Enables the UART with its FIFOs on and interrupts for received bytes (the FIFO
    /// reaching its trigger level, and the receive timeout for fewer bytes than that).
    pub fn enable_receive_interrupts(&self) {
        self.regs.icr.write(INT::ALL::SET);
        // Setting FEN only if it is clear: toggling it empties the FIFOs.
        if !self.regs.lcr_h.is_set(LCR_H::FEN) {
            self.regs.lcr_h.modify(LCR_H::FEN::SET);
        }
        self.regs.imsc.write(INT::RX::SET + INT::RT::SET);
        self.regs
            .cr
            .write(CR::UARTEN::SET + CR::TXE::SET + CR::RXE::SET);
    }

    /// The next received byte, if the RX FIFO holds one.
    pub fn try_read(&self) -> Option<u8> {
        if self.regs.fr.is_set(FR::RXFE) {
            return None;
        }
        // DR's low 8 bits are the byte; bits 8..=11 are its error flags, ignored here.
        Some(self.regs.dr.get() as u8)
    }

    /// Sends one byte, waiting for room in the TX FIFO.
    pub fn write(&self, byte: u8) {
        while self.regs.fr.is_set(FR::TXFF) {}
        self.regs.dr.set(u32::from(byte));
    }

    /// Sends each byte of `bytes`.
    pub fn write_all(&self, bytes: &[u8]) {
        bytes.iter().for_each(|&b| self.write(b));
    }

    /// Clears the receive and receive-timeout interrupts (they are raised again while
    /// their condition holds, so drain the FIFO first).
    pub fn clear_receive_interrupts(&self) {
        self.regs.icr.write(INT::RX::SET + INT::RT::SET);
    }
}
