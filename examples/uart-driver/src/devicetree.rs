//! Where the UART is: its registers' physical address and its interrupt, from the device
//! tree the kernel passes in the extra BootInfo.

use fdt::Fdt;

/// The `compatible` string of the PL011 node.
const COMPATIBLE: &str = "arm,pl011";
/// First shared peripheral interrupt (SPI) in the GIC's numbering.
const FIRST_SPI: u64 = 32;
/// First private peripheral interrupt (PPI) in the GIC's numbering.
const FIRST_PPI: u64 = 16;

/// A device as the driver needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Device {
    /// Physical address of the register block.
    pub paddr: u64,
    /// The interrupt, as the GIC numbers it (the number IRQControl Get takes).
    pub irq: u64,
}

/// Why the device tree does not say where the UART is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// The blob does not parse.
    BadBlob,
    /// No node is compatible with `arm,pl011`.
    NoUart,
    /// The node has no `reg`.
    NoRegisters,
    /// The node has no three-cell GIC `interrupts` property.
    NoInterrupt,
}

/// Finds the first PL011 in the device tree `blob`.
pub fn find_uart(blob: &[u8]) -> Result<Device, Missing> {
    let fdt = Fdt::new(blob).map_err(|_| Missing::BadBlob)?;
    let node = fdt.find_compatible(&[COMPATIBLE]).ok_or(Missing::NoUart)?;
    let paddr = node
        .reg()
        .and_then(|mut r| r.next())
        .ok_or(Missing::NoRegisters)?
        .starting_address as u64;
    // The GIC binding: <kind number flags>, kind 0 = SPI, 1 = PPI. (The fdt crate reads
    // only one- or two-cell interrupt specifiers, so the cells are read here.)
    let cells = node
        .property("interrupts")
        .ok_or(Missing::NoInterrupt)?
        .value;
    let cell = |i: usize| {
        cells
            .get(i * 4..i * 4 + 4)
            .and_then(|b| b.try_into().ok())
            .map(|b| u64::from(u32::from_be_bytes(b)))
    };
    let irq = match (cell(0), cell(1)) {
        (Some(0), Some(n)) => FIRST_SPI + n,
        (Some(1), Some(n)) => FIRST_PPI + n,
        _ => return Err(Missing::NoInterrupt),
    };
    Ok(Device { paddr, irq })
}
