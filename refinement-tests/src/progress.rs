//! A long run's progress (programs done, kernel entries compared, the rate) printed now and
//! then, and the watchdog that fails a run which stops making progress, naming its seed and
//! the last thing it did.

use std::fmt::Debug;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often a run prints its progress.
const EVERY: Duration = Duration::from_secs(10);

/// Progress lines for one run (`refine on the host: 120/1000 programs, ...`).
pub struct Progress {
    what: &'static str,
    total: u64,
    started: Instant,
    printed: Instant,
    /// Whether to print at all (a test run stays quiet).
    print: bool,
}

impl Progress {
    /// A run of `total` programs called `what` ("on the host", "on QEMU").
    pub fn new(what: &'static str, total: u64, print: bool) -> Progress {
        let now = Instant::now();
        Progress {
            what,
            total,
            started: now,
            printed: now,
            print,
        }
    }

    /// `programs` done and `entries` compared so far; prints a line if one is due.
    pub fn update(&mut self, programs: u64, entries: u64) {
        if self.due() {
            eprintln!("{}", self.line(programs, entries));
        }
    }

    /// Whether a line is due now (and, if so, the next one is due in [`EVERY`]).
    fn due(&mut self) -> bool {
        let due = self.print && self.printed.elapsed() >= EVERY;
        if due {
            self.printed = Instant::now();
        }
        due
    }

    /// `syscalls` made (of the run's total) by `programs`, `entries` compared; prints a line
    /// if one is due (the soak counts syscalls, not programs).
    pub fn update_syscalls(&mut self, programs: u64, syscalls: u64, entries: u64) {
        if self.due() {
            let secs = self.started.elapsed().as_secs_f64().max(1e-3);
            eprintln!(
                "refine {}: {syscalls}/{} syscalls, {programs} programs, {entries} kernel entries, {:.0} syscalls/s",
                self.what,
                self.total,
                syscalls as f64 / secs
            );
        }
    }

    /// The progress line.
    pub fn line(&self, programs: u64, entries: u64) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        format!(
            "refine {}: {programs}/{} programs, {entries} kernel entries, {:.0} entries/s",
            self.what,
            self.total,
            entries as f64 / secs
        )
    }
}

/// What the watchdog knows of the run it watches.
struct Watch {
    seed: u64,
    reproduce: String,
    limit: Duration,
    beat: Instant,
    last: Option<Box<dyn Debug + Send>>,
}

static WATCH: Mutex<Option<Watch>> = Mutex::new(None);

/// Arms the watchdog for this process: if no [`beat`] comes for `limit`, it prints the seed,
/// `reproduce` (the command that repeats the run) and the last thing beaten, then ends the
/// process with status 3. A run that hangs (a kernel loop on the host, a replay that never
/// ends) thus fails instead of waiting forever.
pub fn arm(seed: u64, limit: Duration, reproduce: String) {
    let first = WATCH.lock().map_or(true, |mut w| {
        let first = w.is_none();
        *w = Some(Watch {
            seed,
            reproduce,
            limit,
            beat: Instant::now(),
            last: None,
        });
        first
    });
    if first {
        std::thread::spawn(watch);
    }
}

/// Marks progress: `last` is what the run does now (a step, a program), printed if the run
/// stops here. Without an armed watchdog this does nothing.
pub fn beat<T: Debug + Send + 'static>(last: impl FnOnce() -> T) {
    if let Ok(mut w) = WATCH.lock()
        && let Some(w) = w.as_mut()
    {
        w.beat = Instant::now();
        w.last = Some(Box::new(last()));
    }
}

impl Watch {
    /// The report if no beat has come for longer than the limit.
    fn stalled(&self) -> Option<String> {
        (self.beat.elapsed() > self.limit).then(|| {
            format!(
                "refine: no progress for {:?} (seed {}; reproduce: {}); the last thing it did: {}",
                self.limit,
                self.seed,
                self.reproduce,
                self.last
                    .as_ref()
                    .map_or_else(|| "nothing yet".to_owned(), |l| format!("{l:?}"))
            )
        })
    }
}

fn watch() {
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let Ok(w) = WATCH.lock() else { return };
        if let Some(report) = w.as_ref().and_then(Watch::stalled) {
            eprintln!("{report}");
            std::process::exit(3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stalled_run_names_its_seed_and_last_step() {
        let mut w = Watch {
            seed: 42,
            reproduce: "cargo xtask refine --cases 9 --seed 42".to_owned(),
            limit: Duration::from_millis(20),
            beat: Instant::now(),
            last: Some(Box::new("step 3: Ticks(2)")),
        };
        assert_eq!(w.stalled(), None);
        std::thread::sleep(Duration::from_millis(40));
        let report = w.stalled().expect("stalled");
        assert!(
            report.contains("seed 42") && report.contains("step 3: Ticks(2)"),
            "{report}"
        );
        assert!(report.contains("--cases 9 --seed 42"), "{report}");
        w.beat = Instant::now();
        assert_eq!(w.stalled(), None);
    }
}
