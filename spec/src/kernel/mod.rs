//! Machinery that spans objects, used by the object layer and the syscall layer: CSpace
//! lookup, slots and deletion, threads and scheduling, IPC (endpoints, notifications,
//! message transfer, replies), faults, interrupts, preemption, the VSpace and boot.

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
