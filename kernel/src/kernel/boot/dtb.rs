//! What the kernel reads from the device tree: RAM, its console, its interrupt controller
//! (kept from user level) and how to call PSCI firmware.

use super::regions::{Region, RegionList};
use fdt::Fdt;

/// How PSCI firmware is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PsciConduit {
    /// `hvc #0` (QEMU's default when the guest starts at EL1).
    Hvc,
    /// `smc #0` (QEMU with `virtualization=on`).
    Smc,
}

/// The machine, as the device tree describes it.
#[derive(Clone, Copy, Debug)]
pub struct Platform {
    /// RAM banks.
    pub ram: RegionList,
    /// The PL011 UART's registers, if there is one.
    pub uart: Option<u64>,
    /// The GIC's register regions: the kernel's, never given to user level.
    pub gic: RegionList,
    /// True for a GICv3, false for a GICv2.
    pub gic_v3: bool,
    /// The GIC's distributor, and its CPU interface (v2) or redistributors (v3).
    pub gic_regs: [u64; 2],
    /// PSCI conduit, if PSCI is described.
    pub psci: Option<PsciConduit>,
    /// Bytes the DTB's blocks use: its packed size. QEMU's blob claims 1 MiB, nearly all
    /// free space; only the used part is copied into the root task's extra BootInfo.
    pub size: u64,
}

/// Why the device tree could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DtbError {
    /// The blob does not parse.
    Invalid,
    /// No memory node.
    NoMemory,
}

/// Reads the platform from a flattened device tree.
pub fn parse(blob: &[u8]) -> Result<Platform, DtbError> {
    let fdt = Fdt::new(blob).map_err(|_| DtbError::Invalid)?;
    let mut ram = RegionList::new();
    for r in fdt.memory().regions() {
        let start = r.starting_address as u64;
        let size = r.size.unwrap_or(0) as u64;
        ram.add(Region::sized(start, size))
            .map_err(|_| DtbError::Invalid)?;
    }
    if ram.total() == 0 {
        return Err(DtbError::NoMemory);
    }
    let uart = fdt
        .find_compatible(&["arm,pl011"])
        .and_then(|n| n.reg()?.next())
        .map(|r| r.starting_address as u64);
    let mut gic = RegionList::new();
    let mut gic_regs = [0u64; 2];
    let gic_node = fdt.find_compatible(&["arm,gic-v3", "arm,cortex-a15-gic", "arm,gic-400"]);
    let gic_v3 = gic_node.is_some_and(|n| {
        n.compatible()
            .is_some_and(|c| c.all().any(|s| s == "arm,gic-v3"))
    });
    if let Some(regs) = gic_node.and_then(|n| n.reg()) {
        for (i, r) in regs.enumerate() {
            if i < 2 {
                gic_regs[i] = r.starting_address as u64;
            }
            gic.add(Region::sized(
                r.starting_address as u64,
                r.size.unwrap_or(0) as u64,
            ))
            .map_err(|_| DtbError::Invalid)?;
        }
    }
    let psci = fdt
        .find_node("/psci")
        .and_then(|n| n.property("method"))
        .and_then(|p| p.as_str())
        .and_then(|s| match s {
            "hvc" => Some(PsciConduit::Hvc),
            "smc" => Some(PsciConduit::Smc),
            _ => None,
        });
    Ok(Platform {
        ram,
        uart,
        gic,
        gic_v3,
        gic_regs,
        psci,
        size: packed_size(blob).ok_or(DtbError::Invalid)?,
    })
}

/// The end of the DTB's last block (memory reservations, structure, strings), which is
/// where `fdt_pack` would cut it. The header words are big-endian.
pub fn packed_size(blob: &[u8]) -> Option<u64> {
    let word =
        |i: usize| Some(u32::from_be_bytes(blob.get(i * 4..i * 4 + 4)?.try_into().ok()?) as u64);
    let (total, off_struct, off_strings, off_rsv) = (word(1)?, word(2)?, word(3)?, word(4)?);
    let (size_strings, size_struct) = (word(8)?, word(9)?);
    let used = (off_struct + size_struct)
        .max(off_strings + size_strings)
        .max(off_rsv + 16);
    (used <= total).then_some(used)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// QEMU's own device tree for `-M virt -cpu cortex-a53 -m 1G`, saved with
    /// `-machine dumpdtb=virt.dtb`.
    const VIRT: &[u8] = include_bytes!("../../../tests/fixtures/virt-1g.dtb");
    /// The same with `-m 2G,virtualization=on,gic-version=3`.
    const VIRT_2G_V3: &[u8] = include_bytes!("../../../tests/fixtures/virt-2g-el2-gicv3.dtb");

    #[test]
    fn reads_qemu_virt() {
        let p = parse(VIRT).unwrap();
        assert_eq!(
            p.ram.iter().copied().collect::<Vec<_>>(),
            [Region::new(0x4000_0000, 0x8000_0000)]
        );
        assert_eq!(p.uart, Some(0x900_0000));
        assert!(!p.gic_v3);
        assert_eq!(p.gic.iter().next().unwrap().start, 0x800_0000);
        assert_eq!(p.gic_regs, [0x800_0000, 0x801_0000]);
        assert_eq!(p.psci, Some(PsciConduit::Hvc));
        assert_eq!(p.size, VIRT.len() as u64);
    }

    #[test]
    fn reads_more_memory_gicv3_and_smc() {
        let p = parse(VIRT_2G_V3).unwrap();
        assert_eq!(p.ram.total(), 2 << 30);
        assert!(p.gic_v3);
        assert_eq!(p.gic_regs, [0x800_0000, 0x80a_0000]);
        assert_eq!(p.psci, Some(PsciConduit::Smc));
    }

    #[test]
    fn packed_size_ignores_trailing_free_space() {
        let mut blob = VIRT.to_vec();
        blob.resize(1 << 20, 0);
        blob[4..8].copy_from_slice(&(1u32 << 20).to_be_bytes());
        assert_eq!(packed_size(&blob), Some(VIRT.len() as u64));
        assert_eq!(parse(&blob).unwrap().size, VIRT.len() as u64);
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(parse(&[0u8; 64]).unwrap_err(), DtbError::Invalid);
    }
}
