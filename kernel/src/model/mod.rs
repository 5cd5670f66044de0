//! The kernel's state and objects as they sit in memory: capabilities and their slots, TCBs,
//! the thread queues of endpoints and notifications, page-table entries, faults and errors,
//! and the global state that is in no object.
//!
//! Each object is named by its physical address and read or written through
//! [`crate::machine::Memory`], like seL4's C structures behind their bitfield accessors.
//! Nothing here is a kernel rule: the operations that change several objects at once are in
//! the kernel layer above.
#![forbid(unsafe_code)]

pub mod cap;
pub mod error;
pub mod fault;
pub mod mdb;
pub mod pte;
pub mod queue;
pub mod state;
pub mod tcb;

pub use cap::{Cap, FrameSize, Mapping, RawCap, VmRights};
pub use error::{LookupFailure, SyscallError};
pub use fault::Fault;
pub use mdb::Slot;
pub use state::*;
pub use tcb::{Tcb, ThreadState};
