//! The kernel's trace format: one record per kernel entry, shared by the kernel (which
//! writes it when built with its `trace` feature) and the refinement tests (which decode it
//! and replay it on the spec).
//!
//! A trace is a stream of 64-bit little-endian words:
//!
//! ```text
//! trace  := MAGIC VERSION boot exit restore* (entry access* exit restore*)* [entry access*]
//! boot   := BOOT cnode_bits ipc_buffer_vaddr bootinfo_vaddr entry max_irq timer_irq
//!           first_untyped_slot restores cnode vspace asid_pool ipc_buffer bootinfo tcb idle
//!           irq_node n (paddr size_bits is_device){n} BOOTINFO n word{n}
//! restore := RESTORE thread ttbr0 empty_vspace fpu spsr
//! entry  := ENTRY kind a b c thread context[36] fault_ip work_units esr far fpu
//!           n (index word){n}
//! access := WRITE pa value | ZERO pa len | READ pa value
//! exit   := EXIT current preempted_at fastpath item* END
//! item   := THREAD tcb state object badge flags priority mcp fault_handler ipc_buffer
//!           bound_notification fault_ip time_slice tcb_flags context[36]
//!         | CAP cnode index cap[5] mdb_next mdb_flags
//!         | SAME_THREAD tcb
//!         | SAME_CAPS cnode chunk count
//!         | ENDPOINT ep state n tcb{n}
//!         | NOTIFICATION ntfn state badge bound_tcb n tcb{n}
//!         | SAME_OBJECT ptr
//!         | READY priority n tcb{n}
//!         | IRQ line state enabled edge
//!         | SCHED action
//!         | ASID_POOL high pool n (low vspace){n}
//!         | PAGE_TABLE table level n (index descriptor){n}
//!         | SAME_TABLE table level
//!         | CONTROLLER n group{n}
//! ```
//!
//! The exit after the boot record is the state the root task starts in. An entry is what the kernel read from user level: the event (`kind` and its arguments
//! `a b c`, see [`EventKind`]), the thread that was running (0: idle), its registers in
//! seL4_UserContext order with the pc where it resumes ([`context`]), its restart pc
//! (seL4's FaultIP), the kernel's count of work units towards its next interrupt check
//! (seL4's ksWorkUnitsCompleted), whether the thread ran with the FP/SIMD unit enabled
//! (`fpu`, 1 or 0: the trap setting it returned to user level with), and for a syscall the IPC-buffer words the kernel may
//! read, by word index: the message words up to the length its message info gives, the
//! extra caps' cptrs, and the three receive-slot words (none without a buffer). The exit that follows is the state after the entry: the thread that
//! runs next, which interrupt check of the entry found an interrupt pending and stopped a
//! long operation (`preempted_at`, 1 for the first; 0 if none did), whether the IPC
//! fastpath performed the entry (`fastpath`, 1 or 0: a fact about the kernel's code, not
//! its state; the replay counts those entries and checks them like any other), and the abstract
//! projection: every thread; every non-empty slot of every TCB and CNode reachable from
//! them and of the IRQ node, with its place in the derivation tree (the next slot in
//! seL4's list, and the revocable and first-badged flags, [`mdb`]); every endpoint and
//! notification a cap names or a thread waits on or is bound to, with its state and queue
//! in order; the ready queues by priority, each in order; and every interrupt line that is
//! not inactive with its state ([`irq`]) and what the interrupt controller holds for it
//! (enabled, edge-triggered); the scheduler's action ([`sched`]); every ASID
//! pool of the ASID table with the VSpace of each assigned ASID; and every translation
//! table reachable from those VSpaces, level by level, as the raw descriptors the MMU reads
//! (every non-zero entry; [`pte`] says what one means); and the interrupt controller's
//! enabled and active lines, every line, 32 to a `group` word (bits 0..32 enabled, 32..64
//! active: acknowledged and not yet ended). A
//! trace may end with an entry without exit: the machine halted during it.
//!
//! Between an entry and its exit come the entry's writes to memory that is not a kernel
//! object's own ([`MemoryWrite`]), in the order the kernel made them: a message word, an
//! unwrapped cap's badge, a fault message word in a thread's IPC buffer (`WRITE`, one word
//! at a physical address), or memory cleared when an untyped is reset or an ASID pool is
//! made (`ZERO`, a byte range). The projection compares kernel objects by their meaning;
//! these records are how the memory user level reads is compared. Among them come the
//! words the kernel read from IPC buffers (`READ`: a sender's message, its extra caps'
//! cptrs, a receiver's receive slot), with the value it found: user level may have
//! changed them since the entry that last recorded them (another thread sharing the
//! memory), and the spec reads what the kernel read.
//!
//! An exit lists every thread and every non-empty slot, except what has not changed since
//! the exit before: `SAME_THREAD tcb` stands for that thread as the previous exit gave it,
//! and `SAME_CAPS cnode chunk count` for `count` chunks of [`CHUNK_SLOTS`] slots of a CNode
//! (or TCB), from slot `CHUNK_SLOTS * chunk`, as the previous exit gave them. The kernel decides
//! "unchanged" by a 64-bit hash of the words it keeps ([`hash_words`]), so a change that
//! kept the hash would go unseen (a chance of about 2^-64 per chunk and exit).
//!
//! The version changes whenever the grammar or a field's meaning does; the decoder refuses
//! other versions.

#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "decode")]
extern crate alloc;

mod cache;
mod project;
pub mod pte;
pub use cache::{Cache, MAX_CONTAINERS, MAX_OBJECTS};

#[cfg(feature = "decode")]
mod decode;
#[cfg(feature = "decode")]
pub use decode::{
    Boot, DecodeError, Entry, Exit, MemoryEffect, ObjectProj, Step, TableProj, Trace, decode,
    decode_prefix,
};

/// The first word of every trace ("KTRACE" and two zero bytes, little-endian).
pub const MAGIC: u64 = u64::from_le_bytes(*b"KTRACE\0\0");
/// The format version this crate writes and reads (2: the derivation tree, endpoints,
/// notifications, ready queues and IRQ states joined the projection; 3: threads' time
/// slices, the scheduler's action, the ASID table and the translation tables; 4: the raw
/// syndrome and fault address of a synchronous exception in its entry; 5: an IRQ item's
/// line as the interrupt controller holds it, enabled and edge-triggered or not; 6: the
/// entry's memory writes; 7: a thread's TCB flags, the FP/SIMD access a thread entered
/// with, the controller's enabled and active lines; 8: the IPC-buffer words the kernel
/// read during an entry; 9: a RESTORE record for every return to user level, and the boot
/// fact saying the trace has them; 10: the BootInfo frame after the untyped list).
pub const VERSION: u64 = 11;
/// Registers in a context (seL4_UserContext).
pub const CONTEXT_WORDS: usize = 36;
/// Words in an IPC buffer: the tag, 120 message words, the user data word, 3 cap or
/// badge words and the 3 receive-slot words. An entry carries at most this many.
pub const BUFFER_WORDS: usize = 128;
/// Words in an encoded cap.
pub const CAP_WORDS: usize = 5;

/// Record and item tags.
pub mod tag {
    /// The boot record.
    pub const BOOT: u64 = 1;
    /// A kernel entry.
    pub const ENTRY: u64 = 2;
    /// The state after an entry.
    pub const EXIT: u64 = 3;
    /// A thread in an exit's projection.
    pub const THREAD: u64 = 4;
    /// A CNode slot in an exit's projection.
    pub const CAP: u64 = 5;
    /// The end of an exit's projection.
    pub const END: u64 = 6;
    /// A thread unchanged since the previous exit.
    pub const SAME_THREAD: u64 = 7;
    /// A chunk of slots unchanged since the previous exit.
    pub const SAME_CAPS: u64 = 8;
    /// An endpoint: its state and queue.
    pub const ENDPOINT: u64 = 9;
    /// A notification: its state, pending badge, bound thread and queue.
    pub const NOTIFICATION: u64 = 10;
    /// An endpoint or notification unchanged since the previous exit.
    pub const SAME_OBJECT: u64 = 11;
    /// A non-empty ready queue.
    pub const READY: u64 = 12;
    /// An interrupt line that is not inactive.
    pub const IRQ: u64 = 13;
    /// The scheduler's action.
    pub const SCHED: u64 = 14;
    /// An ASID pool of the ASID table and its assigned ASIDs.
    pub const ASID_POOL: u64 = 15;
    /// A translation table's non-zero entries.
    pub const PAGE_TABLE: u64 = 16;
    /// A translation table unchanged since the previous exit.
    pub const SAME_TABLE: u64 = 17;
    /// A word of memory the entry wrote.
    pub const WRITE: u64 = 18;
    /// A range of memory the entry cleared.
    pub const ZERO: u64 = 19;
    /// The interrupt controller's enabled and active lines.
    pub const CONTROLLER: u64 = 20;
    /// A word of an IPC buffer the entry read, with its value.
    pub const READ: u64 = 21;
    /// What the arch layer set up for a return to user level.
    pub const RESTORE: u64 = 22;
    /// The BootInfo frame as the boot wrote it.
    pub const BOOTINFO: u64 = 23;
}

/// Writes the BOOTINFO record: every word of the BootInfo frame, after the untyped list.
pub fn encode_bootinfo(s: &mut impl Sink, words: impl ExactSizeIterator<Item = u64>) {
    s.words(&[tag::BOOTINFO, words.len() as u64]);
    for w in words {
        s.word(w);
    }
}

/// What the arch layer set up just before an `eret` to a thread (a RESTORE record): the
/// registers read back from the hardware where they are the arch layer's own (TTBR0_EL1,
/// the FP/SIMD trap) and the saved PSTATE the `eret` restores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Restore {
    /// The thread whose context is restored.
    pub thread: u64,
    /// TTBR0_EL1 as read back: the translation table's base and the ASID (bits 48..64).
    pub ttbr0: u64,
    /// The kernel's empty VSpace (where a thread without a valid VSpace runs).
    pub empty_vspace: u64,
    /// Whether FP/SIMD instructions at EL0 run without trapping (CPACR_EL1.FPEN).
    pub fpu: bool,
    /// The SPSR the `eret` restores.
    pub spsr: u64,
}

impl Restore {
    /// The translation table base TTBR0_EL1 names (BADDR, bits 1..48).
    pub fn table(&self) -> u64 {
        self.ttbr0 & 0x0000_ffff_ffff_fffe
    }

    /// The ASID TTBR0_EL1 names.
    pub fn asid(&self) -> u16 {
        (self.ttbr0 >> 48) as u16
    }
}

/// Writes a RESTORE record.
pub fn encode_restore(s: &mut impl Sink, r: &Restore) {
    s.words(&[
        tag::RESTORE,
        r.thread,
        r.ttbr0,
        r.empty_vspace,
        u64::from(r.fpu),
        r.spsr,
    ]);
}

/// Writes a READ record: the kernel read `value` at physical address `pa`.
pub fn encode_read(s: &mut impl Sink, pa: u64, value: u64) {
    s.words(&[tag::READ, pa, value]);
}

/// Writes a CONTROLLER item: `groups[g]` holds lines `32 g .. 32 g + 32`, enabled in bits
/// 0..32 and active in bits 32..64.
pub fn encode_controller(s: &mut impl Sink, groups: impl ExactSizeIterator<Item = u64>) {
    s.words(&[tag::CONTROLLER, groups.len() as u64]);
    for g in groups {
        s.word(g);
    }
}

/// A write the kernel made to memory during an entry (other than to its own objects'
/// fields): what the spec must write too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryWrite {
    /// The 64-bit word at physical address `pa` (8-byte aligned) was set to `value`.
    Word {
        /// Where.
        pa: u64,
        /// What.
        value: u64,
    },
    /// `len` bytes from physical address `pa` were cleared.
    Zero {
        /// Where.
        pa: u64,
        /// How many bytes.
        len: u64,
    },
}

/// Writes a WRITE or ZERO record.
pub fn encode_write(s: &mut impl Sink, w: MemoryWrite) {
    match w {
        MemoryWrite::Word { pa, value } => s.words(&[tag::WRITE, pa, value]),
        MemoryWrite::Zero { pa, len } => s.words(&[tag::ZERO, pa, len]),
    }
}

/// The scheduler's action (seL4's ksSchedulerAction) as a SCHED item writes it: one of
/// these, or the address of the thread to switch to.
pub mod sched {
    /// ResumeCurrentThread.
    pub const RESUME_CURRENT: u64 = 0;
    /// ChooseNewThread.
    pub const CHOOSE_NEW: u64 = 1;
}

/// Writes a SCHED item.
pub fn encode_sched(s: &mut impl Sink, action: u64) {
    s.words(&[tag::SCHED, action]);
}

/// Writes the head of an ASID_POOL item: the pool at `pool` holds ASIDs `high << 9 | low`;
/// `n` (low, VSpace) pairs follow, written with [`encode_asid`].
pub fn encode_asid_pool(s: &mut impl Sink, high: u64, pool: u64, n: u64) {
    s.words(&[tag::ASID_POOL, high, pool, n]);
}

/// Writes one assigned ASID of an ASID_POOL item: its low bits and its VSpace.
pub fn encode_asid(s: &mut impl Sink, low: u64, vspace: u64) {
    s.words(&[low, vspace]);
}

/// Writes the head of a PAGE_TABLE item; `n` (index, descriptor) pairs follow, written
/// with [`encode_pte`].
pub fn encode_page_table(s: &mut impl Sink, table: u64, level: u64, n: u64) {
    s.words(&[tag::PAGE_TABLE, table, level, n]);
}

/// Writes one entry of a PAGE_TABLE item.
pub fn encode_pte(s: &mut impl Sink, index: u64, descriptor: u64) {
    s.words(&[index, descriptor]);
}

/// Writes a SAME_TABLE item.
pub fn encode_same_table(s: &mut impl Sink, table: u64, level: u64) {
    s.words(&[tag::SAME_TABLE, table, level]);
}

/// Entries in a translation table.
pub const TABLE_ENTRIES: u64 = 512;

/// The derivation-tree flags of a CAP item.
pub mod mdb {
    /// seL4's mdbRevocable.
    pub const REVOCABLE: u64 = 1;
    /// seL4's mdbFirstBadged.
    pub const FIRST_BADGED: u64 = 2;
}

/// Endpoint and notification states, as ENDPOINT and NOTIFICATION items write them.
pub mod object_state {
    /// Nobody waiting, nothing pending.
    pub const IDLE: u64 = 0;
    /// Endpoint: senders wait. Notification: waiters wait.
    pub const SEND_OR_WAITING: u64 = 1;
    /// Endpoint: receivers wait. Notification: a signal is pending.
    pub const RECV_OR_ACTIVE: u64 = 2;
}

/// IRQ states, as IRQ items write them (seL4's irq_state).
pub mod irq {
    /// A handler cap exists.
    pub const SIGNAL: u64 = 1;
    /// The kernel's timer.
    pub const TIMER: u64 = 2;
    /// Reserved by the kernel.
    pub const RESERVED: u64 = 3;
}

/// Writes an ENDPOINT item.
pub fn encode_endpoint(s: &mut impl Sink, ep: u64, state: u64, queue: &[u64]) {
    s.words(&[tag::ENDPOINT, ep, state, queue.len() as u64]);
    s.words(queue);
}

/// Writes a NOTIFICATION item.
pub fn encode_notification(
    s: &mut impl Sink,
    ntfn: u64,
    state: u64,
    badge: u64,
    bound: u64,
    queue: &[u64],
) {
    s.words(&[
        tag::NOTIFICATION,
        ntfn,
        state,
        badge,
        bound,
        queue.len() as u64,
    ]);
    s.words(queue);
}

/// Writes a SAME_OBJECT item.
pub fn encode_same_object(s: &mut impl Sink, ptr: u64) {
    s.words(&[tag::SAME_OBJECT, ptr]);
}

/// Writes a READY item.
pub fn encode_ready(s: &mut impl Sink, priority: u64, queue: &[u64]) {
    s.words(&[tag::READY, priority, queue.len() as u64]);
    s.words(queue);
}

/// Writes an IRQ item: the line's seL4 state, and whether the interrupt controller has it
/// enabled and edge-triggered.
pub fn encode_irq(s: &mut impl Sink, line: u64, state: u64, enabled: bool, edge: bool) {
    s.words(&[tag::IRQ, line, state, enabled as u64, edge as u64]);
}

/// An interrupt line in the projection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IrqProj {
    /// An [`irq`] state.
    pub state: u64,
    /// The interrupt controller lets it through (unmasked).
    pub enabled: bool,
    /// Configured edge-triggered (else level-sensitive).
    pub edge: bool,
}

/// Slots per chunk of a [`tag::SAME_CAPS`] item.
pub const CHUNK_SLOTS: u64 = 64;

/// The hash the kernel compares chunks and threads by: each word is folded in through
/// SplitMix64's finaliser, whose shifts carry every input bit into every output bit. (A
/// word-wise FNV multiply does not: a change confined to high bits stays there, and the same
/// cap in two slots of a chunk an even distance apart hashed the same.)
pub const fn hash_words(mut h: u64, words: &[u64]) -> u64 {
    let mut i = 0;
    while i < words.len() {
        h = mix(h.rotate_left(23) ^ words[i]);
        i += 1;
    }
    h
}

/// SplitMix64's finaliser: a bijection of the 64-bit words that mixes every bit.
const fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The starting value of [`hash_words`].
pub const HASH_START: u64 = 0xcbf2_9ce4_8422_2325;

/// Writes a SAME_THREAD item.
pub fn encode_same_thread(s: &mut impl Sink, tcb: u64) {
    s.words(&[tag::SAME_THREAD, tcb]);
}

/// Writes a SAME_CAPS item: `count` chunks from `chunk` unchanged.
pub fn encode_same_caps(s: &mut impl Sink, cnode: u64, chunk: u64, count: u64) {
    s.words(&[tag::SAME_CAPS, cnode, chunk, count]);
}

/// Where `context[0]` is: the pc the thread resumes at (seL4's NextIP); the rest of the
/// context is seL4_UserContext's order (`sel4_abi::context::index`).
pub mod context {
    /// The pc slot.
    pub const PC: usize = 0;
}

/// Why the kernel was entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// `svc #0` (known or unknown number, in x7).
    Syscall,
    /// A synchronous exception that is not a syscall or a memory abort.
    UserException {
        /// ESR_EL1.
        esr: u64,
    },
    /// A memory abort.
    VmFault {
        /// FAR_EL1.
        addr: u64,
        /// ESR_EL1.
        fsr: u64,
        /// An instruction fetch rather than a data access.
        instruction: bool,
    },
    /// The kernel's timer.
    Timer,
    /// Another interrupt line.
    Interrupt {
        /// The line.
        irq: u64,
    },
}

impl EventKind {
    /// `kind a b c` as written.
    pub const fn to_words(self) -> [u64; 4] {
        match self {
            EventKind::Syscall => [0, 0, 0, 0],
            EventKind::UserException { esr } => [1, esr, 0, 0],
            EventKind::VmFault {
                addr,
                fsr,
                instruction,
            } => [2, addr, fsr, instruction as u64],
            EventKind::Timer => [3, 0, 0, 0],
            EventKind::Interrupt { irq } => [4, irq, 0, 0],
        }
    }
    /// Reads `kind a b c`; None for an unknown kind.
    pub const fn from_words(w: [u64; 4]) -> Option<EventKind> {
        Some(match w[0] {
            0 => EventKind::Syscall,
            1 => EventKind::UserException { esr: w[1] },
            2 => EventKind::VmFault {
                addr: w[1],
                fsr: w[2],
                instruction: w[3] != 0,
            },
            3 => EventKind::Timer,
            4 => EventKind::Interrupt { irq: w[1] },
            _ => return None,
        })
    }
}

/// Where the words go: a semihosting file in the kernel, a vector in tests.
pub trait Sink {
    /// Appends one word.
    fn word(&mut self, w: u64);
    /// Appends words.
    fn words(&mut self, ws: &[u64]) {
        for &w in ws {
            self.word(w);
        }
    }
}

/// A mapping as a cap records it: the ASID and the virtual address.
pub type Mapping = Option<(u16, u64)>;

/// A capability in the spec's terms: every field seL4 keeps, nothing of its encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum CapProj {
    Null,
    Untyped {
        ptr: u64,
        size_bits: u8,
        is_device: bool,
        free_index: u64,
    },
    /// Rights are seL4's bits: Write 1, Read 2, Grant 4, GrantReply 8.
    Endpoint {
        ptr: u64,
        badge: u64,
        rights: u8,
    },
    Notification {
        ptr: u64,
        badge: u64,
        rights: u8,
    },
    Reply {
        tcb: u64,
        master: bool,
        can_grant: bool,
    },
    CNode {
        ptr: u64,
        radix: u8,
        guard_size: u8,
        guard: u64,
    },
    Thread {
        tcb: u64,
    },
    IrqControl,
    IrqHandler {
        irq: u64,
    },
    Zombie {
        ptr: u64,
        is_tcb: bool,
        radix: u8,
        number: u64,
    },
    Domain,
    /// Rights are seL4's VM rights: KernelOnly 1, ReadOnly 2, ReadWrite 3.
    Frame {
        base: u64,
        size_bits: u8,
        rights: u8,
        is_device: bool,
        mapping: Mapping,
    },
    PageTable {
        base: u64,
        mapping: Mapping,
    },
    VSpace {
        base: u64,
        asid: Option<u16>,
    },
    AsidControl,
    AsidPool {
        base: u64,
        asid_base: u16,
    },
    SgiSignal {
        irq: u64,
        target: u64,
    },
}

const fn mapping_word(m: Mapping) -> [u64; 2] {
    match m {
        Some((asid, vaddr)) => [1 << 16 | asid as u64, vaddr],
        None => [0, 0],
    }
}

const fn word_mapping(w: u64, vaddr: u64) -> Mapping {
    if w >> 16 & 1 == 1 {
        Some((w as u16, vaddr))
    } else {
        None
    }
}

impl CapProj {
    /// The cap as [`CAP_WORDS`] words: a type number, then fields.
    pub const fn to_words(self) -> [u64; CAP_WORDS] {
        use CapProj as C;
        match self {
            C::Null => [0, 0, 0, 0, 0],
            C::Untyped {
                ptr,
                size_bits,
                is_device,
                free_index,
            } => [1, ptr, size_bits as u64, is_device as u64, free_index],
            C::Endpoint { ptr, badge, rights } => [2, ptr, badge, rights as u64, 0],
            C::Notification { ptr, badge, rights } => [3, ptr, badge, rights as u64, 0],
            C::Reply {
                tcb,
                master,
                can_grant,
            } => [4, tcb, master as u64, can_grant as u64, 0],
            C::CNode {
                ptr,
                radix,
                guard_size,
                guard,
            } => [5, ptr, radix as u64, guard_size as u64, guard],
            C::Thread { tcb } => [6, tcb, 0, 0, 0],
            C::IrqControl => [7, 0, 0, 0, 0],
            C::IrqHandler { irq } => [8, irq, 0, 0, 0],
            C::Zombie {
                ptr,
                is_tcb,
                radix,
                number,
            } => [9, ptr, is_tcb as u64, radix as u64, number],
            C::Domain => [10, 0, 0, 0, 0],
            C::Frame {
                base,
                size_bits,
                rights,
                is_device,
                mapping,
            } => {
                let [m, v] = mapping_word(mapping);
                let bits = size_bits as u64 | (rights as u64) << 8 | (is_device as u64) << 16;
                [11, base, bits, m, v]
            }
            C::PageTable { base, mapping } => {
                let [m, v] = mapping_word(mapping);
                [12, base, 0, m, v]
            }
            C::VSpace { base, asid } => {
                let a = match asid {
                    Some(a) => 1 << 16 | a as u64,
                    None => 0,
                };
                [13, base, a, 0, 0]
            }
            C::AsidControl => [14, 0, 0, 0, 0],
            C::AsidPool { base, asid_base } => [15, base, asid_base as u64, 0, 0],
            C::SgiSignal { irq, target } => [16, irq, target, 0, 0],
        }
    }

    /// Reads a cap; None for an unknown type number.
    pub const fn from_words(w: [u64; CAP_WORDS]) -> Option<CapProj> {
        use CapProj as C;
        Some(match w[0] {
            0 => C::Null,
            1 => C::Untyped {
                ptr: w[1],
                size_bits: w[2] as u8,
                is_device: w[3] != 0,
                free_index: w[4],
            },
            2 => C::Endpoint {
                ptr: w[1],
                badge: w[2],
                rights: w[3] as u8,
            },
            3 => C::Notification {
                ptr: w[1],
                badge: w[2],
                rights: w[3] as u8,
            },
            4 => C::Reply {
                tcb: w[1],
                master: w[2] != 0,
                can_grant: w[3] != 0,
            },
            5 => C::CNode {
                ptr: w[1],
                radix: w[2] as u8,
                guard_size: w[3] as u8,
                guard: w[4],
            },
            6 => C::Thread { tcb: w[1] },
            7 => C::IrqControl,
            8 => C::IrqHandler { irq: w[1] },
            9 => C::Zombie {
                ptr: w[1],
                is_tcb: w[2] != 0,
                radix: w[3] as u8,
                number: w[4],
            },
            10 => C::Domain,
            11 => C::Frame {
                base: w[1],
                size_bits: w[2] as u8,
                rights: (w[2] >> 8) as u8,
                is_device: w[2] >> 16 & 1 == 1,
                mapping: word_mapping(w[3], w[4]),
            },
            12 => C::PageTable {
                base: w[1],
                mapping: word_mapping(w[3], w[4]),
            },
            13 => C::VSpace {
                base: w[1],
                asid: if w[2] >> 16 & 1 == 1 {
                    Some(w[2] as u16)
                } else {
                    None
                },
            },
            14 => C::AsidControl,
            15 => C::AsidPool {
                base: w[1],
                asid_base: w[2] as u16,
            },
            16 => C::SgiSignal {
                irq: w[1],
                target: w[2],
            },
            _ => return None,
        })
    }
}

/// Thread states, numbered as the trace writes them.
pub mod state {
    /// Not runnable and not waiting.
    pub const INACTIVE: u64 = 0;
    /// Runnable.
    pub const RUNNING: u64 = 1;
    /// Runnable; restarts at its FaultIP.
    pub const RESTART: u64 = 2;
    /// In an endpoint's receive queue.
    pub const BLOCKED_ON_RECEIVE: u64 = 3;
    /// In an endpoint's send queue.
    pub const BLOCKED_ON_SEND: u64 = 4;
    /// Waiting for a reply.
    pub const BLOCKED_ON_REPLY: u64 = 5;
    /// Waiting on a notification.
    pub const BLOCKED_ON_NOTIFICATION: u64 = 6;
    /// The idle thread.
    pub const IDLE: u64 = 7;
}

/// Flags of a blocked thread, as the trace writes them.
pub mod flags {
    /// The cap it sent or received with had Grant.
    pub const CAN_GRANT: u64 = 1;
    /// The cap it sent with had GrantReply.
    pub const CAN_GRANT_REPLY: u64 = 2;
    /// It is a Call.
    pub const IS_CALL: u64 = 4;
}

/// A thread in the spec's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadProj {
    /// The TCB's address.
    pub tcb: u64,
    /// A [`state`] number.
    pub state: u64,
    /// The endpoint or notification it waits on (0 if none).
    pub object: u64,
    /// The badge it sends with (blocked on send; else 0).
    pub badge: u64,
    /// [`flags`] of its blocked IPC (0 if not blocked in IPC).
    pub flags: u64,
    /// Priority.
    pub priority: u64,
    /// Maximum controlled priority.
    pub mcp: u64,
    /// The fault endpoint's cptr.
    pub fault_handler: u64,
    /// The IPC buffer's virtual address.
    pub ipc_buffer: u64,
    /// The bound notification (0 if none).
    pub bound_notification: u64,
    /// The restart pc.
    pub fault_ip: u64,
    /// Timer ticks left of its time slice (seL4's tcbTimeSlice).
    pub time_slice: u64,
    /// Its TCB flags (SetFlags: fpuDisabled).
    pub tcb_flags: u64,
    /// Registers, seL4_UserContext order, `context[0]` the pc it resumes at.
    pub context: [u64; CONTEXT_WORDS],
}

/// Words in an encoded thread, after its tag.
pub const THREAD_WORDS: usize = FIELD_WORDS + CONTEXT_WORDS;

/// Words in an encoded thread before its registers.
const FIELD_WORDS: usize = 13;

impl ThreadProj {
    /// Writes the THREAD item.
    pub fn encode(&self, s: &mut impl Sink) {
        s.word(tag::THREAD);
        s.words(&self.to_words());
    }

    /// The words after the THREAD tag (what the kernel hashes to see a change).
    pub fn to_words(&self) -> [u64; THREAD_WORDS] {
        let mut w = [0; THREAD_WORDS];
        w[..FIELD_WORDS].copy_from_slice(&[
            self.tcb,
            self.state,
            self.object,
            self.badge,
            self.flags,
            self.priority,
            self.mcp,
            self.fault_handler,
            self.ipc_buffer,
            self.bound_notification,
            self.fault_ip,
            self.time_slice,
            self.tcb_flags,
        ]);
        w[FIELD_WORDS..].copy_from_slice(&self.context);
        w
    }

    /// Reads the words after a THREAD tag.
    pub fn from_words(w: &[u64; THREAD_WORDS]) -> ThreadProj {
        let mut context = [0; CONTEXT_WORDS];
        context.copy_from_slice(&w[FIELD_WORDS..]);
        ThreadProj {
            tcb: w[0],
            state: w[1],
            object: w[2],
            badge: w[3],
            flags: w[4],
            priority: w[5],
            mcp: w[6],
            fault_handler: w[7],
            ipc_buffer: w[8],
            bound_notification: w[9],
            fault_ip: w[10],
            time_slice: w[11],
            tcb_flags: w[12],
            context,
        }
    }
}

/// Writes the trace's first two words.
pub fn encode_header(s: &mut impl Sink) {
    s.words(&[MAGIC, VERSION]);
}

/// The facts the spec boots from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BootFacts {
    /// Root CNode size (log2 slots).
    pub cnode_bits: u64,
    /// The root task's IPC buffer address.
    pub ipc_buffer_vaddr: u64,
    /// The BootInfo frame's address (x0 at entry).
    pub bootinfo_vaddr: u64,
    /// The root task's entry point.
    pub entry: u64,
    /// The interrupt controller's highest line.
    pub max_irq: u64,
    /// The kernel timer's line.
    pub timer_irq: u64,
    /// The root CNode slot of the first untyped cap.
    pub first_untyped_slot: u64,
    /// Whether the trace holds a RESTORE record for every return to user level (the
    /// target's kernel writes them; the host's simulated machine has no arch layer).
    pub restores: bool,
    /// Boot objects: root CNode, VSpace, ASID pool, IPC buffer frame, BootInfo frame,
    /// root TCB, idle thread, IRQ node.
    pub objects: [u64; 8],
}

/// Writes the BOOT record's facts and the number of untypeds; that many
/// [`encode_untyped`] follow.
pub fn encode_boot(s: &mut impl Sink, f: &BootFacts, untypeds: u64) {
    s.words(&[
        tag::BOOT,
        f.cnode_bits,
        f.ipc_buffer_vaddr,
        f.bootinfo_vaddr,
        f.entry,
        f.max_irq,
        f.timer_irq,
        f.first_untyped_slot,
        u64::from(f.restores),
    ]);
    s.words(&f.objects);
    s.word(untypeds);
}

/// Writes one untyped of the BOOT record.
pub fn encode_untyped(s: &mut impl Sink, paddr: u64, size_bits: u8, is_device: bool) {
    s.words(&[paddr, size_bits as u64, is_device as u64]);
}

/// Writes an ENTRY record.
// One argument per field of the record, in its order: a struct would only restate them.
#[allow(clippy::too_many_arguments)]
pub fn encode_entry(
    s: &mut impl Sink,
    kind: EventKind,
    thread: u64,
    context: &[u64; CONTEXT_WORDS],
    fault_ip: u64,
    work_units: u64,
    exception: (u64, u64),
    fpu: bool,
    buffer: &[(u64, u64)],
) {
    s.word(tag::ENTRY);
    s.words(&kind.to_words());
    s.word(thread);
    s.words(context);
    s.word(fault_ip);
    s.word(work_units);
    s.words(&[exception.0, exception.1, u64::from(fpu)]);
    s.word(buffer.len() as u64);
    for &(i, w) in buffer {
        s.words(&[i, w]);
    }
}

/// Writes the start of an EXIT record; items and [`encode_end`] follow.
pub fn encode_exit(s: &mut impl Sink, current: u64, preempted_at: u64, fastpath: bool) {
    s.words(&[tag::EXIT, current, preempted_at, u64::from(fastpath)]);
}

/// Writes a CAP item: slot `index` of the CNode at `cnode`, its cap, and its place in the
/// derivation tree (the next slot's address or 0, and [`mdb`] flags).
pub fn encode_cap(s: &mut impl Sink, cnode: u64, index: u64, cap: CapProj, next: u64, flags: u64) {
    s.words(&[tag::CAP, cnode, index]);
    s.words(&cap.to_words());
    s.words(&[next, flags]);
}

/// A slot in the projection: its cap and its place in the derivation tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotProj {
    /// The cap.
    pub cap: CapProj,
    /// The next slot in seL4's derivation list (its address), or 0.
    pub mdb_next: u64,
    /// [`mdb`] flags.
    pub mdb_flags: u64,
}

/// The longest queue an ENDPOINT, NOTIFICATION or READY item may hold.
pub const MAX_QUEUE: usize = 4096;

/// Ends an EXIT record.
pub fn encode_end(s: &mut impl Sink) {
    s.word(tag::END);
}
