//! The verdict on a finished step: the rules a case's run must meet, and the failure report.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cases::{Case, EXPECTED_FILE, Expect, REFUSED_LINE_PREFIX, REFUSED_STATUS};
use crate::expect::Expected;
use crate::process::{self, Captured, Ending};
use crate::programs::Program;

/// How many trailing output lines a failure report shows.
const TAIL_LINES: usize = 40;

/// Why a step failed, and what helps to see why.
#[derive(Default)]
pub struct Failure {
    /// One line saying what went wrong.
    pub reason: String,
    /// The command that ran, as a shell line.
    pub command: Option<String>,
    /// How it ended.
    pub ending: Option<Ending>,
    /// The first expected line that did not match, and the console line instead.
    pub mismatch: Option<String>,
    /// Its captured output (the report shows the tail).
    pub output: Option<String>,
}

impl Failure {
    /// A failure with only a reason.
    pub fn new(reason: impl Into<String>) -> Failure {
        Failure {
            reason: reason.into(),
            ..Failure::default()
        }
    }

    /// The text shown for a failed step called `name`.
    pub fn report(&self, name: &str) -> String {
        let mut text = format!("FAILED {name}: {}", self.reason);
        if let Some(command) = &self.command {
            text += &format!("\n  command: {command}");
        }
        if let Some(ending) = &self.ending {
            text += &format!("\n  status:  {ending}");
        }
        if let Some(mismatch) = &self.mismatch {
            text += &format!(
                "\n  first mismatch: {}",
                mismatch.replace('\n', "\n                  ")
            );
        }
        if let Some(output) = &self.output {
            text += &format!("\n  last {TAIL_LINES} lines of output:");
            for line in process::last_lines(output, TAIL_LINES) {
                text += &format!("\n  | {line}");
            }
        }
        text
    }
}

/// Decides a finished case by its rule.
pub fn judge(
    root: &Path,
    case: &Case,
    program: Option<&Program>,
    run: &Captured,
) -> Result<(), Failure> {
    let expected_file = match (&case.expect, program) {
        (Expect::Refused, _) => return judge_refused(run),
        (Expect::File(name), Some(p)) => Some(p.expected_file(name)),
        (_, None) => return Err(Failure::new("an expected-output rule needs a program")),
    };
    let (status, mismatch) = match &expected_file {
        Some(file) => match_file(file, &run.output)?,
        None => (0, None),
    };
    // Under the trace kernel every entry takes longer, so timer ticks land elsewhere and
    // output that threads print between ticks interleaves differently: the trace case
    // checks the exit status and the replay; the plain case checks the console.
    let mismatch = if case.trace { None } else { mismatch };
    let shown = |f: &PathBuf| f.strip_prefix(root).unwrap_or(f).display().to_string();
    match (run.ending == Ending::Exited(status), mismatch) {
        (true, None) => Ok(()),
        (true, Some(mismatch)) => Err(Failure {
            mismatch: Some(mismatch),
            ..Failure::new(format!(
                "output does not match {}",
                expected_file.as_ref().map(shown).unwrap_or_default()
            ))
        }),
        (false, mismatch) => Err(Failure {
            mismatch,
            ..Failure::new(format!("{}, expected exit status {status}", run.ending))
        }),
    }
}

/// Reads an expected-output file and matches the output against it: the exit status the
/// file asks for, and the mismatch, if any.
fn match_file(file: &Path, output: &str) -> Result<(i32, Option<String>), Failure> {
    let text = std::fs::read_to_string(file)
        .with_context(|| {
            format!(
                "reading {} (each case needs its {EXPECTED_FILE})",
                file.display()
            )
        })
        .map_err(failure)?;
    let expected = Expected::parse(&text)
        .with_context(|| format!("in {}", file.display()))
        .map_err(failure)?;
    Ok((
        expected.status,
        expected.check(output).err().map(|m| m.to_string()),
    ))
}

/// A refused root task: status 2 and the kernel's refusal on the console.
fn judge_refused(run: &Captured) -> Result<(), Failure> {
    let said_so = run
        .output
        .lines()
        .any(|l| l.starts_with(REFUSED_LINE_PREFIX));
    match (run.ending == Ending::Exited(REFUSED_STATUS), said_so) {
        (true, true) => Ok(()),
        (status_ok, _) => {
            let mut reasons = Vec::new();
            if !status_ok {
                reasons.push(format!(
                    "{}, expected exit status {REFUSED_STATUS}",
                    run.ending
                ));
            }
            if !said_so {
                reasons.push(format!(
                    "no console line starts with `{REFUSED_LINE_PREFIX}`"
                ));
            }
            Err(Failure::new(reasons.join("; ")))
        }
    }
}

/// An error as a failure reason.
pub fn failure(error: anyhow::Error) -> Failure {
    Failure::new(format!("{error:#}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::badelf::BadElf;
    use crate::programs;

    fn captured(code: i32, output: &str) -> Captured {
        Captured {
            ending: Ending::Exited(code),
            output: output.to_owned(),
        }
    }

    #[test]
    fn refusal_needs_status_2_and_the_kernel_line() {
        let case = Case::refused("bad", BadElf::Garbage);
        let said = "kernel: booting\nkernel: refusing root task: bad ELF magic\n";
        assert!(judge(Path::new("/"), &case, None, &captured(2, said)).is_ok());
        let reason = judge(Path::new("/"), &case, None, &captured(0, said))
            .unwrap_err()
            .reason;
        assert!(
            reason.contains("exit status 0, expected exit status 2"),
            "{reason}"
        );
        let reason = judge(
            Path::new("/"),
            &case,
            None,
            &captured(2, "kernel: booting\n"),
        )
        .unwrap_err()
        .reason;
        assert!(reason.contains("no console line"), "{reason}");
    }

    #[test]
    fn a_missing_expected_file_fails_the_case() {
        let program = Program {
            name: "hello".into(),
            package: "hello".into(),
            bin: "hello".into(),
            dir: PathBuf::from("/nonexistent"),
            kind: programs::Kind::Example,
        };
        let required = Case::program("x", "hello");
        assert!(
            judge(Path::new("/"), &required, Some(&program), &captured(0, ""))
                .unwrap_err()
                .reason
                .contains("expected.txt")
        );
    }

    #[test]
    fn failure_report_shows_command_status_mismatch_and_tail() {
        let output: String = (1..=50).map(|i| format!("line {i}\n")).collect();
        let failure = Failure {
            command: Some("qemu-system-aarch64 -M virt".into()),
            ending: Some(Ending::Exited(3)),
            mismatch: Some("expected line 2: `a`".into()),
            output: Some(output),
            ..Failure::new("exit status 3, expected exit status 0")
        };
        let report = failure.report("hello");
        assert!(report.starts_with("FAILED hello: exit status 3"));
        assert!(report.contains("\n  command: qemu-system-aarch64 -M virt"));
        assert!(report.contains("\n  first mismatch: expected line 2"));
        assert!(
            report.contains("| line 11\n")
                && !report.contains("| line 10\n")
                && report.ends_with("| line 50")
        );
    }
}
