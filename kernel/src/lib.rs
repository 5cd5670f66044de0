//! An seL4-compatible microkernel for AArch64: the portable core and the architecture layer.
//!
//! Principles (see `docs/architecture.md`):
//! - The kernel speaks seL4 16.0.0's AArch64 ABI; every number comes from `sel4-abi`.
//! - The kernel has no heap: every object lives in memory user level retyped from untyped,
//!   and an object's identity is its physical address, as in the spec.
//! - Layers, each importing only those below it: [`machine`] (what the core needs of the
//!   hardware, as traits), [`model`] (objects and state), [`kernel`] (operations that span
//!   objects), [`object`] (each family's decode and invoke), [`api`] (entry and syscall
//!   dispatch), [`trace`] (recording, feature `trace`), [`arch`] (the AArch64 entry and the
//!   `Machine` implementation). The spec crate has the same layers and names.
//! - The core (every layer but `arch`) is safe code: `#![forbid(unsafe_code)]` in each, and
//!   it is unit-tested on the host against a simulated machine.
//! - Everything that touches hardware lives in `arch/aarch64`, with every `unsafe`.
//! - Module names, function names and the decode/invoke split mirror the spec, so the two
//!   read side by side (a test checks it).
#![cfg_attr(not(any(test, feature = "sim")), no_std)]

pub mod api;
pub mod arch;
pub mod config;
pub mod kernel;
pub mod machine;
pub mod model;
pub mod mutant;
pub mod object;
#[cfg(feature = "trace")]
pub mod trace;
