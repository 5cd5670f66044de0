//! `cargo xtask bench --profile ROW`: where one benchmark row's instructions go. Builds
//! `ipc-bench` to measure that row alone, runs it under QEMU one instruction per block with
//! every executed block logged (`-singlestep -d exec,nochain`), and counts the instructions
//! between the row's two cycle-counter reads by kernel function.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use object::{Object, ObjectSection, ObjectSymbol, SymbolKind};

use crate::process::{self, Ending};
use crate::qemu::{Boot, Machine};
use crate::{cargo_build, image, install, programs};

/// The rows measured over repeated rounds (`measure` in `examples/ipc-bench`): their two
/// counter reads bracket the rounds. (The others are timed one operation at a time.)
pub const ROWS: &[&str] = &[
    "call_reply_recv_0_same_as",
    "call_reply_recv_4_same_as",
    "call_reply_recv_0_cross_as",
    "call_reply_recv_4_cross_as",
    "call_reply_recv_0_fpu_off",
    "call_reply_recv_4_fpu_off",
    "send_recv_one_way",
    "ntfn_signal_wake",
    "signal_no_waiter",
    "poll_idle",
    "yield",
    "null_syscall",
    "set_priority_range_error",
    "call_tcb_illegal_operation",
];

/// How many functions the report lists.
const SHOWN: usize = 25;

/// Profiles `row` and prints the table.
pub fn run(root: &Path, row: &str) -> Result<u8> {
    if !ROWS.contains(&row) {
        bail!(
            "`{row}` cannot be profiled: only the rows measured over repeated rounds can ({})",
            ROWS.join(", ")
        );
    }
    install::require_qemu()?;
    install::require_targets(root)?;
    let kernel =
        cargo_build::kernel(root, cargo_build::KernelVariant::default()).run_inherited()?;
    let programs = programs::discover(root)?;
    let program = programs::find(&programs, "ipc-bench")?;
    let mut build = cargo_build::program(root, program);
    build.command.env("IPC_BENCH_ONLY", row);
    let elf = build.run_inherited()?;
    let log = cargo_build::target_root(root).join("bench-profile.log");
    let machine = Machine::default();
    let boot = Boot {
        machine: &machine,
        kernel: &kernel,
        root_elf: &elf,
        root_paddr: image::root_elf_paddr(&kernel)?,
        gdb_port: None,
        trace: None,
        mutant: None,
    };
    let mut command = boot.command();
    command
        .args(["-singlestep", "-d", "exec,nochain", "-D"])
        .arg(&log);
    eprintln!("xtask: {}", process::render(&command));
    let run = process::run_captured(command, Some(Duration::from_secs(600)))?;
    // The benchmark was built again for this row: the next plain run rebuilds it whole.
    if run.ending != Ending::Exited(0) {
        bail!(
            "ipc-bench ended with {}; its output:\n{}",
            run.ending,
            run.output
        );
    }
    let figure: u64 = run
        .output
        .lines()
        .find_map(|l| l.trim_end().strip_prefix(&format!("bench: {row} ")))
        .and_then(|v| v.trim().parse().ok())
        .with_context(|| format!("ipc-bench printed no figure for {row}:\n{}", run.output))?;
    let marks = counter_reads(&std::fs::read(&elf).context("reading ipc-bench")?)?;
    let symbols = Symbols::of(&std::fs::read(&kernel).context("reading the kernel")?)?;
    let file = std::fs::File::open(&log).with_context(|| format!("opening {}", log.display()))?;
    let counts = count(BufReader::new(file), &marks, &symbols)?;
    let _ = std::fs::remove_file(&log);
    print!("{}", report(row, figure, &counts));
    Ok(0)
}

/// The addresses of the `mrs xN, pmccntr_el0` instructions in a user ELF's code.
pub fn counter_reads(elf: &[u8]) -> Result<Vec<u64>> {
    let file = object::File::parse(elf).context("parsing ipc-bench's ELF")?;
    let mut marks = Vec::new();
    for section in file.sections() {
        if section.kind() != object::SectionKind::Text {
            continue;
        }
        let data = section.data().context("reading a code section")?;
        for (i, word) in data.chunks_exact(4).enumerate() {
            let w = u32::from_le_bytes(word.try_into().expect("4 bytes"));
            // MRS Xt, PMCCNTR_EL0: 0xd53b9d00 | t.
            if w & !0x1f == 0xd53b_9d00 {
                marks.push(section.address() + 4 * i as u64);
            }
        }
    }
    if marks.is_empty() {
        bail!("ipc-bench reads no cycle counter: nothing brackets the row");
    }
    Ok(marks)
}

/// The kernel's functions by address, with readable names.
pub struct Symbols(Vec<(u64, String)>);

impl Symbols {
    fn of(elf: &[u8]) -> Result<Symbols> {
        let file = object::File::parse(elf).context("parsing the kernel's ELF")?;
        // Functions, and the assembly's labels (no size, no type: the vectors, the entry
        // and exit code); not the `$x`/`$d` markers of code and data.
        let mut v: Vec<(u64, String)> = file
            .symbols()
            .filter(|s| {
                matches!(
                    s.kind(),
                    SymbolKind::Text | SymbolKind::Label | SymbolKind::Unknown
                ) && s.address() >> 63 == 1
            })
            .filter_map(|s| {
                let name = s.name().ok()?;
                (!name.is_empty() && !name.starts_with('$') && !name.starts_with(".L"))
                    .then(|| (s.address(), demangle(name)))
            })
            .collect();
        v.sort();
        Ok(Symbols(v))
    }

    /// The function holding `pc`, if any.
    fn at(&self, pc: u64) -> Option<&str> {
        let i = self.0.partition_point(|&(a, _)| a <= pc);
        (i > 0).then(|| self.0[i - 1].1.as_str())
    }
}

/// A Rust (legacy-mangled) symbol as `path::to::name`, without its hash; other names as
/// they are.
pub fn demangle(name: &str) -> String {
    let Some(mut rest) = name.strip_prefix("_ZN") else {
        return name.to_owned();
    };
    let mut parts = Vec::new();
    while let Some(digits) = rest.find(|c: char| !c.is_ascii_digit()).filter(|&n| n > 0) {
        let Ok(len) = rest[..digits].parse::<usize>() else {
            break;
        };
        let Some(part) = rest.get(digits..digits + len) else {
            break;
        };
        parts.push(part);
        rest = &rest[digits + len..];
    }
    if parts
        .last()
        .is_some_and(|p| p.starts_with('h') && p.len() == 17)
    {
        parts.pop();
    }
    if parts.is_empty() {
        return name.to_owned();
    }
    parts
        .join("::")
        .replace("$LT$", "<")
        .replace("$GT$", ">")
        .replace("$u20$", " ")
        .replace("..", "::")
}

/// The pc of an executed block in a line of QEMU's exec log
/// (`Trace 0: 0x... [00000000/ffff800040200000/00000121/ff020201] `).
pub fn logged_pc(line: &str) -> Option<u64> {
    let fields = line.split_once('[')?.1;
    let pc = fields.split('/').nth(1)?;
    u64::from_str_radix(pc, 16).ok()
}

/// What ran between the second and the third cycle-counter read (the first is the boot
/// figure's): instructions by kernel function, and those at user level under "<user>".
pub fn count(log: impl BufRead, marks: &[u64], symbols: &Symbols) -> Result<HashMap<String, u64>> {
    let mut counts: HashMap<String, u64> = HashMap::new();
    let mut seen = 0;
    for line in log.lines() {
        let line = line.context("reading QEMU's log")?;
        let Some(pc) = logged_pc(&line) else {
            continue;
        };
        if marks.contains(&pc) {
            seen += 1;
            if seen == 3 {
                return Ok(counts);
            }
            continue;
        }
        if seen == 2 {
            let name = if pc >> 63 == 0 {
                "<user>"
            } else {
                symbols.at(pc).unwrap_or("<unknown kernel address>")
            };
            *counts.entry(name.to_owned()).or_default() += 1;
        }
    }
    bail!("QEMU's log holds {seen} of the row's 3 counter reads (boot, start, end)")
}

/// The table: instructions per repetition by function, the most first.
pub fn report(row: &str, figure: u64, counts: &HashMap<String, u64>) -> String {
    use std::fmt::Write as _;
    let total: u64 = counts.values().sum();
    // The counts cover every repetition; the benchmark's figure is one repetition.
    let reps = (total as f64 / figure.max(1) as f64).round().max(1.0);
    let mut rows: Vec<(&String, &u64)> = counts.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut out = format!(
        "profile of {row}: {figure} instructions per repetition ({reps} repetitions traced)\n"
    );
    for (name, n) in rows.iter().take(SHOWN) {
        let _ = writeln!(out, "{:>9.1}  {name}", **n as f64 / reps);
    }
    if rows.len() > SHOWN {
        let rest: u64 = rows[SHOWN..].iter().map(|r| *r.1).sum();
        let _ = writeln!(
            out,
            "{:>9.1}  ({} more functions)",
            rest as f64 / reps,
            rows.len() - SHOWN
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_symbols_read_as_paths() {
        assert_eq!(
            demangle("_ZN6kernel3api8fastpath4call17ha7b84d9ed9c316c8E"),
            "kernel::api::fastpath::call"
        );
        assert_eq!(
            demangle("_ZN4core3fmt9Formatter3pad17h0123456789abcdefE"),
            "core::fmt::Formatter::pad"
        );
        assert_eq!(demangle("el0_entry"), "el0_entry");
    }

    #[test]
    fn the_log_gives_each_block_its_pc() {
        let line = "Trace 0: 0x7fa364000100 [0000000000004000/ffff800040200004/00000121/ff020201] ";
        assert_eq!(logged_pc(line), Some(0xffff_8000_4020_0004));
        assert_eq!(logged_pc("Linking TBs"), None);
    }

    #[test]
    fn only_the_instructions_between_the_row_reads_count() {
        let symbols = Symbols(vec![
            (0xffff_8000_0000_1000, "kernel::a".to_owned()),
            (0xffff_8000_0000_2000, "kernel::b".to_owned()),
        ]);
        let marks = [0x40_0000];
        let line = |pc: u64| format!("Trace 0: 0x0 [0/{pc:016x}/0/0] \n");
        let mut log = String::new();
        for pc in [
            0xffff_8000_0000_1004, // before the boot read: not counted
            0x40_0000,             // boot read
            0x40_0010,             // warm-up: not counted
            0x40_0000,             // start
            0x40_0020,
            0xffff_8000_0000_1008,
            0xffff_8000_0000_2000,
            0xffff_8000_0000_2004,
            0x40_0000, // end
            0xffff_8000_0000_1000,
        ] {
            log.push_str(&line(pc));
        }
        let counts = count(log.as_bytes(), &marks, &symbols).unwrap();
        assert_eq!(counts.get("<user>"), Some(&1));
        assert_eq!(counts.get("kernel::a"), Some(&1));
        assert_eq!(counts.get("kernel::b"), Some(&2));
        assert!(count("".as_bytes(), &marks, &symbols).is_err());
        let table = report("yield", 4, &counts);
        assert!(
            table.starts_with(
                "profile of yield: 4 instructions per repetition (1 repetitions traced)"
            ),
            "{table}"
        );
        assert!(table.contains("      2.0  kernel::b"), "{table}");
    }
}
