//! An seL4-compatible microkernel for AArch64: the portable core and the architecture layer.
//!
//! Principles (see `docs/architecture.md`):
//! - The kernel speaks seL4 16.0.0's AArch64 ABI; every number comes from `sel4-abi`.
//! - The kernel has no heap: every object lives in memory user level retyped from untyped,
//!   and an object's identity is its physical address, as in the spec.
//! - The portable core (`api`, `kernel`, `object`, `model`) does not name the architecture.
//!   It reaches memory and devices only through the [`machine::Machine`] trait, so it is
//!   safe code, unit-tested on the host against a simulated memory.
//! - Everything that touches hardware lives in `arch/aarch64`, with nearly every `unsafe`.
//! - Module names and the decode/invoke split mirror the spec, so the two read side by side.
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
