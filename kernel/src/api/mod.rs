//! The user-visible surface: the kernel's entry point and syscall dispatch (seL4's
//! handleEvent and syscall.c), and the debug services of a debug build.
#![forbid(unsafe_code)]

pub mod debug;
pub mod event;
pub mod fastpath;
pub mod syscall;

pub use event::{Event, handle_event};

#[cfg(test)]
mod audit_tests;
#[cfg(test)]
mod tests;
