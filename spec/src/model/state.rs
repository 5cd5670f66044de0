//! The whole kernel state: objects, slots and memory by physical address, plus the scheduler.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::{Cap, Cte, Fault, IrqState, Object, PAddr, SlotRef, Tcb};

/// What the scheduler does at the end of the kernel entry (seL4's `ksSchedulerAction`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchedulerAction {
    /// Return to the current thread.
    ResumeCurrent,
    /// Pick the highest-priority ready thread.
    ChooseNew,
    /// Switch to this thread, unless a higher-priority thread is ready.
    SwitchTo(PAddr),
}

/// A write the kernel makes to memory (not to an object's fields, which the state holds
/// by meaning): a word, or a cleared range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryWrite {
    /// The word at `pa` set to `value`.
    Word {
        /// Where (8-byte aligned).
        pa: PAddr,
        /// What.
        value: u64,
    },
    /// `len` bytes from `pa` cleared.
    Zero {
        /// Where.
        pa: PAddr,
        /// How many bytes.
        len: u64,
    },
}

/// The state of the whole kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// Kernel objects by address (untyped memory is implicit in the untyped caps).
    pub objects: BTreeMap<PAddr, Object>,
    /// Capability slots that hold a cap or a derivation link, by slot address. A slot not
    /// present holds the Null cap with no links.
    pub slots: BTreeMap<SlotRef, Cte>,
    /// Memory words (8-byte aligned physical addresses); absent words read as 0.
    pub memory: BTreeMap<PAddr, u64>,
    /// The kernel's writes to memory during the current entry, in order (cleared at the
    /// start of each entry): what a trace of the kernel must show it wrote.
    pub writes: Vec<MemoryWrite>,
    /// Ready queues by priority, head first (only runnable threads, never the current one
    /// while it runs, never the idle thread).
    pub ready: BTreeMap<u8, VecDeque<PAddr>>,
    /// The thread running (or about to run) at user level.
    pub current: PAddr,
    /// The idle thread.
    pub idle: PAddr,
    /// The pending scheduling decision.
    pub action: SchedulerAction,
    /// ASID table: high ASID bits to ASID pool.
    pub asid_table: BTreeMap<u64, PAddr>,
    /// IRQ lines and their states (absent = Inactive).
    pub irq_states: BTreeMap<u64, IrqState>,
    /// Base of the IRQ node: a kernel CNode whose slot `irq` holds that line's notification cap.
    pub irq_node: PAddr,
    /// The highest IRQ number.
    pub max_irq: u64,
    /// IRQs raised but not yet acknowledged (masked until IRQHandler Ack).
    pub masked_irqs: BTreeSet<u64>,
    /// Lines the interrupt controller has configured edge-triggered (the rest are
    /// level-sensitive).
    pub edge_irqs: BTreeSet<u64>,
    /// Objects the kernel made at boot (not carved from an untyped cap user level holds).
    pub boot_objects: BTreeSet<PAddr>,
    /// Characters printed by DebugPutChar.
    pub console: String,
    /// Set by DebugHalt.
    pub halted: bool,
    /// The domain schedule: (domain, duration in ticks) per entry; (0, 0) ends it.
    pub dom_schedule: Vec<(u64, u64)>,
    /// The entry the schedule starts from.
    pub dom_schedule_start: usize,
    /// Faults raised during the current kernel entry, with whether a handler got them
    /// (cleared at the start of each entry; reported in the outcome).
    pub faults: Vec<(PAddr, Fault, bool)>,
    /// Units of long-running work since the last interrupt check (seL4's
    /// ksWorkUnitsCompleted).
    pub work_units: u64,
    /// The machine's side of preemption: the interrupt check of this entry (1 for the
    /// first) that finds an interrupt pending, if any. The spec cannot know when
    /// interrupts arrive, so a replay gives it from the kernel's trace; `None` means no
    /// interrupt is pending, and long operations run to the end.
    pub preempt_at: Option<u64>,
    /// Interrupt checks made during the current entry.
    pub checks: u64,
    /// Set when a long operation stopped at a preemption point during the current entry:
    /// its caller is left to restart the syscall.
    pub preempted: bool,
}

impl State {
    /// The slot at `slot` (Null with no links if never used).
    pub fn cte(&self, slot: SlotRef) -> Cte {
        self.slots.get(&slot).cloned().unwrap_or_default()
    }

    /// The cap in `slot`.
    pub fn cap(&self, slot: SlotRef) -> Cap {
        self.slots.get(&slot).map(|c| c.cap).unwrap_or_default()
    }

    /// Store a slot, dropping it from the map when it is empty and unlinked.
    pub fn set_cte(&mut self, slot: SlotRef, cte: Cte) {
        if cte == Cte::default() {
            self.slots.remove(&slot);
        } else {
            self.slots.insert(slot, cte);
        }
    }

    /// Replace the cap in `slot`, keeping its links.
    pub fn set_cap(&mut self, slot: SlotRef, cap: Cap) {
        let mut cte = self.cte(slot);
        cte.cap = cap;
        self.set_cte(slot, cte);
    }

    /// The TCB at `t`. Panics if there is none: callers hold a cap or a queue entry naming
    /// it, and the invariants guarantee it exists.
    pub fn tcb(&self, t: PAddr) -> &Tcb {
        match self.objects.get(&t) {
            Some(Object::Tcb(tcb)) => tcb,
            o => panic!("no TCB at {t:#x}: {o:?}"),
        }
    }

    /// The TCB at `t`, mutably.
    pub fn tcb_mut(&mut self, t: PAddr) -> &mut Tcb {
        match self.objects.get_mut(&t) {
            Some(Object::Tcb(tcb)) => tcb,
            _ => panic!("no TCB at {t:#x}"),
        }
    }

    /// Whether there is a TCB at `t`.
    pub fn is_tcb(&self, t: PAddr) -> bool {
        matches!(self.objects.get(&t), Some(Object::Tcb(_)))
    }

    /// The threads, by address.
    pub fn threads(&self) -> impl Iterator<Item = (PAddr, &Tcb)> {
        self.objects.iter().filter_map(|(a, o)| match o {
            Object::Tcb(t) => Some((*a, &**t)),
            _ => None,
        })
    }

    /// Read the memory word at `addr` (rounded down to a word).
    pub fn read_word(&self, addr: PAddr) -> u64 {
        self.memory.get(&(addr & !7)).copied().unwrap_or(0)
    }

    /// The kernel writes the memory word at `addr`.
    pub fn write_word(&mut self, addr: PAddr, value: u64) {
        self.writes.push(MemoryWrite::Word {
            pa: addr & !7,
            value,
        });
        self.store_word(addr, value);
    }

    /// User level has written `value` at `addr` (an input of the entry, not a kernel
    /// write).
    pub fn store_word(&mut self, addr: PAddr, value: u64) {
        if value == 0 {
            self.memory.remove(&(addr & !7));
        } else {
            self.memory.insert(addr & !7, value);
        }
    }

    /// Zero `[base, base + 2^bits)`.
    pub fn zero_memory(&mut self, base: PAddr, bits: u64) {
        self.writes.push(MemoryWrite::Zero {
            pa: base,
            len: 1u64 << bits.min(63),
        });
        let end = base.saturating_add((1u64 << bits.min(63)) - 1);
        let keys: Vec<u64> = self.memory.range(base..=end).map(|(k, _)| *k).collect();
        for k in keys {
            self.memory.remove(&k);
        }
    }

    /// The object whose memory contains `addr`, if any.
    pub fn object_containing(&self, addr: PAddr) -> Option<(PAddr, &Object)> {
        let (base, obj) = self.objects.range(..=addr).next_back()?;
        let size = 1u128 << obj.size_bits();
        (u128::from(addr) < u128::from(*base) + size).then_some((*base, obj))
    }
}
