//! Kernel objects as they sit in memory: capabilities, CNode slots, TCBs.
//!
//! Each object is named by its physical address and read or written through
//! [`crate::machine::Memory`], like seL4's C structures behind their bitfield accessors.

pub mod cap;
pub mod cnode;
pub mod cnode_inv;
pub mod cte;
pub mod endpoint;
pub mod notification;
pub mod objecttype;
pub mod queue;
pub mod tcb;
pub mod tcb_inv;
pub mod untyped;

pub use cap::{Cap, FrameSize, VmRights};
pub use cnode::Slot;
pub use tcb::Tcb;
