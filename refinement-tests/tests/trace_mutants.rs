//! The trace replay alone catches the kernel's planted bugs (`kernel::mutant`): each mutant
//! kernel records traces of the fixed programs on the simulated machine, and the spec,
//! booted from each trace alone, must refuse at least one. A test binary of its own: the
//! mutant switch is global to the process.

use kernel::mutant::{self, Mutant};
use refinement_tests::host::{fixed_programs, record_fixed};
use refinement_tests::replay::replay;

/// Prints how each mutant was caught (docs/refinement.md shows one report).
#[test]
fn the_replay_alone_catches_every_mutant() {
    std::panic::set_hook(Box::new(|_| {}));
    let mut missed = vec![];
    for m in Mutant::ALL {
        mutant::set(Some(m));
        let caught = fixed_programs(1, 0, 0).into_iter().find_map(|(name, _)| {
            let r = std::panic::catch_unwind(|| replay(&record_fixed(name)));
            match r {
                Ok(Ok(_)) => None,
                Ok(Err(d)) => Some(format!("fixed program \"{name}\": {d}")),
                Err(_) => Some(format!(
                    "fixed program \"{name}\": the mutant kernel panicked"
                )),
            }
        });
        mutant::set(None);
        match caught {
            Some(how) => {
                println!(
                    "caught {m:?} by {}",
                    how.lines().take(12).collect::<Vec<_>>().join("\n    ")
                );
            }
            None => missed.push(m),
        }
    }
    let _ = std::panic::take_hook();
    assert!(missed.is_empty(), "mutants the replay missed: {missed:?}");
}
