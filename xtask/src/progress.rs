//! Progress of a test run: a bar on a terminal, plain lines otherwise (CI logs).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Reports steps begun and finished, and notes in between.
pub struct Progress {
    bar: Option<ProgressBar>,
    total: usize,
    done: usize,
}

impl Progress {
    /// A progress display for `total` steps, drawn as a bar only if stdout is a terminal.
    pub fn new(total: usize) -> Progress {
        let bar = std::io::stdout().is_terminal().then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stdout());
            if let Ok(style) =
                ProgressStyle::with_template("{elapsed_precise:.dim} [{bar:30}] {pos}/{len} {msg}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.enable_steady_tick(Duration::from_millis(250));
            bar
        });
        Progress {
            bar,
            total,
            done: 0,
        }
    }

    /// Shows that something is under way, without counting it as a step.
    pub fn working(&self, what: &str) {
        match &self.bar {
            Some(bar) => bar.set_message(what.to_owned()),
            None => println!("{what} ..."),
        }
    }

    /// Starts the next step.
    pub fn begin(&self, name: &str) {
        match &self.bar {
            Some(bar) => bar.set_message(name.to_owned()),
            None => println!("[{}/{}] {name} ...", self.done + 1, self.total),
        }
    }

    /// Ends the current step.
    pub fn end(&mut self, name: &str, passed: bool, elapsed: Duration) {
        self.done += 1;
        let verdict = if passed { "ok" } else { "FAILED" };
        let line = format!(
            "[{}/{}] {name}: {verdict} ({:.1} s)",
            self.done,
            self.total,
            elapsed.as_secs_f64()
        );
        match &self.bar {
            Some(bar) => {
                bar.println(line);
                bar.inc(1);
            }
            None => println!("{line}"),
        }
    }

    /// Prints text above the bar (or as plain lines).
    pub fn note(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => println!("{text}"),
        }
    }

    /// Removes the bar, leaving the lines printed above it.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
