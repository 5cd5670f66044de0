//! Kernel operations: the machinery that spans objects, used by the invocations (the object
//! layer) and by the syscall paths (the api layer): capability lookup and the
//! derivation tree, threads and scheduling, IPC, faults, address spaces, interrupts,
//! preemption, and boot.
#![forbid(unsafe_code)]

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
