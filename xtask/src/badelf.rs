//! Root tasks the kernel must refuse: garbage, a foreign architecture, a segment too big,
//! a segment at kernel addresses.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// A kind of root-task file that is not a loadable AArch64 program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadElf {
    /// Bytes that are no ELF at all.
    Garbage,
    /// A well-formed ELF64 for another machine (x86-64).
    ForeignArch,
    /// A valid AArch64 ELF64 whose one PT_LOAD segment needs 64 GiB of memory.
    HugeSegment,
    /// A valid AArch64 ELF64 linked in the kernel's half of the address space.
    KernelAddress,
}

/// ELF machine number of AArch64.
pub const EM_AARCH64: u16 = 183;
/// ELF machine number of x86-64.
const EM_X86_64: u16 = 62;
/// The size of the huge segment: far more than any emulated machine here has.
pub const HUGE_SEGMENT_SIZE: u64 = 64 << 30;
const ELF64_HEADER_SIZE: u16 = 64;
const ELF64_PHDR_SIZE: u16 = 56;
const ELF64_SHDR_SIZE: u16 = 64;
const ET_EXEC: u16 = 2;
const PT_LOAD: u32 = 1;
const PF_R_X: u32 = 0b101;
/// Where the bad programs are linked: an ordinary user-space address.
const LOAD_ADDRESS: u64 = 0x40_0000;
/// An address in the kernel's half (where this kernel's own image is mapped).
const KERNEL_ADDRESS: u64 = 0xffff_8000_4020_0000;

impl BadElf {
    /// Writes the file into `target/xtask/` and returns its path.
    pub fn write(self, root: &Path) -> Result<PathBuf> {
        let dir = crate::cargo_build::target_root(root).join("xtask");
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let (name, bytes) = match self {
            BadElf::Garbage => ("bad-garbage.elf", garbage()),
            BadElf::ForeignArch => (
                "bad-foreign-arch.elf",
                one_segment(EM_X86_64, LOAD_ADDRESS, None),
            ),
            BadElf::HugeSegment => (
                "bad-huge-segment.elf",
                one_segment(EM_AARCH64, LOAD_ADDRESS, Some(HUGE_SEGMENT_SIZE)),
            ),
            BadElf::KernelAddress => (
                "bad-kernel-address.elf",
                one_segment(EM_AARCH64, KERNEL_ADDRESS, None),
            ),
        };
        let path = dir.join(name);
        fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }
}

/// 4 KiB from a fixed-seed generator: the same bytes every run, and no ELF magic.
fn garbage() -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..4096)
        .map(|_| {
            // xorshift64: cheap and deterministic; the bytes need no quality beyond "not ELF".
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

/// An ELF64 executable for `machine` with one PT_LOAD segment at `vaddr` holding the
/// headers themselves, `memsz` bytes long (default: just the headers); entry at `vaddr`.
fn one_segment(machine: u16, vaddr: u64, memsz: Option<u64>) -> Vec<u8> {
    let file_size = u64::from(ELF64_HEADER_SIZE + ELF64_PHDR_SIZE);
    let mut bytes = elf64_header(ET_EXEC, machine, vaddr, 1, 0, 0, 0);
    put32(&mut bytes, PT_LOAD);
    put32(&mut bytes, PF_R_X);
    put64(&mut bytes, 0); // p_offset: the segment starts with the headers
    put64(&mut bytes, vaddr); // p_vaddr
    put64(&mut bytes, vaddr); // p_paddr
    put64(&mut bytes, file_size); // p_filesz
    put64(&mut bytes, memsz.unwrap_or(file_size)); // p_memsz
    put64(&mut bytes, 0x1000); // p_align
    bytes
}

/// A little-endian ELF64 file header; program headers, if any, follow it directly.
pub fn elf64_header(
    e_type: u16,
    machine: u16,
    entry: u64,
    phnum: u16,
    shoff: u64,
    shnum: u16,
    shstrndx: u16,
) -> Vec<u8> {
    let mut b = Vec::new();
    // Magic, ELFCLASS64, ELFDATA2LSB, EV_CURRENT, System V ABI, padding to 16 bytes.
    b.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    put16(&mut b, e_type);
    put16(&mut b, machine);
    put32(&mut b, 1); // e_version
    put64(&mut b, entry);
    put64(
        &mut b,
        if phnum > 0 {
            u64::from(ELF64_HEADER_SIZE)
        } else {
            0
        },
    ); // e_phoff
    put64(&mut b, shoff);
    put32(&mut b, 0); // e_flags
    put16(&mut b, ELF64_HEADER_SIZE);
    put16(&mut b, ELF64_PHDR_SIZE);
    put16(&mut b, phnum);
    put16(&mut b, ELF64_SHDR_SIZE);
    put16(&mut b, shnum);
    put16(&mut b, shstrndx);
    b
}

/// Appends a little-endian u16.
pub fn put16(bytes: &mut Vec<u8>, value: u16) {
    bytes.extend_from_slice(&value.to_le_bytes());
}

/// Appends a little-endian u32.
pub fn put32(bytes: &mut Vec<u8>, value: u32) {
    bytes.extend_from_slice(&value.to_le_bytes());
}

/// Appends a little-endian u64.
pub fn put64(bytes: &mut Vec<u8>, value: u64) {
    bytes.extend_from_slice(&value.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use object::read::elf::{ElfFile64, ProgramHeader};
    use object::{Architecture, Endianness, Object};

    #[test]
    fn huge_segment_is_a_valid_aarch64_elf_with_a_64_gib_load() {
        let bytes = one_segment(EM_AARCH64, LOAD_ADDRESS, Some(HUGE_SEGMENT_SIZE));
        let elf = ElfFile64::<Endianness>::parse(&bytes[..]).unwrap();
        assert_eq!(elf.architecture(), Architecture::Aarch64);
        assert_eq!(elf.entry(), LOAD_ADDRESS);
        let segments = elf.elf_program_headers();
        assert_eq!(segments.len(), 1);
        let endian = elf.endian();
        assert_eq!(segments[0].p_type(endian), PT_LOAD);
        assert_eq!(segments[0].p_memsz(endian), HUGE_SEGMENT_SIZE);
        assert_eq!(segments[0].p_filesz(endian), bytes.len() as u64);
    }

    #[test]
    fn garbage_is_not_an_elf_and_is_reproducible() {
        assert_ne!(&garbage()[..4], b"\x7fELF");
        assert_eq!(garbage(), garbage());
        assert!(object::File::parse(&garbage()[..]).is_err());
    }

    #[test]
    fn foreign_arch_is_an_elf_for_another_machine() {
        let bytes = one_segment(EM_X86_64, LOAD_ADDRESS, None);
        let file = object::File::parse(&bytes[..]).unwrap();
        assert_eq!(file.architecture(), Architecture::X86_64);
    }

    #[test]
    fn kernel_address_segment_is_aarch64_in_the_upper_half() {
        let bytes = one_segment(EM_AARCH64, KERNEL_ADDRESS, None);
        let elf = ElfFile64::<Endianness>::parse(&bytes[..]).unwrap();
        assert_eq!(elf.architecture(), Architecture::Aarch64);
        assert_eq!(elf.entry(), KERNEL_ADDRESS);
    }
}
