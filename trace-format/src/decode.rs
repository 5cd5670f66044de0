//! Reading a trace back: the records as Rust values, with errors that say where the
//! stream went wrong.

use crate::pte::PteProj;
use crate::{
    BootFacts, CAP_WORDS, CONTEXT_WORDS, CapProj, EventKind, IrqProj, MAGIC, MAX_QUEUE,
    MemoryWrite, SlotProj, THREAD_WORDS, ThreadProj, VERSION, tag,
};
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// The BOOT record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Boot {
    /// The fixed facts.
    pub facts: BootFacts,
    /// Untypeds as (address, size bits, device), in BootInfo order.
    pub untypeds: Vec<(u64, u8, bool)>,
    /// The BootInfo frame's words, as the boot wrote them.
    pub bootinfo: Vec<u64>,
}

/// An ENTRY record: what the kernel read from user level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The event.
    pub kind: EventKind,
    /// The running thread (0: idle).
    pub thread: u64,
    /// Its registers; `context[0]` is the pc it would resume at.
    pub context: [u64; CONTEXT_WORDS],
    /// Its restart pc (for a syscall, the `svc`).
    pub fault_ip: u64,
    /// Work units towards the kernel's next interrupt check.
    pub work_units: u64,
    /// For a syscall or an exception: the syndrome and fault address the kernel read
    /// (ESR_EL1, FAR_EL1), which the spec decodes itself; (0, 0) for an interrupt.
    pub exception: (u64, u64),
    /// Whether the thread ran with the FP/SIMD unit enabled (false for the idle thread).
    pub fpu: bool,
    /// IPC-buffer words the kernel may read, as (word index, value) (syscalls with a
    /// buffer only).
    pub buffer: Vec<(usize, u64)>,
}

/// An EXIT record: the state after an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exit {
    /// The thread that runs next (0: idle).
    pub current: u64,
    /// The interrupt check of the entry that found an interrupt pending and stopped a
    /// long operation (1 for the first), or 0.
    pub preempted_at: u64,
    /// Whether the kernel's IPC fastpath performed the entry (the initial exit: false).
    pub fastpath: bool,
    /// Every thread, by TCB address.
    pub threads: BTreeMap<u64, ThreadProj>,
    /// Every non-empty slot of every CNode, by (CNode, index).
    pub caps: BTreeMap<(u64, u64), SlotProj>,
    /// Every endpoint and notification in the projection, by address.
    pub objects: BTreeMap<u64, ObjectProj>,
    /// The non-empty ready queues, by priority.
    pub ready: BTreeMap<u64, Vec<u64>>,
    /// The interrupt lines that are not inactive: their states, and the interrupt
    /// controller's view of them.
    pub irqs: BTreeMap<u64, IrqProj>,
    /// The scheduler's action ([`crate::sched`], or the thread to switch to).
    pub sched_action: u64,
    /// The ASID table: each pool by the ASIDs' high bits.
    pub asid_pools: BTreeMap<u64, u64>,
    /// Every assigned ASID and its VSpace.
    pub asids: BTreeMap<u64, u64>,
    /// Every translation table reachable from an assigned VSpace, by address: its level
    /// and its non-zero entries by index, read as [`crate::pte`] says.
    pub tables: BTreeMap<u64, TableProj>,
    /// The lines the interrupt controller has enabled, in order.
    pub lines_enabled: Vec<u64>,
    /// The lines it has active (acknowledged, not ended), in order.
    pub lines_active: Vec<u64>,
}

/// A translation table in the projection.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct TableProj {
    /// 0 for a VSpace root, 3 for the last level.
    pub level: u64,
    /// The non-zero entries by index.
    pub entries: BTreeMap<u64, PteProj>,
}

/// An endpoint or notification in the projection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ObjectProj {
    /// An endpoint: its [`crate::object_state`] and the waiting threads in order.
    Endpoint {
        /// Idle, senders or receivers.
        state: u64,
        /// The queue, oldest first.
        queue: Vec<u64>,
    },
    /// A notification.
    Notification {
        /// Idle, waiting or active.
        state: u64,
        /// The pending badge (active only).
        badge: u64,
        /// The bound thread, or 0.
        bound: u64,
        /// The waiting threads, oldest first.
        queue: Vec<u64>,
    },
}

/// One kernel entry and, unless the machine halted in it, the state after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// What happened.
    pub entry: Entry,
    /// The memory it wrote, in order.
    pub writes: Vec<MemoryWrite>,
    /// The IPC-buffer words it read, as (address, value), in order.
    pub reads: Vec<(u64, u64)>,
    /// The state after it.
    pub exit: Option<Exit>,
    /// The returns to user level after it, before the next entry (none when the kernel
    /// idles or takes another interrupt first; more than one when an exception the arch
    /// layer handles without an entry came between: the FP/SIMD unit's first use, a
    /// spurious IRQ, an SError or FIQ).
    pub restores: Vec<crate::Restore>,
}

/// A whole trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    /// How the machine booted.
    pub boot: Boot,
    /// The state the root task starts in.
    pub initial: Exit,
    /// The returns to user level before the first entry.
    pub initial_restores: Vec<crate::Restore>,
    /// Every kernel entry, in order.
    pub steps: Vec<Step>,
}

/// Why a trace could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// Word offset of the problem.
    pub at: usize,
    /// What was wrong.
    pub what: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad trace at word {}: {}", self.at, self.what)
    }
}

struct Reader<'a> {
    words: &'a [u64],
    at: usize,
}

impl Reader<'_> {
    fn err<T>(&self, what: impl Into<String>) -> Result<T, DecodeError> {
        Err(DecodeError {
            at: self.at,
            what: what.into(),
        })
    }
    fn word(&mut self, what: &str) -> Result<u64, DecodeError> {
        match self.words.get(self.at) {
            Some(&w) => {
                self.at += 1;
                Ok(w)
            }
            None => self.err(alloc::format!("the trace ends inside {what}")),
        }
    }
    fn array<const N: usize>(&mut self, what: &str) -> Result<[u64; N], DecodeError> {
        let mut a = [0; N];
        for w in &mut a {
            *w = self.word(what)?;
        }
        Ok(a)
    }
    fn peek(&self) -> Option<u64> {
        self.words.get(self.at).copied()
    }
}

/// Reads a trace from its bytes (a whole number of little-endian words).
pub fn decode(bytes: &[u8]) -> Result<Trace, DecodeError> {
    match decode_prefix(bytes)? {
        (t, None) => Ok(t),
        (_, Some(e)) => Err(e),
    }
}

/// Reads as much of a trace as is whole: the boot record and initial state (an error if
/// they are not), then every step up to the first that is cut short or malformed, with
/// the reason it stopped there. For a trace whose writer was killed (a hung run), this is
/// what it did up to the end.
pub fn decode_prefix(bytes: &[u8]) -> Result<(Trace, Option<DecodeError>), DecodeError> {
    let whole = bytes.len() - bytes.len() % 8;
    let mut cut = None;
    if whole != bytes.len() {
        cut = Some(DecodeError {
            at: bytes.len() / 8,
            what: alloc::format!(
                "{} bytes is not a whole number of words: the file is truncated",
                bytes.len()
            ),
        });
    }
    let bytes = &bytes[..whole];
    let words: Vec<u64> = bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
        .collect();
    let mut r = Reader {
        words: &words,
        at: 0,
    };
    if r.word("the header")? != MAGIC {
        r.at = 0;
        return r.err("not a kernel trace (no KTRACE magic word)");
    }
    let version = r.word("the header")?;
    if version != VERSION {
        return r.err(alloc::format!(
            "format version {version}; this build reads version {VERSION} (record the trace again)"
        ));
    }
    if r.word("the boot record")? != tag::BOOT {
        r.at -= 1;
        return r.err("the boot record must come first");
    }
    let f = r.array::<8>("the boot record")?;
    let objects = r.array::<8>("the boot record")?;
    let n = r.word("the boot record")?;
    if n > 4096 {
        return r.err(alloc::format!("{n} untypeds is not plausible"));
    }
    let mut untypeds = Vec::new();
    for _ in 0..n {
        let [p, b, d] = r.array::<3>("the untyped list")?;
        untypeds.push((p, b as u8, d != 0));
    }
    if r.word("the BootInfo record")? != tag::BOOTINFO {
        r.at -= 1;
        return r
            .err("the untyped list must be followed by the BootInfo frame (a BOOTINFO record)");
    }
    let n = r.word("the BootInfo record")?;
    if n > 512 {
        return r.err(alloc::format!(
            "a BootInfo frame of {n} words (a 4 KiB frame has 512)"
        ));
    }
    let mut bootinfo = Vec::with_capacity(n as usize);
    for _ in 0..n {
        bootinfo.push(r.word("the BootInfo frame")?);
    }
    let boot = Boot {
        bootinfo,
        facts: BootFacts {
            cnode_bits: f[0],
            ipc_buffer_vaddr: f[1],
            bootinfo_vaddr: f[2],
            entry: f[3],
            max_irq: f[4],
            timer_irq: f[5],
            first_untyped_slot: f[6],
            restores: f[7] != 0,
            objects,
        },
        untypeds,
    };
    if r.word("the initial state")? != tag::EXIT {
        r.at -= 1;
        return r.err("the boot record must be followed by the initial state (an exit record)");
    }
    let initial = read_exit(&mut r, None)?;
    let initial_restores = read_restores(&mut r)?;
    let mut steps = Vec::new();
    while r.peek().is_some() {
        match read_step(&mut r, &initial, &steps) {
            Ok(step) => steps.push(step),
            Err(e) => {
                cut = cut.or(Some(e));
                break;
            }
        }
    }
    let trace = Trace {
        boot,
        initial,
        initial_restores,
        steps,
    };
    // A whole trace with a partial last word is still cut short there.
    Ok((trace, cut))
}

/// Reads one step: an entry and, unless the trace ends after it, its exit.
fn read_step(r: &mut Reader, initial: &Exit, steps: &[Step]) -> Result<Step, DecodeError> {
    if r.word("an entry")? != tag::ENTRY {
        r.at -= 1;
        return r.err("expected an entry record");
    }
    let k = r.array::<4>("an entry")?;
    let Some(kind) = EventKind::from_words(k) else {
        return r.err(alloc::format!("unknown event kind {}", k[0]));
    };
    let thread = r.word("an entry")?;
    let context = r.array::<CONTEXT_WORDS>("an entry")?;
    let fault_ip = r.word("an entry")?;
    let work_units = r.word("an entry")?;
    let [esr, far, fpu] = r.array::<3>("an entry")?;
    let n = r.word("an entry")? as usize;
    if n > crate::BUFFER_WORDS {
        return r.err(alloc::format!(
            "{n} buffer words (at most {})",
            crate::BUFFER_WORDS
        ));
    }
    let mut buffer = Vec::with_capacity(n);
    for _ in 0..n {
        let [i, w] = r.array::<2>("an entry's buffer words")?;
        if i >= crate::BUFFER_WORDS as u64 {
            return r.err(alloc::format!("buffer word index {i} is past the buffer"));
        }
        buffer.push((i as usize, w));
    }
    let entry = Entry {
        kind,
        thread,
        context,
        fault_ip,
        work_units,
        exception: (esr, far),
        fpu: fpu != 0,
        buffer,
    };
    let (mut writes, mut reads) = (Vec::new(), Vec::new());
    while let Some(t @ (tag::WRITE | tag::ZERO | tag::READ)) = r.peek() {
        r.at += 1;
        let [pa, v] = r.array::<2>("a memory access")?;
        match t {
            tag::WRITE => writes.push(MemoryWrite::Word { pa, value: v }),
            tag::ZERO => writes.push(MemoryWrite::Zero { pa, len: v }),
            _ => reads.push((pa, v)),
        }
    }
    let exit = match r.peek() {
        None => None,
        Some(tag::EXIT) => {
            r.at += 1;
            let prev = steps
                .iter()
                .rev()
                .find_map(|s: &Step| s.exit.as_ref())
                .unwrap_or(initial);
            Some(read_exit(r, Some(prev))?)
        }
        Some(t) => return r.err(alloc::format!("expected an exit record, found tag {t}")),
    };
    let restores = if exit.is_some() {
        read_restores(r)?
    } else {
        Vec::new()
    };
    Ok(Step {
        entry,
        writes,
        reads,
        exit,
        restores,
    })
}

/// Reads the RESTORE records up to the next entry (or the end).
fn read_restores(r: &mut Reader) -> Result<Vec<crate::Restore>, DecodeError> {
    let mut out = Vec::new();
    while r.peek() == Some(tag::RESTORE) {
        r.at += 1;
        let [thread, ttbr0, empty_vspace, fpu, spsr] = r.array::<5>("a restore record")?;
        out.push(crate::Restore {
            thread,
            ttbr0,
            empty_vspace,
            fpu: fpu != 0,
            spsr,
        });
    }
    Ok(out)
}

/// Reads an exit; `prev` is the exit before it, which SAME items refer to.
fn read_exit(r: &mut Reader, prev: Option<&Exit>) -> Result<Exit, DecodeError> {
    let current = r.word("an exit")?;
    let preempted_at = r.word("an exit")?;
    let fastpath = r.word("an exit")? != 0;
    let mut exit = Exit {
        current,
        preempted_at,
        fastpath,
        threads: BTreeMap::new(),
        caps: BTreeMap::new(),
        objects: BTreeMap::new(),
        ready: BTreeMap::new(),
        irqs: BTreeMap::new(),
        sched_action: 0,
        asid_pools: BTreeMap::new(),
        asids: BTreeMap::new(),
        tables: BTreeMap::new(),
        lines_enabled: Vec::new(),
        lines_active: Vec::new(),
    };
    let queue = |r: &mut Reader, what: &str| -> Result<Vec<u64>, DecodeError> {
        let n = r.word(what)? as usize;
        if n > MAX_QUEUE {
            return r.err(alloc::format!(
                "a queue of {n} threads (at most {MAX_QUEUE})"
            ));
        }
        (0..n).map(|_| r.word(what)).collect()
    };
    loop {
        match r.word("an exit (no END)")? {
            tag::END => return Ok(exit),
            tag::THREAD => {
                let t = ThreadProj::from_words(&r.array::<THREAD_WORDS>("a thread")?);
                exit.threads.insert(t.tcb, t);
            }
            tag::SAME_THREAD => {
                let tcb = r.word("a thread")?;
                match prev.and_then(|p| p.threads.get(&tcb)) {
                    Some(t) => exit.threads.insert(tcb, *t),
                    None => {
                        return r.err(alloc::format!(
                            "thread {tcb:#x} unchanged, but the previous exit has no such thread"
                        ));
                    }
                };
            }
            tag::SAME_CAPS => {
                let [cnode, chunk, count] = r.array::<3>("a run of chunks")?;
                let Some(p) = prev else {
                    return r.err("an unchanged chunk in the first exit");
                };
                let first = chunk.saturating_mul(crate::CHUNK_SLOTS);
                let last = first.saturating_add(count.saturating_mul(crate::CHUNK_SLOTS));
                for (&k, &c) in p.caps.range((cnode, first)..(cnode, last)) {
                    exit.caps.insert(k, c);
                }
            }
            tag::CAP => {
                let [cnode, index] = r.array::<2>("a cap")?;
                let w = r.array::<CAP_WORDS>("a cap")?;
                let Some(cap) = CapProj::from_words(w) else {
                    return r.err(alloc::format!("unknown cap type {}", w[0]));
                };
                let [mdb_next, mdb_flags] = r.array::<2>("a cap's derivation links")?;
                exit.caps.insert(
                    (cnode, index),
                    SlotProj {
                        cap,
                        mdb_next,
                        mdb_flags,
                    },
                );
            }
            tag::ENDPOINT => {
                let [ep, state] = r.array::<2>("an endpoint")?;
                let queue = queue(r, "an endpoint's queue")?;
                exit.objects
                    .insert(ep, ObjectProj::Endpoint { state, queue });
            }
            tag::NOTIFICATION => {
                let [ntfn, state, badge, bound] = r.array::<4>("a notification")?;
                let queue = queue(r, "a notification's queue")?;
                exit.objects.insert(
                    ntfn,
                    ObjectProj::Notification {
                        state,
                        badge,
                        bound,
                        queue,
                    },
                );
            }
            tag::SAME_OBJECT => {
                let ptr = r.word("an object")?;
                match prev.and_then(|p| p.objects.get(&ptr)) {
                    Some(o) => exit.objects.insert(ptr, o.clone()),
                    None => {
                        return r.err(alloc::format!(
                            "object {ptr:#x} unchanged, but the previous exit has no such object"
                        ));
                    }
                };
            }
            tag::READY => {
                let prio = r.word("a ready queue")?;
                let q = queue(r, "a ready queue")?;
                exit.ready.insert(prio, q);
            }
            tag::IRQ => {
                let [line, state, enabled, edge] = r.array::<4>("an IRQ")?;
                exit.irqs.insert(
                    line,
                    IrqProj {
                        state,
                        enabled: enabled != 0,
                        edge: edge != 0,
                    },
                );
            }
            tag::SCHED => exit.sched_action = r.word("the scheduler's action")?,
            tag::CONTROLLER => {
                let n = r.word("the controller's lines")?;
                if n > 32 {
                    return r.err(alloc::format!("{n} groups of 32 lines (at most 32)"));
                }
                for g in 0..n {
                    let w = r.word("the controller's lines")?;
                    for bit in 0..32 {
                        if w >> bit & 1 != 0 {
                            exit.lines_enabled.push(32 * g + bit);
                        }
                        if w >> (32 + bit) & 1 != 0 {
                            exit.lines_active.push(32 * g + bit);
                        }
                    }
                }
            }
            tag::ASID_POOL => {
                let [high, pool, n] = r.array::<3>("an ASID pool")?;
                if n > crate::TABLE_ENTRIES {
                    return r.err(alloc::format!("an ASID pool with {n} ASIDs"));
                }
                exit.asid_pools.insert(high, pool);
                for _ in 0..n {
                    let [low, vspace] = r.array::<2>("an ASID pool's entries")?;
                    exit.asids.insert(high << 9 | low, vspace);
                }
            }
            tag::PAGE_TABLE => {
                let [table, level, n] = r.array::<3>("a translation table")?;
                if n > crate::TABLE_ENTRIES {
                    return r.err(alloc::format!("a translation table with {n} entries"));
                }
                let mut entries = BTreeMap::new();
                for _ in 0..n {
                    let [index, descriptor] = r.array::<2>("a translation table's entries")?;
                    entries.insert(index, crate::pte::decode_pte(descriptor, level));
                }
                exit.tables.insert(table, TableProj { level, entries });
            }
            tag::SAME_TABLE => {
                let [table, level] = r.array::<2>("a translation table")?;
                match prev.and_then(|p| p.tables.get(&table)) {
                    Some(t) if t.level == level => exit.tables.insert(table, t.clone()),
                    _ => {
                        return r.err(alloc::format!(
                            "table {table:#x} unchanged, but the previous exit has no such table at level {level}"
                        ));
                    }
                };
            }
            t => {
                r.at -= 1;
                return r.err(alloc::format!("unknown item tag {t} in an exit"));
            }
        }
    }
}

/// What a run of [`MemoryWrite`]s leaves behind, whatever the order of steps that made
/// it: the byte ranges cleared (merged) and the last value of every word written after
/// any clear that covers it. Two entries whose writes have the same effect leave memory
/// the same.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryEffect {
    /// Cleared ranges, `[start, end)`, in order, neither overlapping nor touching.
    pub cleared: Vec<(u64, u64)>,
    /// Words written, by address.
    pub words: BTreeMap<u64, u64>,
}

impl MemoryEffect {
    /// The effect of `writes`, made in order.
    pub fn of(writes: &[MemoryWrite]) -> MemoryEffect {
        let mut e = MemoryEffect::default();
        for w in writes {
            match *w {
                MemoryWrite::Word { pa, value } => {
                    e.words.insert(pa, value);
                }
                MemoryWrite::Zero { pa, len } => {
                    let end = pa.saturating_add(len);
                    let covered: Vec<u64> = e.words.range(pa..end).map(|(a, _)| *a).collect();
                    for a in covered {
                        e.words.remove(&a);
                    }
                    e.cleared.push((pa, end));
                }
            }
        }
        e.cleared.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(e.cleared.len());
        for (s, t) in e.cleared.drain(..) {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(t),
                _ => merged.push((s, t)),
            }
        }
        e.cleared = merged;
        e
    }
}
