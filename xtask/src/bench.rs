//! `cargo xtask bench`: boots `examples/ipc-bench` under `-icount shift=0`, where the PMU
//! cycle counter counts guest instructions, and prints each figure beside seL4 16's,
//! measured with the same QEMU flags; writes `target/bench.json`.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use object::{Object, ObjectSection};

use crate::process::{self, Ending};
use crate::qemu::{Boot, Machine};
use crate::{cargo_build, image, install, programs};

/// seL4 16's figures (release, non-MCS, `-M virt -cpu cortex-a53 -icount shift=0`), from
/// the project's benchmark brief: (our name, seL4's figure, what seL4's figure is).
const SEL4: &[(&str, Option<u64>, &str)] = &[
    (
        "call_reply_recv_0_same_as",
        Some(536),
        "fastpath, FPU threads (431 with FPU off; 1440 slowpath)",
    ),
    (
        "call_reply_recv_4_same_as",
        Some(589),
        "fastpath, FPU threads (484 with FPU off)",
    ),
    ("call_reply_recv_0_cross_as", None, ""),
    ("call_reply_recv_4_cross_as", None, ""),
    ("send_recv_one_way", None, ""),
    ("signal_wait", None, ""),
    ("yield", None, ""),
    ("null_syscall", None, ""),
    (
        "power_on_to_root_task",
        Some(7_360_000),
        "about; 2.33 million in seL4's own boot",
    ),
];

/// Runs the benchmark and prints the table.
pub fn run(root: &Path) -> Result<u8> {
    install::require_qemu()?;
    install::require_targets(root)?;
    let kernel =
        cargo_build::kernel(root, cargo_build::KernelVariant::default()).run_inherited()?;
    let programs = programs::discover(root)?;
    let program = programs::find(&programs, "ipc-bench")?;
    let elf = cargo_build::program(root, program).run_inherited()?;
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
    eprintln!("xtask: {}", process::render(&boot.command()));
    let run = process::run_captured(boot.command(), Some(Duration::from_secs(120)))?;
    if run.ending != Ending::Exited(0) {
        bail!(
            "ipc-bench ended with {}; its output:\n{}",
            run.ending,
            run.output
        );
    }
    let ours: Vec<(String, u64)> = run
        .output
        .lines()
        .filter_map(|l| l.trim_end().strip_prefix("bench: "))
        .filter_map(|l| {
            let (name, value) = l.split_once(' ')?;
            Some((name.to_owned(), value.trim().parse().ok()?))
        })
        .collect();
    if ours.is_empty() {
        bail!(
            "ipc-bench printed no `bench:` lines; its output:\n{}",
            run.output
        );
    }
    let text = text_size(&kernel)?;
    let mut table = format!(
        "{:<28} {:>12} {:>12} {:>7}  seL4 figure\n",
        "operation (instructions)", "this kernel", "seL4 16", "ratio"
    );
    let mut json = String::from("{\n  \"unit\": \"guest instructions (qemu -icount shift=0)\",\n");
    let _ = writeln!(json, "  \"kernel_text_bytes\": {text},\n  \"results\": [");
    for (i, (name, value)) in ours.iter().enumerate() {
        let reference = SEL4.iter().find(|(n, ..)| n == name);
        let (theirs, note) = reference.map_or((None, ""), |&(_, v, n)| (v, n));
        let ratio = theirs.map_or("-".to_owned(), |t| {
            format!("{:.2}", *value as f64 / t as f64)
        });
        let theirs_s = theirs.map_or("-".to_owned(), |t| t.to_string());
        let _ = writeln!(
            table,
            "{name:<28} {value:>12} {theirs_s:>12} {ratio:>7}  {note}"
        );
        let sel4 = theirs.map_or("null".to_owned(), |t| t.to_string());
        let comma = if i + 1 < ours.len() { "," } else { "" };
        let _ = writeln!(
            json,
            "    {{\"name\": \"{name}\", \"instructions\": {value}, \"sel4\": {sel4}}}{comma}"
        );
    }
    json.push_str("  ]\n}\n");
    print!("{table}");
    println!("kernel .text: {text} bytes");
    let out = crate::cargo_build::target_root(root).join("bench.json");
    std::fs::write(&out, json).with_context(|| format!("writing {}", out.display()))?;
    println!("wrote {}", out.strip_prefix(root).unwrap_or(&out).display());
    Ok(0)
}

/// The size of the kernel's `.text` section.
fn text_size(kernel: &Path) -> Result<u64> {
    let data = std::fs::read(kernel).with_context(|| format!("reading {}", kernel.display()))?;
    let file = object::File::parse(&*data).context("parsing the kernel ELF")?;
    Ok(file.section_by_name(".text").map_or(0, |s| s.size()))
}
