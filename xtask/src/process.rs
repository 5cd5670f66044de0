//! Runs a child process with a time limit, either on the terminal or with its output captured.

use std::ffi::OsStr;
use std::fmt;
use std::io::Read;
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
pub fn run_captured(mut command: Command, timeout: Option<Duration>) -> Result<Captured> {
    let (mut reader, writer) = std::io::pipe().context("creating a pipe")?;
    command
        .stdin(Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer);
    let child = command
        .spawn()
        .with_context(|| format!("starting {:?}", command.get_program()))?;
    // The command holds the pipe's write ends; drop them so the reader sees the end of the
    // output when the child exits.
    drop(command);
    let collector = thread::spawn(move || {
        let mut bytes = Vec::new();
        // A read error only shortens the captured output; the ending still tells the result.
        let _ = reader.read_to_end(&mut bytes);
        bytes
    });
    let ending = wait(child, timeout)?;
    let bytes = collector.join().unwrap_or_default();
    let output = String::from_utf8_lossy(&bytes).replace('\r', "");
    Ok(Captured { ending, output })
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
