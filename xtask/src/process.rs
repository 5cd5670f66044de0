//! Runs a child process with a time limit, either on the terminal or with its output captured
//! (and, if asked, input written to it once it says it is ready).

use std::ffi::OsStr;
use std::fmt;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// How a child process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// It exited with this status.
    Exited(i32),
    /// A signal ended it (not ours).
    Signalled,
    /// It outlived its time limit and was killed.
    TimedOut(Duration),
}

impl Ending {
    /// The status to exit xtask with: the child's own, else failure.
    pub fn exit_code(self) -> u8 {
        match self {
            // Statuses are 0..=255 on the hosts we run on; anything else is a failure.
            Ending::Exited(code) => u8::try_from(code).unwrap_or(1),
            Ending::Signalled | Ending::TimedOut(_) => 1,
        }
    }
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ending::Exited(code) => write!(f, "exit status {code}"),
            Ending::Signalled => write!(f, "killed by a signal"),
            Ending::TimedOut(limit) => {
                write!(f, "timed out after {} s and was killed", limit.as_secs())
            }
        }
    }
}

/// Bytes for a captured child's stdin, written once its output contains `after`.
///
/// Waiting matters for QEMU: its serial port takes input only as fast as the guest's UART
/// FIFO drains, and a driver that resets the FIFO while starting up would lose what came
/// before. So the program prints a ready line and the input follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Input {
    /// The text (a ready line, or part of one) to wait for in the output.
    pub after: &'static str,
    /// What to write then. Stdin stays open until the child exits.
    pub bytes: &'static [u8],
}

/// A finished child whose output was captured.
pub struct Captured {
    /// How it ended.
    pub ending: Ending,
    /// Its stdout and stderr, interleaved as written, with `\r` removed.
    pub output: String,
}

/// Runs `command` on the terminal (stdin, stdout and stderr inherited).
pub fn run_inherited(mut command: Command, timeout: Option<Duration>) -> Result<Ending> {
    let child = command
        .spawn()
        .with_context(|| format!("starting {:?}", command.get_program()))?;
    wait(child, timeout)
}

/// Runs `command` with no input, capturing stdout and stderr through one pipe, so the
/// captured text has them in the order the child wrote them.
pub fn run_captured(command: Command, timeout: Option<Duration>) -> Result<Captured> {
    run_captured_with_input(command, timeout, None)
}

/// As [`run_captured`], writing `input` (if any) to the child's stdin once its output
/// shows `input.after`; without input, stdin is empty.
pub fn run_captured_with_input(
    mut command: Command,
    timeout: Option<Duration>,
    input: Option<Input>,
) -> Result<Captured> {
    let (mut reader, writer) = std::io::pipe().context("creating a pipe")?;
    command
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(writer.try_clone()?)
        .stderr(writer);
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {:?}", command.get_program()))?;
    // The command holds the pipe's write ends; drop them so the reader sees the end of the
    // output when the child exits.
    drop(command);
    let mut stdin = child.stdin.take();
    let collector = thread::spawn(move || {
        let mut bytes = Vec::new();
        let mut pending = input;
        let mut chunk = [0u8; 4096];
        // A read error only shortens the captured output; the ending still tells the result.
        while let Ok(n @ 1..) = reader.read(&mut chunk) {
            // Search only the new bytes and the marker's length before them.
            let from = bytes
                .len()
                .saturating_sub(pending.map_or(0, |i| i.after.len()));
            bytes.extend_from_slice(&chunk[..n]);
            if let Some(input) = pending
                && contains(&bytes[from..], input.after.as_bytes())
            {
                pending = None;
                // A child that already exited cannot take it; the verdict will say so.
                if let Some(stdin) = stdin.as_mut() {
                    let _ = stdin.write_all(input.bytes).and_then(|()| stdin.flush());
                }
            }
        }
        // Only now, with the child gone, is its stdin closed.
        drop(stdin);
        bytes
    });
    let ending = wait(child, timeout)?;
    let bytes = collector.join().unwrap_or_default();
    let output = String::from_utf8_lossy(&bytes).replace('\r', "");
    Ok(Captured { ending, output })
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// Waits for the child, killing it when the time limit passes.
fn wait(mut child: Child, timeout: Option<Duration>) -> Result<Ending> {
    let deadline = timeout.map(|limit| (limit, Instant::now() + limit));
    loop {
        if let Some(status) = child.try_wait().context("waiting for a child process")? {
            return Ok(status.code().map_or(Ending::Signalled, Ending::Exited));
        }
        if let Some((limit, at)) = deadline
            && Instant::now() >= at
        {
            stop(&mut child)?;
            return Ok(Ending::TimedOut(limit));
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Asks the child to stop (SIGTERM lets QEMU restore the terminal), then kills it.
fn stop(child: &mut Child) -> Result<()> {
    let asked = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if asked {
        let grace = Instant::now() + Duration::from_secs(3);
        while Instant::now() < grace {
            if child.try_wait()?.is_some() {
                return Ok(());
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
    // The child may have exited between the last check and now; that is what we wanted.
    let _ = child.kill();
    child.wait().context("waiting for a killed child")?;
    Ok(())
}

/// A command as one line a person can paste into a shell.
pub fn render(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(quote)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Quotes a word for a POSIX shell, if it needs it.
pub fn quote(word: &OsStr) -> String {
    let word = word.to_string_lossy();
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./,:=+@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.into_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The last `n` lines of a text.
pub fn last_lines(text: &str, n: usize) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    #[test]
    fn captures_both_streams_in_order_and_the_status() {
        let run = run_captured(
            sh("echo one; echo two >&2; printf 'three\\r\\n'; exit 3"),
            None,
        )
        .unwrap();
        assert_eq!(run.ending, Ending::Exited(3));
        assert_eq!(run.output, "one\ntwo\nthree\n");
    }

    #[test]
    fn writes_input_once_the_child_is_ready() {
        // `read` waits for the input, which xtask writes after `ready`; with no input,
        // stdin is empty and `read` fails.
        let input = Input {
            after: "ready",
            bytes: b"typed\n",
        };
        let run = run_captured_with_input(
            sh("echo ready; read line && echo \"got $line\""),
            Some(Duration::from_secs(20)),
            Some(input),
        )
        .unwrap();
        assert_eq!(run.ending, Ending::Exited(0));
        assert_eq!(run.output, "ready\ngot typed\n");
        let run = run_captured(sh("read line || echo no input"), None).unwrap();
        assert_eq!(run.output, "no input\n");
    }

    #[test]
    fn finds_a_marker_split_across_reads() {
        let input = Input {
            after: "ready",
            bytes: b"x\n",
        };
        let run = run_captured_with_input(
            sh("printf re; sleep 0.2; echo ady; read line && echo \"got $line\""),
            Some(Duration::from_secs(20)),
            Some(input),
        )
        .unwrap();
        assert_eq!(run.output, "ready\ngot x\n");
        assert!(contains(b"abc", b"bc") && !contains(b"abc", b"cb") && contains(b"", b""));
    }

    #[test]
    fn kills_a_child_that_outlives_its_time_limit() {
        let limit = Duration::from_millis(200);
        let start = Instant::now();
        let run = run_captured(sh("echo started; exec sleep 30"), Some(limit)).unwrap();
        assert_eq!(run.ending, Ending::TimedOut(limit));
        assert_eq!(run.output, "started\n");
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn renders_a_command_for_a_shell() {
        let mut command = Command::new("qemu");
        command.args(["-M", "virt,x=1", "my file", "it's"]);
        assert_eq!(render(&command), r"qemu -M virt,x=1 'my file' 'it'\''s'");
    }

    #[test]
    fn last_lines_keeps_the_tail() {
        assert_eq!(last_lines("a\nb\nc\n", 2), ["b", "c"]);
        assert_eq!(last_lines("a\n", 5), ["a"]);
    }
}
