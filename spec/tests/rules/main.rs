//! Unit tests of the specification's rules, one per rule and error case, grouped by object.

mod cnode;
mod common;
mod cspace;
mod faults;
mod ipc;
mod irq;
mod labels;
mod mdb;
mod notification;
mod scheduler;
mod syscalls;
mod tcb;
mod untyped;
mod vspace;
