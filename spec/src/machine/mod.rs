//! The machine as the kernel sees it: user registers and memory words.

pub mod registers;

pub use registers::*;
