//! The soak: long generated programs on the QEMU trace kernel, one after another from one
//! seed, until a number of syscalls has been made, every entry replayed on the spec. A
//! failure (a divergence, a hang, a crash) is shrunk within a time bound and written out
//! as a reproducer: the seed, the minimal program, and how to turn it into a fixed case.

use crate::host::{Step, listing, runner_with};
use crate::qemu::{self, PROGRAM_WORDS, STEP_WORDS, Setup};
use proptest::prelude::prop;
use proptest::strategy::{Strategy, ValueTree};
use std::time::{Duration, Instant};

/// How long shrinking a soak failure may take (each attempt boots QEMU).
const SHRINK_TIME: Duration = Duration::from_secs(300);

/// What a soak did.
pub struct Soaked {
    /// Programs run.
    pub programs: u64,
    /// Syscalls made (entries that were syscalls).
    pub syscalls: u64,
    /// Kernel entries replayed on the spec.
    pub entries: u64,
    /// The first failure: why, and the minimal program found.
    pub failure: Option<(String, Vec<Step>)>,
}

/// The longest program the fuzzing root task holds: its prelude and as many random steps
/// as fit in its program array.
pub fn soak_program(s: &Setup) -> impl Strategy<Value = Vec<Step>> + use<> {
    let prelude = qemu::program_prelude(s);
    let room = (PROGRAM_WORDS - 2) / STEP_WORDS - prelude.len();
    prop::collection::vec(qemu::random_step(s), room / 2..room).prop_map(move |random| {
        let mut p = prelude.clone();
        p.extend(random.into_iter().filter(qemu::runs_on_qemu));
        p
    })
}

/// Runs programs from `seed` until `syscalls` syscalls have been made (or one fails, which
/// is then shrunk), on as many QEMUs at once as the machine has cores. The programs are
/// drawn in order from the seed, so a seed repeats a soak whatever the parallelism. With
/// `print`, a progress line now and then.
pub fn soak(s: &Setup, syscalls: u64, seed: u64, print: bool) -> Soaked {
    use std::sync::mpsc;
    let config = proptest::test_runner::Config {
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    };
    let mut runner = runner_with(config, seed);
    let strategy = soak_program(s);
    let mut progress = crate::progress::Progress::new("soak", syscalls, print);
    let mut done = Soaked {
        programs: 0,
        syscalls: 0,
        entries: 0,
        failure: None,
    };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    // The trees of the programs in flight, by number, for shrinking a failure.
    let mut trees = std::collections::BTreeMap::new();
    let mut failed: Option<(u64, String)> = None;
    std::thread::scope(|scope| {
        let (to_main, results) = mpsc::channel::<(u64, Result<(u64, u64), String>)>();
        let mut senders = Vec::new();
        for w in 0..workers {
            let (to_worker, jobs) = mpsc::channel::<(u64, Vec<Step>)>();
            senders.push(to_worker);
            let to_main = to_main.clone();
            scope.spawn(move || {
                for (n, program) in jobs {
                    let r = qemu::check_counted(s, &program, &format!("soak-{w}"));
                    if to_main.send((n, r)).is_err() {
                        return;
                    }
                }
            });
        }
        let mut next = 0u64;
        let mut in_flight = 0;
        loop {
            // Keep every worker busy while syscalls are still wanted and nothing failed.
            while failed.is_none() && in_flight < workers && done.syscalls < syscalls {
                let Ok(tree) = strategy.new_tree(&mut runner) else {
                    break;
                };
                let program = tree.current();
                trees.insert(next, tree);
                if senders[(next as usize) % workers]
                    .send((next, program))
                    .is_err()
                {
                    break;
                }
                next += 1;
                in_flight += 1;
            }
            if in_flight == 0 {
                break;
            }
            let Ok((n, r)) = results.recv() else { break };
            in_flight -= 1;
            crate::progress::beat(|| {
                format!("soak program {n} ({} syscalls so far)", done.syscalls)
            });
            match r {
                Ok((entries, calls)) => {
                    trees.remove(&n);
                    done.programs += 1;
                    done.entries += entries;
                    done.syscalls += calls;
                    progress.update_syscalls(done.programs, done.syscalls, done.entries);
                }
                // The first program (in seed order) to fail is the one kept.
                Err(why) if failed.as_ref().is_none_or(|(m, _)| n < *m) => {
                    if print {
                        eprintln!("soak: program {n} failed; shrinking it");
                    }
                    failed = Some((n, why));
                }
                Err(_) => {}
            }
        }
        drop(senders);
    });
    if let Some((n, why)) = failed
        && let Some(tree) = trees.remove(&n)
    {
        done.failure = Some(shrink(s, tree.current(), why));
    }
    done
}

/// Shrinks a failing program within [`SHRINK_TIME`], every attempt a QEMU boot: first the
/// shortest failing prefix (by bisection: a program runs in order, so the steps after the
/// failure rarely matter), then chunks of steps removed, halving the chunk down to one
/// step (delta debugging). Returns the last failure and its program.
fn shrink(s: &Setup, program: Vec<Step>, first: String) -> (String, Vec<Step>) {
    let started = Instant::now();
    let mut n = 0;
    let mut fails = |p: &[Step]| -> Option<String> {
        n += 1;
        crate::progress::beat(|| format!("shrinking a soak failure, attempt {n}"));
        qemu::check_counted(s, p, &format!("shrink-{}", n % 2)).err()
    };
    let mut best = (first, program);
    // The shortest failing prefix: best.1[..hi] fails, best.1[..lo] is not known to.
    let (mut lo, mut hi) = (0, best.1.len());
    while lo + 1 < hi && started.elapsed() < SHRINK_TIME {
        let mid = (lo + hi) / 2;
        match fails(&best.1[..mid]) {
            Some(why) => {
                hi = mid;
                best.0 = why;
            }
            None => lo = mid,
        }
    }
    best.1.truncate(hi);
    // Chunks removed, largest first.
    let mut chunk = best.1.len() / 2;
    while chunk >= 1 && started.elapsed() < SHRINK_TIME {
        let mut i = 0;
        while i < best.1.len() && started.elapsed() < SHRINK_TIME {
            let mut candidate = best.1.clone();
            candidate.drain(i..(i + chunk).min(candidate.len()));
            match fails(&candidate) {
                Some(why) => best = (why, candidate),
                None => i += chunk,
            }
        }
        chunk /= 2;
    }
    best
}

/// The reproducer a failed soak writes: what failed, the minimal program, and how to
/// repeat the soak and keep the program as a fixed case.
pub fn reproducer(repeat: &str, why: &str, program: &[Step]) -> String {
    format!(
        "soak failure\n\nrepeat: {repeat}\n\n\
         to keep it, add the program below to refinement-tests/src/qemu.rs (fixed_programs),\n\
         its prelude replaced by program_prelude(s), with a comment saying what it pins\n\n\
         {why}\n\n{}\n",
        listing(program)
    )
}
