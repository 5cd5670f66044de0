//! Refinement tests: the kernel checked against the spec (see docs/refinement.md). The
//! library holds the host differential harness; the tests are in `tests/`.
#![forbid(unsafe_code)]

pub mod host;
pub mod progress;
pub mod qemu;
pub mod replay;
pub mod soak;
