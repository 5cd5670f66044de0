//! The architecture layer. One architecture exists: AArch64, chosen at compile time.
//!
//! Parts of `aarch64` that are pure logic (page-table formats) build everywhere so the host
//! tests reach them; the parts that touch the CPU build only for the bare-metal target.

pub mod aarch64;
pub use aarch64::*;
