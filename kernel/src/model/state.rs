//! The kernel's global state: what is not inside any object (seL4's ksCurThread,
//! ksSchedulerAction, ksReadyQueues and their bitmap).

use super::Tcb;

/// What the scheduler does at the end of the kernel entry (seL4's ksSchedulerAction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchedulerAction {
    /// Keep running the current thread.
    ResumeCurrent,
    /// Pick the highest-priority ready thread.
    ChooseNew,
    /// Switch to this thread, unless a better one is ready.
    SwitchTo(Tcb),
}

/// Number of priorities (seL4_NumPriorities).
pub const NUM_PRIORITIES: usize = sel4_abi::NUM_PRIORITIES as usize;

/// The ready queues: a FIFO of TCBs per priority, linked through the TCBs' scheduling
/// fields, and a bitmap of the non-empty ones.
#[derive(Clone, Copy, Debug)]
pub struct ReadyQueues {
    /// First thread of each priority's queue (0 = empty).
    pub head: [u64; NUM_PRIORITIES],
    /// Last thread of each priority's queue.
    pub tail: [u64; NUM_PRIORITIES],
    /// Bit p set when queue p is non-empty.
    pub bitmap: [u64; NUM_PRIORITIES / 64],
}

/// The global state.
#[derive(Clone, Copy, Debug)]
pub struct KernelState {
    /// The thread running (or that entered the kernel); None = the idle thread.
    pub current: Option<Tcb>,
    /// What `schedule` does next.
    pub action: SchedulerAction,
    /// Threads ready to run, other than the current one.
    pub ready: ReadyQueues,
    /// Interrupt lines with a handler cap issued (IRQSignal; a notification may or may not
    /// be set): none means no interrupt can wake a thread (`interrupt_can_wake` looks
    /// further).
    pub irqs_delivered: u64,
    /// seL4's armKSASIDTable: the ASID pool of each block of 512 ASIDs (0 = none).
    pub asid_table: [u64; ASID_POOLS],
    /// First thread of the debug list of all threads (seL4's ksDebugTCBs).
    pub debug_tcbs: u64,
    /// Each interrupt line's state (seL4's intStateIRQTable): an [`IrqState`] as a byte.
    pub irq_state: [u8; MAX_IRQS],
    /// Physical address of the kernel's CNode of IRQ notification caps (seL4's
    /// intStateIRQNode): slot n holds the notification interrupt n signals.
    pub irq_node: u64,
    /// The highest interrupt number the controller has.
    pub max_irq: u64,
    /// The thread whose FP/SIMD state is in the registers (0: none).
    pub fpu_owner: u64,
    /// Units of long-running work done since the last preemption check (seL4's
    /// ksWorkUnitsCompleted).
    pub work_units: u64,
    /// The domain schedule (seL4's ksDomSchedule): (domain, duration in ticks) per entry,
    /// (0, 0) ending it. One domain: it is validated and kept, and never switches.
    pub dom_schedule: [(u64, u64); NUM_DOMAIN_SCHEDULES],
    /// The entry the domain schedule starts from (seL4's ksDomScheduleStart).
    pub dom_schedule_start: u64,
    /// Whether Call and ReplyRecv try the IPC fastpath first (`api::fastpath`): on unless
    /// the kernel is built with the `slowpath` feature; the host tests turn it off to
    /// compare the two paths.
    pub fastpath: bool,
    /// Kernel entries the fastpath completed (host tests and the trace kernel count them).
    #[cfg(any(feature = "sim", feature = "trace", test))]
    pub fastpath_taken: u64,
    /// Interrupt checks made during the current entry (feature `trace`).
    #[cfg(feature = "trace")]
    pub trace_checks: u64,
    /// The check of the current entry that found an interrupt pending, or 0 (feature
    /// `trace`).
    #[cfg(feature = "trace")]
    pub trace_preempted_at: u64,
    /// What the previous trace exit wrote, to write only what changed (feature `trace`).
    #[cfg(feature = "trace")]
    pub trace_cache: trace_format::Cache,
}

pub use sel4_abi::config::{MAX_DOMAIN_DURATION, NUM_DOMAIN_SCHEDULES, NUM_DOMAINS};

/// Interrupt lines the kernel keeps state for.
pub const MAX_IRQS: usize = 1024;

/// seL4's irq_state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum IrqState {
    /// No handler.
    Inactive = 0,
    /// A handler cap exists: the interrupt signals its notification.
    Signal = 1,
    /// The kernel's timer.
    Timer = 2,
    /// Reserved by the kernel.
    Reserved = 3,
}

/// Number of ASID pools (2^asid_high_bits).
pub const ASID_POOLS: usize = 1 << sel4_abi::ASID_HIGH_BITS;

impl KernelState {
    /// The state before boot: nothing runs, nothing is ready.
    pub const fn new() -> Self {
        KernelState {
            current: None,
            action: SchedulerAction::ResumeCurrent,
            ready: ReadyQueues {
                head: [0; NUM_PRIORITIES],
                tail: [0; NUM_PRIORITIES],
                bitmap: [0; NUM_PRIORITIES / 64],
            },
            irqs_delivered: 0,
            asid_table: [0; ASID_POOLS],
            debug_tcbs: 0,
            irq_state: [0; MAX_IRQS],
            irq_node: 0,
            max_irq: 0,
            fpu_owner: 0,
            work_units: 0,
            dom_schedule: [(0, MAX_DOMAIN_DURATION), (0, 0)],
            dom_schedule_start: 0,
            fastpath: !cfg!(feature = "slowpath"),
            #[cfg(any(feature = "sim", feature = "trace", test))]
            fastpath_taken: 0,
            #[cfg(feature = "trace")]
            trace_checks: 0,
            #[cfg(feature = "trace")]
            trace_preempted_at: 0,
            #[cfg(feature = "trace")]
            trace_cache: trace_format::Cache::new(),
        }
    }
}

impl Default for KernelState {
    fn default() -> Self {
        Self::new()
    }
}
