//! The root task's ELF image: validation and the segments to load, with a clear reason for
//! every refusal (the kernel prints it and stops with a failing status).

use core::fmt;
use elf::ElfBytes;
use elf::abi::{EM_AARCH64, ET_DYN, ET_EXEC, PT_LOAD};
use elf::endian::LittleEndian;

/// Most loadable segments a root task may have.
pub const MAX_SEGMENTS: usize = 16;

/// One loadable segment: `filesz` bytes from the file at `offset`, then zeros to `memsz`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Segment {
    /// Virtual address of the segment's first byte.
    pub vaddr: u64,
    /// Bytes in memory.
    pub memsz: u64,
    /// Offset of the segment's bytes in the file.
    pub offset: u64,
    /// Bytes taken from the file.
    pub filesz: u64,
}

/// A validated root-task image.
#[derive(Clone, Copy, Debug)]
pub struct UserImage {
    /// Entry point (virtual).
    pub entry: u64,
    /// Start of the image's virtual range, page aligned.
    pub v_start: u64,
    /// End of the image's virtual range, page aligned (exclusive).
    pub v_end: u64,
    /// Bytes the file spans (headers, tables and segment data).
    pub file_len: u64,
    segments: [Segment; MAX_SEGMENTS],
    count: usize,
}

impl UserImage {
    /// The loadable segments.
    pub fn segments(&self) -> &[Segment] {
        &self.segments[..self.count]
    }
}

/// Why a root-task ELF was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// No ELF magic at the start: nothing, or not an ELF file, was loaded.
    NotElf,
    /// A 32-bit ELF.
    Not64Bit,
    /// A big-endian ELF.
    BigEndian,
    /// An ELF for another machine (`e_machine`).
    WrongMachine(u16),
    /// Position-independent (ET_DYN) or other non-executable type.
    NotExecutable(u16),
    /// Headers or tables that do not parse, or point outside the file.
    Malformed(&'static str),
    /// No PT_LOAD segment with memory.
    NoLoadableSegments,
    /// More than [`MAX_SEGMENTS`] loadable segments.
    TooManySegments,
    /// A segment reaches above the user address range (into the kernel's half).
    KernelAddress { vaddr: u64, end: u64 },
    /// The entry point is not inside a loadable segment.
    EntryOutside(u64),
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ElfError::NotElf => write!(f, "no ELF file found (bad magic number)"),
            ElfError::Not64Bit => write!(
                f,
                "32-bit ELF; the root task must be an ELF64 AArch64 executable"
            ),
            ElfError::BigEndian => write!(
                f,
                "big-endian ELF; the root task must be little-endian AArch64"
            ),
            ElfError::WrongMachine(m) => {
                write!(f, "ELF for machine {m}, not AArch64 ({EM_AARCH64})")
            }
            ElfError::NotExecutable(t) if t == ET_DYN => {
                write!(
                    f,
                    "position-independent ELF (ET_DYN); link the root task statically at fixed addresses"
                )
            }
            ElfError::NotExecutable(t) => write!(f, "ELF type {t} is not an executable (ET_EXEC)"),
            ElfError::Malformed(why) => write!(f, "malformed ELF: {why}"),
            ElfError::NoLoadableSegments => write!(f, "ELF has no loadable segment"),
            ElfError::TooManySegments => {
                write!(f, "ELF has more than {MAX_SEGMENTS} loadable segments")
            }
            ElfError::KernelAddress { vaddr, end } => write!(
                f,
                "segment at {vaddr:#x}..{end:#x} overlaps the kernel's address range (user addresses end at {:#x})",
                sel4_abi::USER_TOP
            ),
            ElfError::EntryOutside(e) => {
                write!(f, "entry point {e:#x} is outside every loadable segment")
            }
        }
    }
}

const PAGE: u64 = 1 << sel4_abi::PAGE_BITS;

/// Validates the ELF at the start of `bytes` (which may run past the file's end, up to the
/// end of memory) and describes what to load.
pub fn parse(bytes: &[u8]) -> Result<UserImage, ElfError> {
    // Check the identity bytes first so each refusal names the real problem.
    if bytes.len() < 64 || bytes[..4] != *b"\x7fELF" {
        return Err(ElfError::NotElf);
    }
    if bytes[4] != 2 {
        return Err(ElfError::Not64Bit);
    }
    if bytes[5] != 1 {
        return Err(ElfError::BigEndian);
    }
    let file = ElfBytes::<LittleEndian>::minimal_parse(bytes)
        .map_err(|_| ElfError::Malformed("bad ELF header"))?;
    let h = &file.ehdr;
    if h.e_machine != EM_AARCH64 {
        return Err(ElfError::WrongMachine(h.e_machine));
    }
    if h.e_type != ET_EXEC {
        return Err(ElfError::NotExecutable(h.e_type));
    }
    let table_end =
        |off: u64, n: u64, size: u64| n.checked_mul(size).and_then(|s| s.checked_add(off));
    let mut file_len = 64u64;
    let ph_end = table_end(h.e_phoff, h.e_phnum as u64, h.e_phentsize as u64)
        .ok_or(ElfError::Malformed("program header table overflows"))?;
    file_len = file_len.max(ph_end);
    if h.e_shnum > 0 {
        let sh_end = table_end(h.e_shoff, h.e_shnum as u64, h.e_shentsize as u64)
            .ok_or(ElfError::Malformed("section header table overflows"))?;
        file_len = file_len.max(sh_end);
    }
    let phdrs = file.segments().ok_or(ElfError::NoLoadableSegments)?;
    let mut image = UserImage {
        entry: h.e_entry,
        v_start: u64::MAX,
        v_end: 0,
        file_len,
        segments: [Segment::default(); MAX_SEGMENTS],
        count: 0,
    };
    for ph in phdrs
        .iter()
        .filter(|p| p.p_type == PT_LOAD && p.p_memsz > 0)
    {
        if ph.p_filesz > ph.p_memsz {
            return Err(ElfError::Malformed(
                "segment has more file bytes than memory bytes",
            ));
        }
        let data_end = ph
            .p_offset
            .checked_add(ph.p_filesz)
            .ok_or(ElfError::Malformed("segment data overflows"))?;
        let end = ph
            .p_vaddr
            .checked_add(ph.p_memsz)
            .filter(|&e| e <= sel4_abi::USER_TOP + 1);
        let Some(end) = end else {
            return Err(ElfError::KernelAddress {
                vaddr: ph.p_vaddr,
                end: ph.p_vaddr.wrapping_add(ph.p_memsz),
            });
        };
        if image.count == MAX_SEGMENTS {
            return Err(ElfError::TooManySegments);
        }
        image.segments[image.count] = Segment {
            vaddr: ph.p_vaddr,
            memsz: ph.p_memsz,
            offset: ph.p_offset,
            filesz: ph.p_filesz,
        };
        image.count += 1;
        image.file_len = image.file_len.max(data_end);
        image.v_start = image.v_start.min(ph.p_vaddr & !(PAGE - 1));
        image.v_end = image.v_end.max((end + PAGE - 1) & !(PAGE - 1));
    }
    if image.count == 0 {
        return Err(ElfError::NoLoadableSegments);
    }
    if image.file_len > bytes.len() as u64 {
        return Err(ElfError::Malformed(
            "file is larger than the memory it was loaded into",
        ));
    }
    if !image
        .segments()
        .iter()
        .any(|s| (s.vaddr..s.vaddr + s.memsz).contains(&image.entry))
    {
        return Err(ElfError::EntryOutside(image.entry));
    }
    Ok(image)
}

/// Builds minimal ELF64 files for tests (here, in the boot tests, in the refinement tests).
#[cfg(any(test, feature = "sim"))]
pub mod testelf {
    /// An AArch64 ET_EXEC with one PT_LOAD per `(vaddr, data, memsz)`, entry at `entry`.
    pub fn build(entry: u64, segs: &[(u64, &[u8], u64)]) -> Vec<u8> {
        let phoff = 64u64;
        let data_start = phoff + 56 * segs.len() as u64;
        let mut f = vec![0u8; 64];
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = 2; // ELFCLASS64
        f[5] = 1; // little-endian
        f[6] = 1; // version
        f[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        f[18..20].copy_from_slice(&183u16.to_le_bytes()); // EM_AARCH64
        f[20..24].copy_from_slice(&1u32.to_le_bytes());
        f[24..32].copy_from_slice(&entry.to_le_bytes());
        f[32..40].copy_from_slice(&phoff.to_le_bytes());
        f[52..54].copy_from_slice(&64u16.to_le_bytes()); // ehsize
        f[54..56].copy_from_slice(&56u16.to_le_bytes()); // phentsize
        f[56..58].copy_from_slice(&(segs.len() as u16).to_le_bytes());
        f[58..60].copy_from_slice(&64u16.to_le_bytes()); // shentsize
        let mut off = data_start;
        for &(vaddr, data, memsz) in segs {
            let mut ph = vec![0u8; 56];
            ph[0..4].copy_from_slice(&1u32.to_le_bytes()); // PT_LOAD
            ph[4..8].copy_from_slice(&7u32.to_le_bytes()); // RWX
            ph[8..16].copy_from_slice(&off.to_le_bytes());
            ph[16..24].copy_from_slice(&vaddr.to_le_bytes());
            ph[24..32].copy_from_slice(&vaddr.to_le_bytes());
            ph[32..40].copy_from_slice(&(data.len() as u64).to_le_bytes());
            ph[40..48].copy_from_slice(&memsz.to_le_bytes());
            ph[48..56].copy_from_slice(&0x1000u64.to_le_bytes());
            f.extend_from_slice(&ph);
            off += data.len() as u64;
        }
        for &(_, data, _) in segs {
            f.extend_from_slice(data);
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn padded(mut f: Vec<u8>) -> Vec<u8> {
        f.resize(f.len() + 4096, 0); // memory after the file, as in RAM
        f
    }

    #[test]
    fn accepts_a_two_segment_executable() {
        let f = padded(testelf::build(
            0x40_0010,
            &[(0x40_0000, &[1; 100], 100), (0x41_0800, &[2; 8], 0x2000)],
        ));
        let img = parse(&f).unwrap();
        assert_eq!(img.entry, 0x40_0010);
        assert_eq!((img.v_start, img.v_end), (0x40_0000, 0x41_3000));
        assert_eq!(img.segments().len(), 2);
        assert_eq!(
            img.segments()[1],
            Segment {
                vaddr: 0x41_0800,
                memsz: 0x2000,
                offset: 64 + 112 + 100,
                filesz: 8
            }
        );
        assert_eq!(img.file_len, 64 + 112 + 108);
    }

    #[test]
    fn refuses_each_kind_of_bad_file() {
        assert_eq!(parse(&[0u8; 200]).unwrap_err(), ElfError::NotElf);
        let good = testelf::build(0x1000, &[(0x1000, &[0; 4], 4)]);
        let with = |i: usize, b: &[u8]| {
            let mut f = padded(good.clone());
            f[i..i + b.len()].copy_from_slice(b);
            parse(&f).unwrap_err()
        };
        assert_eq!(with(4, &[1]), ElfError::Not64Bit);
        assert_eq!(with(5, &[2]), ElfError::BigEndian);
        assert_eq!(with(18, &62u16.to_le_bytes()), ElfError::WrongMachine(62));
        assert_eq!(with(16, &3u16.to_le_bytes()), ElfError::NotExecutable(3));
        assert_eq!(
            with(24, &0x9999u64.to_le_bytes()),
            ElfError::EntryOutside(0x9999)
        );
        assert_eq!(
            parse(&padded(testelf::build(0, &[]))).unwrap_err(),
            ElfError::NoLoadableSegments
        );
        let kernel = testelf::build(
            0xffff_8000_0000_0000,
            &[(0xffff_8000_0000_0000, &[0; 4], 4)],
        );
        assert!(matches!(
            parse(&padded(kernel)).unwrap_err(),
            ElfError::KernelAddress { .. }
        ));
        let straddle = testelf::build(0x7fff_ffff_f000, &[(0x7fff_ffff_f000, &[], 0x2000)]);
        assert!(matches!(
            parse(&padded(straddle)).unwrap_err(),
            ElfError::KernelAddress { .. }
        ));
    }

    #[test]
    fn refuses_a_file_cut_short() {
        let f = testelf::build(0x1000, &[(0x1000, &[7; 64], 64)]);
        assert_eq!(
            parse(&f[..f.len() - 1]).unwrap_err(),
            ElfError::Malformed("file is larger than the memory it was loaded into")
        );
    }

    #[test]
    fn every_refusal_has_a_message() {
        let e = ElfError::KernelAddress { vaddr: 1, end: 2 };
        assert!(format!("{e}").contains("kernel"));
        assert!(format!("{}", ElfError::NotExecutable(ET_DYN)).contains("statically"));
    }
}
