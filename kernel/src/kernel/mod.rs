//! Cross-object machinery: boot, CSpace lookup, threads and scheduling.

pub mod boot;
pub mod cspace;
pub mod ipc;
pub mod preemption;
pub mod thread;
