//! Kernel objects as the model keeps them: threads, endpoints, notifications, tables.

use std::collections::{BTreeMap, VecDeque};

use sel4_abi::{USER_CONTEXT_WORDS, config::TIME_SLICE, context::index, registers::PSTATE_USER};

use super::PAddr;

/// A thread's scheduling and IPC state (seL4's `thread_state_t`, non-MCS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadState {
    /// Not runnable; a fresh or suspended thread.
    Inactive,
    /// Runnable, continuing at its pc.
    Running,
    /// Runnable; re-executes the instruction at its restart pc (FaultIP) when next run.
    Restart,
    /// Waiting in an endpoint's receive queue.
    BlockedOnReceive { ep: PAddr, can_grant: bool },
    /// Waiting in an endpoint's send queue with the message's badge and rights.
    BlockedOnSend {
        ep: PAddr,
        badge: u64,
        can_grant: bool,
        can_grant_reply: bool,
        is_call: bool,
    },
    /// Waiting for a reply (after Call, or after a fault message was sent).
    BlockedOnReply,
    /// Waiting on a notification.
    BlockedOnNotification { ntfn: PAddr },
    /// The idle thread's state.
    Idle,
}

impl ThreadState {
    /// seL4's `isRunnable`: Running or Restart.
    pub fn is_runnable(self) -> bool {
        matches!(self, ThreadState::Running | ThreadState::Restart)
    }

    /// seL4's `isStopped`: not runnable and not idle.
    pub fn is_stopped(self) -> bool {
        !self.is_runnable() && self != ThreadState::Idle
    }
}

/// Why a capability lookup failed (seL4's `lookup_fault_t`), as reported to user level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LookupFailure {
    /// The root was not a CNode cap.
    InvalidRoot,
    /// The slot reached was empty (or a cap of the wrong type); `bits_left` to resolve.
    MissingCapability { bits_left: u64 },
    /// The remaining depth did not match a CNode's guard plus radix.
    DepthMismatch { bits_left: u64, bits_found: u64 },
    /// The address bits did not match a CNode's guard.
    GuardMismatch {
        bits_left: u64,
        guard_found: u64,
        guard_size: u64,
    },
}

impl LookupFailure {
    /// The words seL4 sends for this failure: type, then its fields (`setMRs_lookup_failure`).
    pub fn words(&self) -> Vec<u64> {
        use sel4_abi::LookupFailureType as T;
        match *self {
            LookupFailure::InvalidRoot => vec![T::InvalidRoot.word()],
            LookupFailure::MissingCapability { bits_left } => {
                vec![T::MissingCapability.word(), bits_left]
            }
            LookupFailure::DepthMismatch {
                bits_left,
                bits_found,
            } => vec![T::DepthMismatch.word(), bits_left, bits_found],
            LookupFailure::GuardMismatch {
                bits_left,
                guard_found,
                guard_size,
            } => vec![T::GuardMismatch.word(), bits_left, guard_found, guard_size],
        }
    }
}

/// A fault a thread has taken and that its fault handler is told about (seL4's `seL4_Fault_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A capability lookup failed for `addr`.
    Cap {
        addr: u64,
        in_recv_phase: bool,
        failure: LookupFailure,
    },
    /// A syscall number the kernel does not know.
    UnknownSyscall { number: u64 },
    /// A synchronous exception other than a syscall or memory abort.
    UserException { number: u64, code: u64 },
    /// A memory abort.
    VmFault {
        addr: u64,
        fsr: u64,
        instruction: bool,
    },
}

/// A thread control block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tcb {
    /// The user context, in `seL4_UserContext` order (pc is the next instruction to run).
    pub regs: [u64; USER_CONTEXT_WORDS],
    /// The restart pc (seL4's FaultIP): where a restarted thread resumes.
    pub fault_ip: u64,
    /// Scheduling and IPC state.
    pub state: ThreadState,
    /// Priority, 0..=255.
    pub priority: u8,
    /// Maximum controlled priority: the highest priority this thread may give.
    pub mcp: u8,
    /// CPtr (in its own CSpace) of the fault endpoint.
    pub fault_handler: u64,
    /// User virtual address of the IPC buffer.
    pub ipc_buffer: u64,
    /// The notification bound to this thread.
    pub bound_notification: Option<PAddr>,
    /// The fault being delivered, while the thread waits for its handler.
    pub fault: Option<Fault>,
    /// Ticks left before round-robin preemption.
    pub time_slice: u64,
    /// TCB flags (SetFlags), e.g. fpuDisabled.
    pub flags: u64,
    /// The debug name (DebugNameThread).
    pub name: String,
}

impl Tcb {
    /// A new thread, as seL4's `createObject` makes one for a TCB: inactive, priority 0,
    /// user PSTATE, a full time slice. Boot starts the root and idle threads from it too.
    pub fn new() -> Tcb {
        let mut regs = [0; USER_CONTEXT_WORDS];
        regs[index::SPSR] = PSTATE_USER;
        Tcb {
            regs,
            fault_ip: 0,
            state: ThreadState::Inactive,
            priority: 0,
            mcp: 0,
            fault_handler: 0,
            ipc_buffer: 0,
            bound_notification: None,
            fault: None,
            time_slice: TIME_SLICE,
            flags: 0,
            name: String::new(),
        }
    }
}

impl Default for Tcb {
    /// [`Tcb::new`].
    fn default() -> Tcb {
        Tcb::new()
    }
}

/// TCB slot of the thread's CSpace root (seL4's `tcbCTable`).
pub const TCB_CTABLE: u64 = 0;
/// TCB slot of the thread's VSpace root (`tcbVTable`).
pub const TCB_VTABLE: u64 = 1;
/// TCB slot of the master reply cap (`tcbReply`, non-MCS).
pub const TCB_REPLY: u64 = 2;
/// TCB slot of the reply cap to the thread's caller (`tcbCaller`, non-MCS).
pub const TCB_CALLER: u64 = 3;
/// TCB slot of the IPC buffer frame (`tcbBuffer`).
pub const TCB_BUFFER: u64 = 4;
/// The number of slots in a TCB (`tcbCNodeEntries`).
pub const TCB_CNODE_ENTRIES: u64 = 5;

/// An endpoint: idle, or a queue of senders, or a queue of receivers (never both).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Endpoint {
    /// No thread waiting.
    #[default]
    Idle,
    /// Senders waiting, oldest first.
    Send(VecDeque<PAddr>),
    /// Receivers waiting, oldest first.
    Recv(VecDeque<PAddr>),
}

/// A notification's state.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum NtfnState {
    /// Nothing pending, nobody waiting.
    #[default]
    Idle,
    /// Threads waiting, oldest first.
    Waiting(VecDeque<PAddr>),
    /// Signalled: the OR of the badges sent since the last wait.
    Active(u64),
}

/// A notification object.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Notification {
    /// Idle, waiting or active.
    pub state: NtfnState,
    /// The thread bound to this notification.
    pub bound_tcb: Option<PAddr>,
}

/// An entry of a translation table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pte {
    /// The next-level table.
    Table(PAddr),
    /// A frame mapping, with what user level may do through it and the memory type.
    Page {
        frame: PAddr,
        size_bits: u8,
        rights: super::VmRights,
        /// User level may execute from it (the mapping's ExecuteNever attribute is clear).
        executable: bool,
        /// Normal cacheable memory (else device memory).
        cacheable: bool,
    },
}

/// A translation table (VSpace root or lower level), with its non-empty entries by index.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PageTable {
    /// Non-empty entries.
    pub entries: BTreeMap<u64, Pte>,
}

/// An IRQ line's state (seL4's `irq_state_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum IrqState {
    /// No handler cap issued.
    #[default]
    Inactive,
    /// A handler cap exists; interrupts are delivered as signals.
    Signal,
    /// Used by the kernel (the timer).
    Timer,
}

/// A kernel object, stored at its physical address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Object {
    /// A thread (its 5 slots are at its address, in the slot map).
    Tcb(Box<Tcb>),
    /// An endpoint.
    Endpoint(Endpoint),
    /// A notification.
    Notification(Notification),
    /// A CNode of `2^radix` slots (the slots are in the slot map).
    CNode { radix: u8 },
    /// A frame; its words are in the memory map.
    Frame { size_bits: u8, is_device: bool },
    /// A VSpace root table and the ASID it has, if assigned.
    VSpace { table: PageTable, asid: Option<u16> },
    /// A page table below the root.
    PageTable(PageTable),
    /// An ASID pool: ASID low bits to VSpace root.
    AsidPool(BTreeMap<u64, PAddr>),
}

impl Object {
    /// The object's size in bits, as retype allocated it.
    pub fn size_bits(&self) -> u64 {
        use sel4_abi::*;
        match self {
            Object::Tcb(_) => TCB_BITS,
            Object::Endpoint(_) => ENDPOINT_BITS,
            Object::Notification(_) => NOTIFICATION_BITS,
            Object::CNode { radix } => u64::from(*radix) + SLOT_BITS,
            Object::Frame { size_bits, .. } => u64::from(*size_bits),
            Object::VSpace { .. } => VSPACE_BITS,
            Object::PageTable(_) => PAGE_TABLE_BITS,
            Object::AsidPool(_) => ASID_POOL_BITS,
        }
    }

    /// A short name for printing.
    pub fn kind(&self) -> &'static str {
        match self {
            Object::Tcb(_) => "TCB",
            Object::Endpoint(_) => "Endpoint",
            Object::Notification(_) => "Notification",
            Object::CNode { .. } => "CNode",
            Object::Frame { .. } => "Frame",
            Object::VSpace { .. } => "VSpace",
            Object::PageTable(_) => "PageTable",
            Object::AsidPool(_) => "ASIDPool",
        }
    }
}
