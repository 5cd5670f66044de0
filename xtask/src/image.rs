//! Reads from the kernel ELF the physical address where the root task's ELF must be loaded.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};
use object::{Object, ObjectSymbol};

/// The kernel's symbol whose value is the root task's load address (physical).
pub const ROOT_ELF_PADDR_SYMBOL: &str = "__root_elf_paddr";

/// The physical address at which QEMU must place the root task's ELF file.
pub fn root_elf_paddr(kernel: &Path) -> Result<u64> {
    let data =
        fs::read(kernel).with_context(|| format!("reading the kernel {}", kernel.display()))?;
    symbol_value(&data, ROOT_ELF_PADDR_SYMBOL).with_context(|| format!("in {}", kernel.display()))
}

/// The value of a defined symbol in an object file's symbol table.
pub fn symbol_value(data: &[u8], name: &str) -> Result<u64> {
    let file = object::File::parse(data).context("not a readable object file")?;
    let symbol = file
        .symbols()
        .find(|s| s.name() == Ok(name))
        .with_context(|| format!("no symbol `{name}` in the symbol table (was it stripped?)"))?;
    if symbol.is_undefined() {
        bail!("symbol `{name}` is undefined");
    }
    Ok(symbol.address())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::badelf::{EM_AARCH64, elf64_header, put16, put32, put64};

    const SHT_SYMTAB: u32 = 2;
    const SHT_STRTAB: u32 = 3;
    const SHN_ABS: u16 = 0xfff1;
    const STB_GLOBAL_NOTYPE: u8 = 0x10;
    const ET_EXEC: u16 = 2;

    /// A section header's fields, in file order.
    struct Section {
        name: u32,
        kind: u32,
        offset: u64,
        size: u64,
        link: u32,
        info: u32,
        entsize: u64,
    }

    /// An ELF with a symbol table holding one absolute symbol `name = value`, as a linker
    /// script's `name = value;` produces.
    fn elf_with_symbol(name: &str, value: u64) -> Vec<u8> {
        let strtab = format!("\0{name}\0").into_bytes();
        let shstrtab = b"\0.symtab\0.strtab\0.shstrtab\0".to_vec();
        let mut symtab = vec![0u8; 24]; // symbol 0 is the null symbol
        put32(&mut symtab, 1); // st_name: offset of `name` in .strtab
        symtab.extend_from_slice(&[STB_GLOBAL_NOTYPE, 0]); // st_info, st_other
        put16(&mut symtab, SHN_ABS);
        put64(&mut symtab, value);
        put64(&mut symtab, 0); // st_size

        let symtab_at = 64u64;
        let strtab_at = symtab_at + symtab.len() as u64;
        let shstrtab_at = strtab_at + strtab.len() as u64;
        let sections_at = shstrtab_at + shstrtab.len() as u64;
        let sections = [
            Section {
                name: 0,
                kind: 0,
                offset: 0,
                size: 0,
                link: 0,
                info: 0,
                entsize: 0,
            },
            Section {
                name: 1,
                kind: SHT_SYMTAB,
                offset: symtab_at,
                size: symtab.len() as u64,
                link: 2,
                info: 1,
                entsize: 24,
            },
            Section {
                name: 9,
                kind: SHT_STRTAB,
                offset: strtab_at,
                size: strtab.len() as u64,
                link: 0,
                info: 0,
                entsize: 0,
            },
            Section {
                name: 17,
                kind: SHT_STRTAB,
                offset: shstrtab_at,
                size: shstrtab.len() as u64,
                link: 0,
                info: 0,
                entsize: 0,
            },
        ];

        let mut elf = elf64_header(ET_EXEC, EM_AARCH64, 0x4008_0000, 0, sections_at, 4, 3);
        elf.extend_from_slice(&symtab);
        elf.extend_from_slice(&strtab);
        elf.extend_from_slice(&shstrtab);
        for s in sections {
            put32(&mut elf, s.name);
            put32(&mut elf, s.kind);
            put64(&mut elf, 0); // sh_flags
            put64(&mut elf, 0); // sh_addr
            put64(&mut elf, s.offset);
            put64(&mut elf, s.size);
            put32(&mut elf, s.link);
            put32(&mut elf, s.info);
            put64(&mut elf, 1); // sh_addralign
            put64(&mut elf, s.entsize);
        }
        elf
    }

    #[test]
    fn reads_the_value_of_an_absolute_symbol() {
        let elf = elf_with_symbol(ROOT_ELF_PADDR_SYMBOL, 0x4800_0000);
        assert_eq!(
            symbol_value(&elf, ROOT_ELF_PADDR_SYMBOL).unwrap(),
            0x4800_0000
        );
    }

    #[test]
    fn a_missing_symbol_is_an_error_that_names_it() {
        let elf = elf_with_symbol("something_else", 1);
        let error = symbol_value(&elf, ROOT_ELF_PADDR_SYMBOL)
            .unwrap_err()
            .to_string();
        assert!(error.contains(ROOT_ELF_PADDR_SYMBOL), "{error}");
    }

    #[test]
    fn reads_a_symbol_of_a_real_host_binary() {
        // The test binary itself was linked by the host toolchain and keeps its symbols.
        let exe = fs::read(std::env::current_exe().unwrap()).unwrap();
        assert_ne!(symbol_value(&exe, "main").unwrap(), 0);
    }

    #[test]
    fn a_file_that_is_no_elf_is_an_error() {
        assert!(symbol_value(b"not an elf at all", ROOT_ELF_PADDR_SYMBOL).is_err());
    }
}
