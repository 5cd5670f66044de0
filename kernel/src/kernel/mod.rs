//! Cross-object machinery: boot, CSpace lookup, threads and scheduling.

pub mod boot;
pub mod cspace;
pub mod thread;
