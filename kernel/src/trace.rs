//! Trace recording (feature `trace`, for the refinement tests only): every kernel entry is
//! written as an ENTRY record (what the kernel read from user level) and an EXIT record
//! (the thread that runs next and the state projected into the spec's terms), in the
//! format of the `trace-format` crate, through [`Machine::trace_words`].
//!
//! The projection walks what user level can reach: every thread on the kernel's thread
//! list (seL4's ksDebugTCBs), in order, its five TCB slots, and from there every CNode a
//! cap names, breadth first. The refinement tests walk the spec's state the same way.
#![forbid(unsafe_code)]

use crate::api::{self, Event};
use crate::kernel::boot::BootResult;
use crate::kernel::endpoint::flags as kflags;
use crate::kernel::notification;
use crate::kernel::thread::lookup_ipc_buffer;
use crate::machine::Machine;
use crate::model::queue::Queue;
use crate::model::tcb::{DEBUG_LINKS_OFFSET, USER_CONTEXT, UserReg, field};
use crate::model::{Cap, Fault, IrqState, KernelState, SchedulerAction, Slot, Tcb, ThreadState};
use trace_format::{
    BUFFER_WORDS, BootFacts, CONTEXT_WORDS, Cache, CapProj, EventKind, MAX_CONTAINERS, ThreadProj,
    flags, mdb,
};

/// Words of the BootInfo frame.
const BOOTINFO_WORDS: usize = 1 << (sel4_abi::BOOTINFO_FRAME_BITS - 3);

/// Slots of the TCB's own CNode.
const TCB_SLOTS: u64 = crate::model::tcb::TCB_CNODE_ENTRIES;

use crate::machine::journal::TraceSink as Out;

/// Writes the trace header, the BOOT record and the initial state, once the root task is
/// ready to run. `restores`: whether the arch layer records each return to user level
/// ([`restore`]).
pub fn boot<M: Machine>(
    ks: &mut KernelState,
    m: &mut M,
    r: &BootResult,
    idle: u64,
    restores: bool,
) {
    if !m.tracing() {
        return;
    }
    let bi = r.layout.boot_info;
    let word = |m: &M, off: usize| m.read_word(bi + off as u64);
    use core::mem::offset_of;
    use sel4_abi::BootInfo;
    let (u_start, u_end) = (
        word(m, offset_of!(BootInfo, untyped)),
        word(m, offset_of!(BootInfo, untyped) + 8),
    );
    let facts = BootFacts {
        cnode_bits: sel4_abi::ROOT_CNODE_SIZE_BITS_DEFAULT,
        ipc_buffer_vaddr: word(m, offset_of!(BootInfo, ipc_buffer)),
        bootinfo_vaddr: r.tcb.user_reg(m, UserReg::X(0)),
        entry: r.tcb.user_reg(m, UserReg::NextIp),
        max_irq: ks.max_irq,
        timer_irq: (0..ks.irq_state.len())
            .find(|&i| ks.irq_state[i] == IrqState::Timer as u8)
            .map_or(u64::MAX, |i| i as u64),
        first_untyped_slot: u_start,
        restores,
        objects: [
            r.layout.cnode,
            r.layout.vspace,
            r.layout.asid_pool,
            r.layout.ipc_buffer,
            r.layout.boot_info,
            r.tcb.0,
            idle,
            ks.irq_node,
        ],
    };
    let n = u_end
        .saturating_sub(u_start)
        .min(sel4_abi::MAX_NUM_BOOTINFO_UNTYPED_CAPS as u64);
    trace_format::encode_header(&mut Out(m));
    trace_format::encode_boot(&mut Out(m), &facts, n);
    for i in 0..n {
        let d = bi + offset_of!(BootInfo, untyped_list) as u64 + i * 16;
        let (p, w) = (m.read_word(d), m.read_word(d + 8));
        trace_format::encode_untyped(&mut Out(m), p, (w & 0xff) as u8, (w >> 8) & 1 == 1);
    }
    // The BootInfo frame, every word (the words are read first: the writer borrows the
    // machine).
    let mut frame = [0u64; BOOTINFO_WORDS];
    for (i, w) in frame.iter_mut().enumerate() {
        *w = m.read_word(bi + 8 * i as u64);
    }
    trace_format::encode_bootinfo(&mut Out(m), frame.iter().copied());
    // The state the root task starts in.
    exit(ks, m, false);
}

/// seL4's handleEvent, recorded: the ENTRY record (what the kernel read from user level),
/// the entry itself ([`api::handle_event`]), then the EXIT record (the state after it).
pub fn handle_event<M: Machine>(ks: &mut KernelState, m: &mut M, event: Event) {
    entry(ks, m, event);
    let fast_before = ks.fastpath_taken;
    api::handle_event(ks, m, event);
    let fastpath = ks.fastpath_taken != fast_before;
    exit(ks, m, fastpath);
}

/// Writes the ENTRY record for `event`, before the kernel handles it.
fn entry<M: Machine>(ks: &mut KernelState, m: &mut M, event: Event) {
    if !m.tracing() {
        return;
    }
    ks.trace_checks = 0;
    ks.trace_preempted_at = 0;
    let kind = match event {
        Event::Syscall => EventKind::Syscall,
        Event::Fault(Fault::VmFault {
            addr,
            fsr,
            instruction,
        }) => EventKind::VmFault {
            addr,
            fsr,
            instruction,
        },
        Event::Fault(Fault::UserException { number, .. }) => {
            EventKind::UserException { esr: number }
        }
        // The entry code raises only the two faults above; the others come from syscalls.
        Event::Fault(_) => EventKind::UserException { esr: u64::MAX },
        Event::TimerTick => EventKind::Timer,
        Event::Interrupt(irq) => EventKind::Interrupt { irq },
    };
    let (thread, context, fault_ip) = match ks.current {
        Some(t) => (t.0, context(m, t), t.get(m, field::FAULT_IP)),
        None => (0, [0; CONTEXT_WORDS], 0),
    };
    // The buffer words the kernel may read: the message (its length in x1), the extra
    // caps' cptrs and the receive slot (read now, or when a sender arrives).
    let mut buffer = [(0, 0); BUFFER_WORDS];
    let mut n = 0;
    if let (Event::Syscall, Some(t)) = (event, ks.current)
        && let Some(b) = lookup_ipc_buffer(m, t, false)
    {
        let info = sel4_abi::MessageInfo::from_word_clamped(t.user_reg(m, UserReg::X(1)));
        let message = 1..1 + info.length.min(120);
        let caps = 122..122 + info.extra_caps.min(3);
        for i in message.chain(caps).chain(125..128) {
            buffer[n] = (i, m.read_word(b + 8 * i));
            n += 1;
        }
    }
    // A syscall or exception: the registers the arch layer decoded it from, for the spec
    // to decode again.
    let exception = match event {
        Event::Syscall | Event::Fault(_) => m.exception_registers(),
        Event::TimerTick | Event::Interrupt(_) => (0, 0),
    };
    let fpu = ks.current.is_some() && m.fpu_enabled();
    trace_format::encode_entry(
        &mut Out(m),
        kind,
        thread,
        &context,
        fault_ip,
        ks.work_units,
        exception,
        fpu,
        &buffer[..n],
    );
    m.trace_flush();
}

/// Writes a RESTORE record: what the arch layer set up for a return to user level. It is
/// written out with the next entry's record (every entry flushes the trace).
pub fn restore<M: Machine>(m: &mut M, r: &trace_format::Restore) {
    if m.tracing() {
        trace_format::encode_restore(&mut Out(m), r);
    }
}

/// Writes the EXIT record: the thread that runs next, whether the fastpath performed the
/// entry, and the projection, with what has not changed since the previous exit written
/// as SAME items.
pub fn exit<M: Machine>(ks: &mut KernelState, m: &mut M, fastpath: bool) {
    if !m.tracing() {
        return;
    }
    trace_format::encode_exit(
        &mut Out(m),
        ks.current.map_or(0, |t| t.0),
        ks.trace_preempted_at,
        fastpath,
    );
    let mut walk = Walk {
        containers: [(0, 0); MAX_CONTAINERS],
        n: 0,
    };
    let cache = &mut ks.trace_cache;
    // Endpoints (false) and notifications (true) to write, as the walk meets them.
    cache.objects_clear();
    write_threads(cache, m, ks.debug_tcbs, &mut walk);
    // The IRQ node: the notification each line signals.
    if ks.irq_node != 0 {
        walk.push(ks.irq_node, ks.max_irq + 1);
    }
    write_slots(cache, m, &mut walk);
    write_objects(cache, m);
    write_ready_queues(ks, m);
    // Every line that is not inactive.
    for (line, &st) in ks.irq_state.iter().enumerate() {
        if st != IrqState::Inactive as u8 {
            let (enabled, edge) = m.irq_line(line as u64);
            trace_format::encode_irq(&mut Out(m), line as u64, u64::from(st), enabled, edge);
        }
    }
    let action = match ks.action {
        SchedulerAction::ResumeCurrent => trace_format::sched::RESUME_CURRENT,
        SchedulerAction::ChooseNew => trace_format::sched::CHOOSE_NEW,
        SchedulerAction::SwitchTo(t) => t.0,
    };
    trace_format::encode_sched(&mut Out(m), action);
    // The controller's lines, 32 to a word (enabled low, active high), read first: the
    // writer borrows the machine.
    let mut groups = [0u64; 32];
    let n = m.irq_groups().min(32) as usize;
    for (g, w) in groups[..n].iter_mut().enumerate() {
        let (enabled, active) = m.irq_group(g as u64);
        *w = u64::from(enabled) | u64::from(active) << 32;
    }
    trace_format::encode_controller(&mut Out(m), groups[..n].iter().copied());
    write_address_spaces(ks, m);
    ks.trace_cache.next_exit();
    trace_format::encode_end(&mut Out(m));
    m.trace_flush();
}

/// The CNodes and TCBs the projection walks, breadth first: (object, slots).
struct Walk {
    containers: [(u64, u64); MAX_CONTAINERS],
    n: usize,
}

impl Walk {
    /// Adds a CNode or TCB (`obj`, with `slots` slots) to the walk, unless it is already in.
    fn push(&mut self, obj: u64, slots: u64) {
        if !self.containers[..self.n].iter().any(|&(o, _)| o == obj) && self.n < MAX_CONTAINERS {
            self.containers[self.n] = (obj, slots);
            self.n += 1;
        }
    }
}

/// Every thread on the debug list, in order; each TCB joins the walk, and what it waits on
/// or is bound to joins the objects.
fn write_threads<M: Machine>(cache: &mut Cache, m: &mut M, first: u64, walk: &mut Walk) {
    let mut t = first;
    let mut guard = 0;
    while t != 0 && guard < MAX_CONTAINERS {
        let p = thread(m, Tcb(t));
        // Thread keys are odd; slot keys (slot addresses) are 32-byte aligned.
        let hash = trace_format::hash_words(trace_format::HASH_START, &p.to_words());
        if cache.unchanged(t | 1, hash) {
            trace_format::encode_same_thread(&mut Out(m), t);
        } else {
            p.encode(&mut Out(m));
        }
        walk.push(t, TCB_SLOTS);
        let waits_on = match p.state {
            trace_format::state::BLOCKED_ON_SEND | trace_format::state::BLOCKED_ON_RECEIVE => {
                Some((p.object, false))
            }
            trace_format::state::BLOCKED_ON_NOTIFICATION => Some((p.object, true)),
            _ => None,
        };
        let bound = (p.bound_notification != 0).then_some((p.bound_notification, true));
        for o in [waits_on, bound].into_iter().flatten() {
            cache.add_object(o);
        }
        t = m.read_word(t + DEBUG_LINKS_OFFSET);
        guard += 1;
    }
}

/// Every slot of every container the walk reaches, in chunks: an unchanged chunk is a
/// SAME_CAPS run; the caps of a chunk lead the walk to further CNodes and TCBs and add the
/// endpoints and notifications they name.
fn write_slots<M: Machine>(cache: &mut Cache, m: &mut M, walk: &mut Walk) {
    let mut i = 0;
    while i < walk.n {
        let (obj, slots) = walk.containers[i];
        let chunk = trace_format::CHUNK_SLOTS;
        // A run of unchanged chunks not yet written: (first, count).
        let mut same = (0, 0);
        for c in 0..slots.div_ceil(chunk) {
            let range = c * chunk..(c * chunk + chunk).min(slots);
            // The chunk's slot words (cap and derivation links).
            let mut hash = trace_format::HASH_START;
            for s in range.clone() {
                let slot = Slot::of(obj, s);
                let words = [
                    m.read_word(slot.0),
                    m.read_word(slot.0 + 8),
                    m.read_word(slot.0 + 24),
                ];
                hash = trace_format::hash_words(hash, &words);
                match slot.cap(m) {
                    Cap::CNode { ptr, radix, .. } => walk.push(ptr, 1 << radix),
                    Cap::Thread { tcb } => walk.push(tcb, TCB_SLOTS),
                    Cap::Endpoint { ptr, .. } => cache.add_object((ptr, false)),
                    Cap::Notification { ptr, .. } => cache.add_object((ptr, true)),
                    _ => {}
                }
            }
            if cache.unchanged(Slot::of(obj, c * chunk).0, hash) {
                same = if same.1 == 0 {
                    (c, 1)
                } else {
                    (same.0, same.1 + 1)
                };
                continue;
            }
            if same.1 != 0 {
                trace_format::encode_same_caps(&mut Out(m), obj, same.0, same.1);
                same = (0, 0);
            }
            for s in range {
                write_cap(m, Slot::of(obj, s), obj, s);
            }
        }
        if same.1 != 0 {
            trace_format::encode_same_caps(&mut Out(m), obj, same.0, same.1);
        }
        i += 1;
    }
}

/// One non-empty slot: its cap and its place in the derivation tree.
fn write_cap<M: Machine>(m: &mut M, slot: Slot, obj: u64, index: u64) {
    let cap = slot.cap(m);
    if cap.is_null() {
        return;
    }
    let flags = if slot.revocable(m) { mdb::REVOCABLE } else { 0 }
        | if slot.first_badged(m) {
            mdb::FIRST_BADGED
        } else {
            0
        };
    let next = slot.next(m).map_or(0, |n| n.0);
    trace_format::encode_cap(&mut Out(m), obj, index, project(&cap), next, flags);
}

/// Endpoints and notifications: state, badge, bound thread, queue in order (as many
/// threads as the walk takes: the kernel stack is 32 KiB, no more).
fn write_objects<M: Machine>(cache: &mut Cache, m: &mut M) {
    let mut queue = [0u64; MAX_CONTAINERS];
    for k in 0..cache.object_count() {
        let (obj, is_ntfn) = cache.object(k);
        let q = Queue(obj);
        let mut len = 0;
        let mut t = q.head(m);
        while let Some(x) = t.filter(|_| len < queue.len()) {
            queue[len] = x.0;
            len += 1;
            t = Queue::next(m, x);
        }
        let state = q.state(m);
        let badge = if is_ntfn && state == notification::state::ACTIVE {
            m.read_word(obj + notification::BADGE)
        } else {
            0
        };
        let bound = if is_ntfn {
            notification::bound_tcb(m, obj).map_or(0, |t| t.0)
        } else {
            0
        };
        let head = [u64::from(is_ntfn), state, badge, bound];
        let hash = trace_format::hash_words(
            trace_format::hash_words(trace_format::HASH_START, &head),
            &queue[..len],
        );
        // Object keys end in binary 10 (objects are 16-byte aligned, slots 32, threads odd).
        if cache.unchanged(obj | 2, hash) {
            trace_format::encode_same_object(&mut Out(m), obj);
        } else if is_ntfn {
            trace_format::encode_notification(&mut Out(m), obj, state, badge, bound, &queue[..len]);
        } else {
            trace_format::encode_endpoint(&mut Out(m), obj, state, &queue[..len]);
        }
    }
}

/// At most this many translation tables are walked (the kernel stack holds their list).
const MAX_TABLES: usize = 256;

/// The ASID table, each pool with its assigned ASIDs, and every translation table reachable
/// from their VSpaces, root first, each written as its raw non-zero descriptors (or as
/// SAME_TABLE when unchanged).
fn write_address_spaces<M: Machine>(ks: &mut KernelState, m: &mut M) {
    use crate::model::pte;
    let entries = trace_format::TABLE_ENTRIES;
    let mut tables = [(0u64, 0u64); MAX_TABLES];
    let mut n = 0;
    let push = |tables: &mut [(u64, u64); MAX_TABLES], n: &mut usize, t: u64, level: u64| {
        if *n < MAX_TABLES && !tables[..*n].iter().any(|&(x, _)| x == t) {
            tables[*n] = (t, level);
            *n += 1;
        }
    };
    for (high, &pool) in ks.asid_table.iter().enumerate() {
        if pool == 0 {
            continue;
        }
        let assigned = (0..entries)
            .filter(|&low| m.read_word(pool + 8 * low) != 0)
            .count();
        trace_format::encode_asid_pool(&mut Out(m), high as u64, pool, assigned as u64);
        for low in 0..entries {
            let vspace = m.read_word(pool + 8 * low);
            if vspace != 0 {
                trace_format::encode_asid(&mut Out(m), low, vspace);
                push(&mut tables, &mut n, vspace, 0);
            }
        }
    }
    let mut i = 0;
    while i < n {
        let (table, level) = tables[i];
        let mut hash = trace_format::hash_words(trace_format::HASH_START, &[level]);
        let mut nonzero = 0;
        for e in 0..entries {
            let d = m.read_word(table + 8 * e);
            hash = trace_format::hash_words(hash, &[d]);
            if d != 0 {
                nonzero += 1;
                if level < 3 && pte::is_table(d) {
                    push(&mut tables, &mut n, pte::output_address(d), level + 1);
                }
            }
        }
        // Table keys end in binary 100 (tables are 4 KiB aligned; threads are odd, objects
        // end in 10, slots are 32-byte aligned).
        if ks.trace_cache.unchanged(table | 4, hash) {
            trace_format::encode_same_table(&mut Out(m), table, level);
        } else {
            trace_format::encode_page_table(&mut Out(m), table, level, nonzero);
            for e in 0..entries {
                let d = m.read_word(table + 8 * e);
                if d != 0 {
                    trace_format::encode_pte(&mut Out(m), e, d);
                }
            }
        }
        i += 1;
    }
}

/// The ready queues, each in order.
fn write_ready_queues<M: Machine>(ks: &KernelState, m: &mut M) {
    let mut queue = [0u64; MAX_CONTAINERS];
    for p in 0..crate::model::NUM_PRIORITIES {
        let mut len = 0;
        let mut t = ks.ready.head[p];
        while t != 0 && len < queue.len() {
            queue[len] = t;
            len += 1;
            t = Tcb(t).get(m, field::SCHED_NEXT);
        }
        if len > 0 {
            trace_format::encode_ready(&mut Out(m), p as u64, &queue[..len]);
        }
    }
}

/// A thread's registers in seL4_UserContext order, the pc being where it resumes.
fn context<M: Machine>(m: &M, t: Tcb) -> [u64; CONTEXT_WORDS] {
    let mut c = [0; CONTEXT_WORDS];
    for (w, r) in c.iter_mut().zip(USER_CONTEXT) {
        *w = t.user_reg(m, r);
    }
    c[trace_format::context::PC] = t.user_reg(m, UserReg::NextIp);
    c
}

fn thread<M: Machine>(m: &M, t: Tcb) -> ThreadProj {
    let state = t.state(m);
    let (object, badge, f) = match state {
        ThreadState::BlockedOnSend => {
            let f = t.get(m, field::BLOCKING_FLAGS);
            let bit = |k, v| if f & k != 0 { v } else { 0 };
            (
                t.get(m, field::BLOCKING_OBJECT),
                t.get(m, field::BLOCKING_BADGE),
                bit(kflags::CAN_GRANT, flags::CAN_GRANT)
                    | bit(kflags::CAN_GRANT_REPLY, flags::CAN_GRANT_REPLY)
                    | bit(kflags::IS_CALL, flags::IS_CALL),
            )
        }
        ThreadState::BlockedOnReceive => {
            let grant = t.get(m, field::BLOCKING_FLAGS) & kflags::CAN_GRANT != 0;
            let f = if grant { flags::CAN_GRANT } else { 0 };
            (t.get(m, field::BLOCKING_OBJECT), 0, f)
        }
        ThreadState::BlockedOnNotification => (t.get(m, field::BLOCKING_OBJECT), 0, 0),
        _ => (0, 0, 0),
    };
    ThreadProj {
        tcb: t.0,
        state: state as u64,
        object,
        badge,
        flags: f,
        priority: t.priority(m),
        mcp: t.mcp(m),
        fault_handler: t.fault_handler(m),
        ipc_buffer: t.ipc_buffer(m),
        bound_notification: t.get(m, field::BOUND_NOTIFICATION),
        fault_ip: t.get(m, field::FAULT_IP),
        time_slice: t.get(m, field::TIME_SLICE),
        tcb_flags: t.get(m, field::FLAGS),
        context: context(m, t),
    }
}

/// A cap in the trace's terms.
pub fn project(c: &Cap) -> CapProj {
    trace_format::project_cap!(*c, Cap,
        frame_size: size => size.bits() as u8,
        vm_rights: rights => rights as u8)
}
