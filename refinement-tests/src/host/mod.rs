//! The host differential harness: the kernel's portable core on the simulated machine and
//! the spec, booted in the same layout, driven by the same generated programs of root-task
//! invocations and compared after every step (replies, the running thread, every cap the
//! program can reach). Used by `tests/host_differential.rs` and the mutant run
//! (`tests/mutants.rs`).

mod fixed;
mod program;
mod run;
mod runner;
mod world;

pub use fixed::*;
pub use program::*;
pub use run::*;
pub use runner::*;
pub use world::*;
