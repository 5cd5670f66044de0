//! Machinery that spans objects: CSpace lookup, threads and scheduling, IPC, faults, deletion.

pub mod boot;
pub mod cspace;
pub mod cte;
pub mod endpoint;
pub mod fault;
pub mod interrupt;
pub mod ipc;
pub mod notification;
pub mod preemption;
pub mod thread;
pub mod vspace;
