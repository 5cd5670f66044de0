//! The abstract state of the kernel: objects, capability slots, memory and the scheduler.

pub mod cap;
pub mod error;
pub mod invariants;
pub mod mdb;
pub mod objects;
pub mod state;

pub use cap::{Cap, Mapping, VmRights};
pub use error::{SyscallError, failed_lookup};
pub use invariants::check_invariants;
pub use mdb::Cte;
pub use objects::{
    Endpoint, Fault, IrqState, LookupFailure, Notification, NtfnState, Object, PageTable, Pte,
    TCB_BUFFER, TCB_CALLER, TCB_CNODE_ENTRIES, TCB_CTABLE, TCB_REPLY, TCB_VTABLE, Tcb, ThreadState,
};
pub use state::{MemoryWrite, SchedulerAction, State};

/// A physical address: the identity of an object, a slot or a word of memory.
pub type PAddr = u64;
/// The physical address of a capability slot (a CNode slot, a TCB slot or an IRQ-node slot).
pub type SlotRef = u64;
