//! Matches a run's console output against an expected-output file.
//!
//! The file is a list of lines. Matching starts at the first console line that matches the
//! first expected line (what the kernel prints before the program is free to change); from
//! there each console line must match the next expected line, in order. After the last
//! expected line only blank lines and the kernel's own `kernel: ` lines (its halt message)
//! may follow. An expected line starting with `re:` is a regular expression for the whole
//! console line; any other must equal it, both with trailing whitespace trimmed.

use std::fmt;

use anyhow::{Context, Result};
use regex::Regex;

/// The prefix of an expected line that is a regular expression.
const REGEX_PREFIX: &str = "re:";
/// The prefix of the kernel's own console lines, allowed after the expected ones.
const KERNEL_PREFIX: &str = "kernel: ";

/// The header line that sets the exit status a program must end with (default 0).
const STATUS_HEADER: &str = "# exit-status:";

/// A parsed expected-output file.
#[derive(Debug)]
pub struct Expected {
    /// The exit status the run must end with.
    pub status: i32,
    lines: Vec<Line>,
}

/// One expected line.
#[derive(Debug)]
enum Line {
    /// Must equal the console line.
    Exact(String),
    /// Must match the whole console line; the text is the line as written in the file.
    Pattern(Regex, String),
}

impl Line {
    fn matches(&self, console: &str) -> bool {
        let console = console.trim_end();
        match self {
            Line::Exact(text) => text == console,
            Line::Pattern(regex, _) => regex.is_match(console),
        }
    }

    fn text(&self) -> &str {
        match self {
            Line::Exact(text) | Line::Pattern(_, text) => text,
        }
    }
}

/// Why the output does not match.
#[derive(Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// The expected file has no lines, so it cannot say where matching starts.
    EmptyExpectation,
    /// No console line matches expected line 1.
    NeverStarted { expected: String },
    /// Expected line `line` (1-based) does not match the console line.
    Differs {
        line: usize,
        expected: String,
        found: String,
    },
    /// The output ended before expected line `line` (1-based).
    EndedEarly { line: usize, expected: String },
    /// A console line follows the last expected line.
    Trailing { found: String },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::EmptyExpectation => write!(f, "the expected-output file has no lines"),
            Mismatch::NeverStarted { expected } => {
                write!(
                    f,
                    "expected line 1 never appeared in the output: `{expected}`"
                )
            }
            Mismatch::Differs {
                line,
                expected,
                found,
            } => {
                write!(
                    f,
                    "expected line {line}: `{expected}`\nconsole line:    `{found}`"
                )
            }
            Mismatch::EndedEarly { line, expected } => {
                write!(f, "output ended before expected line {line}: `{expected}`")
            }
            Mismatch::Trailing { found } => {
                write!(
                    f,
                    "output continues after the last expected line: `{found}`"
                )
            }
        }
    }
}

impl Expected {
    /// Parses an expected-output file; trailing blank lines are ignored. A first line
    /// `# exit-status: N` sets the status the run must end with.
    pub fn parse(text: &str) -> Result<Expected> {
        let (status, body) = match text.split_once('\n') {
            Some((first, rest)) if first.starts_with(STATUS_HEADER) => {
                let n = first[STATUS_HEADER.len()..].trim();
                let status = n
                    .parse()
                    .with_context(|| format!("bad exit status `{n}` in `{first}`"))?;
                (status, rest)
            }
            _ => (0, text),
        };
        let offset = usize::from(status != 0 || text.starts_with(STATUS_HEADER));
        let mut lines = body
            .lines()
            .enumerate()
            .map(|(index, line)| {
                let line = line.trim_end();
                match line.strip_prefix(REGEX_PREFIX) {
                    Some(pattern) => Regex::new(&format!("^(?:{pattern})$"))
                        .map(|regex| Line::Pattern(regex, line.to_owned()))
                        .with_context(|| {
                            format!(
                                "expected line {}: bad regular expression",
                                index + 1 + offset
                            )
                        }),
                    None => Ok(Line::Exact(line.to_owned())),
                }
            })
            .collect::<Result<Vec<_>>>()?;
        while lines
            .last()
            .is_some_and(|l| matches!(l, Line::Exact(t) if t.is_empty()))
        {
            lines.pop();
        }
        Ok(Expected { status, lines })
    }

    /// Checks a console output (with `\r` already removed or not) against these lines.
    pub fn check(&self, console: &str) -> Result<(), Mismatch> {
        let console = console.replace('\r', "");
        let mut console_lines = console.lines();
        let (first, rest) = self.lines.split_first().ok_or(Mismatch::EmptyExpectation)?;
        if !console_lines.any(|line| first.matches(line)) {
            return Err(Mismatch::NeverStarted {
                expected: first.text().to_owned(),
            });
        }
        for (index, expected) in rest.iter().enumerate() {
            let line = index + 2;
            match console_lines.next() {
                Some(found) if expected.matches(found) => {}
                Some(found) => {
                    return Err(Mismatch::Differs {
                        line,
                        expected: expected.text().to_owned(),
                        found: found.trim_end().to_owned(),
                    });
                }
                None => {
                    return Err(Mismatch::EndedEarly {
                        line,
                        expected: expected.text().to_owned(),
                    });
                }
            }
        }
        match console_lines.find(|l| !l.trim().is_empty() && !l.starts_with(KERNEL_PREFIX)) {
            Some(found) => Err(Mismatch::Trailing {
                found: found.trim_end().to_owned(),
            }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(expected: &str, console: &str) -> Result<(), Mismatch> {
        Expected::parse(expected).unwrap().check(console)
    }

    const CONSOLE: &str = "kernel: booting\r\nkernel: root task at 0x48000000\r\nHello, world!  \r\n\
                           untyped: 12 caps\r\ndone\r\n\r\nkernel: halting with status 0\r\n";

    #[test]
    fn matches_from_the_first_expected_line_to_the_kernel_halt() {
        assert_eq!(
            check("Hello, world!\nuntyped: 12 caps\ndone\n", CONSOLE),
            Ok(())
        );
    }

    #[test]
    fn regex_lines_match_the_whole_line() {
        assert_eq!(
            check("Hello, world!\nre:untyped: \\d+ caps\ndone\n", CONSOLE),
            Ok(())
        );
        assert!(matches!(
            check("Hello, world!\nre:untyped\ndone\n", CONSOLE),
            Err(Mismatch::Differs { line: 2, .. })
        ));
    }

    #[test]
    fn the_start_may_be_a_regex_and_may_skip_kernel_lines() {
        let expected =
            "re:kernel: root task at 0x[0-9a-f]+\nHello, world!\nuntyped: 12 caps\ndone\n";
        assert_eq!(check(expected, CONSOLE), Ok(()));
    }

    #[test]
    fn reports_the_first_differing_line() {
        assert_eq!(
            check("Hello, world!\nuntyped: 13 caps\ndone\n", CONSOLE),
            Err(Mismatch::Differs {
                line: 2,
                expected: "untyped: 13 caps".into(),
                found: "untyped: 12 caps".into()
            })
        );
    }

    #[test]
    fn reports_a_missing_start_and_an_early_end() {
        assert_eq!(
            check("Goodbye\n", CONSOLE),
            Err(Mismatch::NeverStarted {
                expected: "Goodbye".into()
            })
        );
        assert!(matches!(
            check("done\n\nkernel: halting with status 0\nmore\n", CONSOLE),
            Err(Mismatch::EndedEarly { line: 4, .. })
        ));
    }

    #[test]
    fn rejects_program_output_after_the_last_expected_line() {
        assert_eq!(
            check("Hello, world!\n", CONSOLE),
            Err(Mismatch::Trailing {
                found: "untyped: 12 caps".into()
            })
        );
    }

    #[test]
    fn trailing_blank_expected_lines_are_ignored_and_empty_files_rejected() {
        assert_eq!(
            check("Hello, world!\nuntyped: 12 caps\ndone\n\n\n", CONSOLE),
            Ok(())
        );
        assert_eq!(check("\n\n", CONSOLE), Err(Mismatch::EmptyExpectation));
    }

    #[test]
    fn an_exit_status_header_sets_the_status() {
        let e =
            Expected::parse("# exit-status: 4\nHello, world!\nuntyped: 12 caps\ndone\n").unwrap();
        assert_eq!(e.status, 4);
        assert_eq!(e.check(CONSOLE), Ok(()));
        assert_eq!(Expected::parse("Hello, world!\n").unwrap().status, 0);
        assert!(Expected::parse("# exit-status: four\nx\n").is_err());
    }

    #[test]
    fn a_bad_regex_is_an_error_naming_its_line() {
        let error = Expected::parse("ok\nre:(unclosed\n").unwrap_err();
        assert!(
            format!("{error:#}").contains("expected line 2"),
            "{error:#}"
        );
    }
}
