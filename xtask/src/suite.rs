//! `cargo xtask test`: host tests, builds, then every QEMU case, one at a time, with a summary.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::cargo_build::{self, Build, KernelVariant};
use crate::cases::{self, Case, RootTask};
use crate::process::{self, Ending};
use crate::programs::{self, Program};
use crate::progress::Progress;
use crate::qemu::Boot;
use crate::verdict::{Failure, failure, judge};
use crate::{image, install, refine};

/// The name of the host-test step, as `test FILTER` matches it.
const HOST_TESTS: &str = "host-tests";
/// The name of the build step.
const BUILD: &str = "build";
/// The name of the formatting check, as `test FILTER` matches it.
const FORMAT: &str = "format";
/// The name of the generated-programs-on-QEMU step, as `test FILTER` matches it.
const QEMU_PROGRAMS: &str = "qemu-programs";
/// Generated programs the suite runs on QEMU.
const QEMU_PROGRAM_CASES: u32 = 200;
/// The name of the soak step, as `test FILTER` matches it.
const SOAK: &str = "soak";
/// Syscalls the suite's soak makes on QEMU.
const SOAK_SYSCALLS: u64 = 100_000;

/// Runs the suite; returns xtask's exit status (0 if every step passed).
pub fn run(root: &Path, filter: Option<&str>, timeout_secs: u64) -> Result<u8> {
    let programs = programs::discover(root)?;
    let cases = cases::all(&programs, filter);
    let run_host_tests = filter.is_none_or(|f| HOST_TESTS.contains(f));
    let run_format = filter.is_none_or(|f| FORMAT.contains(f));
    let run_qemu_programs = filter.is_none_or(|f| QEMU_PROGRAMS.contains(f));
    let run_soak = filter.is_none_or(|f| SOAK.contains(f));
    if let Some(filter) = filter
        && cases.is_empty()
        && !run_host_tests
        && !run_format
        && !run_qemu_programs
        && !run_soak
    {
        bail!("no test case's name contains `{filter}`");
    }
    if !cases.is_empty() || run_qemu_programs || run_soak {
        install::require_qemu()?;
        install::require_targets(root)?;
    }
    let qemu_steps = cases.len() + usize::from(run_qemu_programs) + usize::from(run_soak);
    let steps = usize::from(run_format)
        + usize::from(run_host_tests)
        + if qemu_steps == 0 { 0 } else { 1 + qemu_steps };
    let mut suite = Suite {
        root,
        progress: Progress::new(steps),
        passed: 0,
        failed: Vec::new(),
    };
    if run_format {
        suite.format()?;
    }
    if run_host_tests {
        suite.host_tests()?;
    }
    if qemu_steps > 0 {
        // Without a filter every program is built, so one that has no case still must build.
        let to_build: Vec<&Program> = match filter {
            None => programs.iter().collect(),
            Some(_) => programs
                .iter()
                .filter(|p| {
                    cases.iter().any(|c| c.program_name() == Some(&p.name))
                        || (run_qemu_programs || run_soak) && p.name == refine::FUZZ_ROOT
                })
                .collect(),
        };
        let built = suite.build(&to_build, &cases, run_qemu_programs || run_soak)?;
        let timeout = (timeout_secs > 0).then(|| Duration::from_secs(timeout_secs));
        for case in &cases {
            suite.case(case, &programs, &built, timeout)?;
        }
        if run_qemu_programs {
            suite.qemu_programs(&built)?;
        }
        if run_soak {
            suite.soak()?;
        }
    }
    Ok(suite.finish())
}

/// The results so far, and where to show them.
struct Suite<'a> {
    root: &'a Path,
    progress: Progress,
    passed: usize,
    failed: Vec<String>,
}

/// The trace kernel, which the trace cases and the generated programs on QEMU boot.
const TRACE_KERNEL: KernelVariant = KernelVariant {
    cnode_bits: None,
    trace: true,
    mutants: false,
    slowpath: false,
};

/// The trace kernel with its mutants, for the arch layer's mutants on QEMU.
const MUTANT_TRACE_KERNEL: KernelVariant = KernelVariant {
    mutants: true,
    slowpath: false,
    ..TRACE_KERNEL
};

/// The ELF files the builds produced, or why each is missing.
struct Built {
    kernels: BTreeMap<KernelVariant, Result<PathBuf, String>>,
    programs: BTreeMap<String, Result<PathBuf, String>>,
    /// The trace replayer, if a case needs it.
    replay: Option<Result<PathBuf, String>>,
}

impl Suite<'_> {
    /// Records a step's result, printing a report if it failed.
    fn record(&mut self, name: &str, started: Instant, result: Result<(), Failure>) {
        self.progress.end(name, result.is_ok(), started.elapsed());
        match result {
            Ok(()) => self.passed += 1,
            Err(failure) => {
                self.progress.note(&failure.report(name));
                self.failed.push(name.to_owned());
            }
        }
    }

    /// `cargo fmt --check` over the workspace, as one step: unformatted code fails it.
    fn format(&mut self) -> Result<()> {
        let started = Instant::now();
        self.progress.begin(FORMAT);
        let command = cargo_build::format_check(self.root);
        let line = process::render(&command);
        let run = process::run_captured(command, None)?;
        let result = if run.ending == Ending::Exited(0) {
            Ok(())
        } else {
            Err(Failure {
                command: Some(line),
                ending: Some(run.ending),
                output: Some(run.output),
                ..Failure::new("code is not formatted: run `cargo fmt --all` and commit the result")
            })
        };
        self.record(FORMAT, started, result);
        Ok(())
    }

    /// `cargo test` over the host crates, as one step.
    fn host_tests(&mut self) -> Result<()> {
        let started = Instant::now();
        self.progress.begin(HOST_TESTS);
        let command = cargo_build::host_tests(self.root);
        let line = process::render(&command);
        let run = process::run_captured(command, None)?;
        let result = if run.ending == Ending::Exited(0) {
            self.progress.note(&format!(
                "{HOST_TESTS}: {} tests passed",
                count_passed(&run.output)
            ));
            Ok(())
        } else {
            Err(Failure {
                command: Some(line),
                ending: Some(run.ending),
                output: Some(run.output),
                ..Failure::new("cargo test failed")
            })
        };
        self.record(HOST_TESTS, started, result);
        Ok(())
    }

    /// Builds the kernels the cases need and the programs, as one step.
    fn build(&mut self, programs: &[&Program], cases: &[Case], trace: bool) -> Result<Built> {
        let started = Instant::now();
        self.progress.begin(BUILD);
        let mut failures = Vec::new();
        let mut variants: BTreeSet<KernelVariant> = cases.iter().map(Case::kernel).collect();
        if trace {
            variants.insert(TRACE_KERNEL);
            variants.insert(MUTANT_TRACE_KERNEL);
        }
        let mut built = Built {
            kernels: BTreeMap::new(),
            programs: BTreeMap::new(),
            replay: None,
        };
        for variant in variants {
            let result = self.build_one(cargo_build::kernel(self.root, variant), &mut failures)?;
            built.kernels.insert(variant, result);
        }
        if trace || cases.iter().any(|c| c.trace) {
            let result = self.build_one(cargo_build::replay_tool(self.root), &mut failures)?;
            built.replay = Some(result);
        }
        for program in programs {
            let result = self.build_one(cargo_build::program(self.root, program), &mut failures)?;
            built.programs.insert(program.name.clone(), result);
        }
        let result = match failures.len() {
            0 => Ok(()),
            1 => Err(failures.remove(0)),
            n => {
                for failure in &failures {
                    self.progress.note(&failure.report(BUILD));
                }
                Err(Failure::new(format!("{n} builds failed (reports above)")))
            }
        };
        self.record(BUILD, started, result);
        Ok(built)
    }

    /// Runs one cargo build with its output captured.
    fn build_one(
        &mut self,
        build: Build,
        failures: &mut Vec<Failure>,
    ) -> Result<Result<PathBuf, String>> {
        self.progress.working(&format!("{BUILD}: {}", build.what));
        let line = process::render(&build.command);
        let what = build.what.clone();
        let output = build.output.clone();
        let run = process::run_captured(build.command, None)?;
        let failure = if run.ending != Ending::Exited(0) {
            Failure {
                command: Some(line),
                ending: Some(run.ending),
                output: Some(run.output),
                ..Failure::new(format!("building {what} failed"))
            }
        } else if !output.is_file() {
            Failure::new(format!(
                "building {what} succeeded but {} is missing",
                output.display()
            ))
        } else {
            return Ok(Ok(output));
        };
        failures.push(failure);
        Ok(Err(format!("not run: building {what} failed")))
    }

    /// Boots one case and judges it.
    fn case(
        &mut self,
        case: &Case,
        programs: &[Program],
        built: &Built,
        timeout: Option<Duration>,
    ) -> Result<()> {
        let started = Instant::now();
        self.progress.begin(&case.name);
        let result = self.boot_and_judge(case, programs, built, timeout);
        let result = match result {
            Ok(note) => {
                if let Some(note) = note {
                    self.progress.note(&format!("{}: {note}", case.name));
                }
                Ok(())
            }
            Err(f) => Err(f),
        };
        self.record(&case.name, started, result);
        Ok(())
    }

    fn boot_and_judge(
        &self,
        case: &Case,
        programs: &[Program],
        built: &Built,
        timeout: Option<Duration>,
    ) -> Result<Option<String>, Failure> {
        let kernel = lookup(&built.kernels, &case.kernel())?;
        let trace = case
            .trace
            .then(|| refine::trace_folder(self.root).join(format!("{}.trace", case.name)));
        if let Some(file) = &trace {
            refine::check_trace_path(file).map_err(failure)?;
            // Case names may hold a `/` (faults/data_abort): the folder goes with them.
            if let Some(dir) = file.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ = std::fs::remove_file(file);
        }
        let program = case
            .program_name()
            .map(|name| programs::find(programs, name))
            .transpose()
            .map_err(failure)?;
        let root_elf = match &case.root_task {
            RootTask::Program(name) => lookup(&built.programs, name)?,
            RootTask::Bad(file) => file.write(self.root).map_err(failure)?,
        };
        let root_paddr = image::root_elf_paddr(&kernel).map_err(failure)?;
        let boot = Boot {
            machine: &case.machine,
            kernel: &kernel,
            root_elf: &root_elf,
            root_paddr,
            gdb_port: None,
            trace: trace.as_deref(),
            mutant: None,
        };
        let command = boot.command();
        let line = process::render(&command);
        let run =
            process::run_captured_with_input(command, timeout, case.input).map_err(failure)?;
        judge(self.root, case, program, &run).map_err(|f| Failure {
            command: Some(line),
            ending: Some(run.ending),
            output: Some(run.output.clone()),
            ..f
        })?;
        match &trace {
            Some(file) => self.replay(built, file),
            None => Ok(None),
        }
    }

    /// Replays a case's trace on the spec: its summary line, or the divergence. The trace
    /// is deleted when it replays (they are large), kept for a look when it does not.
    fn replay(&self, built: &Built, file: &Path) -> Result<Option<String>, Failure> {
        let tool = match &built.replay {
            Some(Ok(tool)) => tool,
            Some(Err(reason)) => return Err(Failure::new(reason.clone())),
            None => return Err(Failure::new("not run: the replay tool was not built")),
        };
        let mut command = std::process::Command::new(tool);
        command.arg(file);
        let line = process::render(&command);
        let run = process::run_captured(command, None).map_err(failure)?;
        if run.ending == Ending::Exited(0) {
            let _ = std::fs::remove_file(file);
            Ok(run.output.lines().last().map(str::to_owned))
        } else {
            Err(Failure {
                command: Some(line),
                ending: Some(run.ending),
                output: Some(run.output),
                ..Failure::new(format!(
                    "the spec disagrees with the kernel's trace (kept: {}; replay it with \
                     `cargo xtask refine --trace FILE`)",
                    file.display()
                ))
            })
        }
    }

    /// Generated programs on QEMU (the fuzzing root task on the trace kernel), each trace
    /// replayed on the spec, as one step.
    fn qemu_programs(&mut self, built: &Built) -> Result<()> {
        let started = Instant::now();
        self.progress.begin(QEMU_PROGRAMS);
        let result = (|| {
            let kernel = lookup(&built.kernels, &TRACE_KERNEL)?;
            let mutants = lookup(&built.kernels, &MUTANT_TRACE_KERNEL)?;
            let fuzz = lookup(&built.programs, &refine::FUZZ_ROOT.to_owned())?;
            let command = refine::qemu_programs(
                self.root,
                &kernel,
                &fuzz,
                QEMU_PROGRAM_CASES,
                None,
                Some(&mutants),
            );
            self.run_reporting(
                command,
                "refine on QEMU",
                "a generated program on QEMU and the spec diverge (the output below has the report and the seed that reproduces it)",
            )
        })();
        self.record(QEMU_PROGRAMS, started, result);
        Ok(())
    }

    /// The soak: random syscalls on the QEMU kernel from a fresh seed, each entry checked
    /// against the spec.
    fn soak(&mut self) -> Result<()> {
        let started = Instant::now();
        self.progress.begin(SOAK);
        let result = (|| {
            let command =
                refine::soak_command(self.root, SOAK_SYSCALLS, refine::fresh_seed(), None)
                    .map_err(|e| Failure::new(format!("building the soak: {e:#}")))?;
            self.run_reporting(
                command,
                "soak:",
                "the soak found a crash, a hang or a divergence (the output below has the reproducer and the seed)",
            )
        })();
        self.record(SOAK, started, result);
        Ok(())
    }

    /// Runs `command`, capturing its output: on success the line starting with `summary`
    /// is noted; otherwise the failure says `why` and carries the output.
    fn run_reporting(
        &self,
        command: std::process::Command,
        summary: &str,
        why: &str,
    ) -> Result<(), Failure> {
        let line = process::render(&command);
        let run = process::run_captured(command, None).map_err(failure)?;
        if run.ending == Ending::Exited(0) {
            if let Some(s) = run.output.lines().find(|l| l.starts_with(summary)) {
                self.progress.note(s);
            }
            Ok(())
        } else {
            Err(Failure {
                command: Some(line),
                ending: Some(run.ending),
                output: Some(run.output),
                ..Failure::new(why)
            })
        }
    }

    /// Prints the summary and returns the exit status.
    fn finish(self) -> u8 {
        self.progress.finish();
        if !self.failed.is_empty() {
            println!("failed: {}", self.failed.join(", "));
        }
        println!("{} passed, {} failed", self.passed, self.failed.len());
        u8::from(!self.failed.is_empty())
    }
}

/// A build's product, or a failure saying it is missing.
fn lookup<K: Ord>(map: &BTreeMap<K, Result<PathBuf, String>>, key: &K) -> Result<PathBuf, Failure> {
    match map.get(key) {
        Some(Ok(path)) => Ok(path.clone()),
        Some(Err(reason)) => Err(Failure::new(reason.clone())),
        None => Err(Failure::new("not run: nothing was built for it")),
    }
}

/// The number of tests cargo test reported passed, summed over its `test result:` lines.
fn count_passed(output: &str) -> usize {
    output
        .lines()
        .filter_map(|l| l.strip_prefix("test result: "))
        .filter_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let at = words.iter().position(|w| w.starts_with("passed"))?;
            words.get(at.checked_sub(1)?)?.parse::<usize>().ok()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_cargo_test_results() {
        let output = "test result: ok. 12 passed; 0 failed; 0 ignored\n\
                      noise\ntest result: ok. 3 passed; 0 failed; 1 ignored; 0 measured\n";
        assert_eq!(count_passed(output), 15);
    }
}
