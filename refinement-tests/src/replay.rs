//! Replaying a kernel trace on the spec: boot the spec from the trace's boot record, check
//! it starts in the state the kernel recorded, then feed it every recorded entry (with the
//! registers and IPC-buffer words the kernel read) and compare the thread that runs next
//! and the whole projection after each one. The first difference stops the replay with a
//! readable report.

use sel4_abi::context::index;
use spec::api::event::{Event, decode_exception, handle_event};
use spec::kernel::boot::{BootConfig, BootLayout};
use spec::model::cap::{Cap, VmRights};
use spec::model::{
    Endpoint, IrqState, NtfnState, Object, PageTable, Pte, SchedulerAction, State, ThreadState,
};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use trace_format::pte::PteProj;
use trace_format::{
    CapProj, EventKind, Exit, IrqProj, MemoryEffect, ObjectProj, SlotProj, TableProj, ThreadProj,
    Trace, flags, irq, mdb, object_state, sched, state,
};

/// Where the spec keeps its idle thread when the kernel's has no TCB (the trace names it
/// 0): far above any memory, so it meets no object.
pub const SPEC_IDLE: u64 = 0xffff_0000_0000_0000;
/// Slots of a TCB's own CNode.
const TCB_SLOTS: u64 = 5;
/// The projection visits at most this many CNodes and TCBs (as the kernel's does).
const MAX_CONTAINERS: usize = 512;

/// The spec's boot configuration for a recorded boot.
pub fn boot_config(t: &Trace) -> BootConfig {
    let f = &t.boot.facts;
    let [
        cnode,
        vspace,
        asid_pool,
        ipc_buffer,
        bootinfo,
        tcb,
        idle,
        irq_node,
    ] = f.objects;
    BootConfig {
        untypeds: t.boot.untypeds.clone(),
        cnode_bits: f.cnode_bits as u8,
        ipc_buffer_vaddr: f.ipc_buffer_vaddr,
        bootinfo_vaddr: f.bootinfo_vaddr,
        entry: f.entry,
        max_irq: f.max_irq,
        timer_irq: f.timer_irq,
        layout: Some(BootLayout {
            cnode,
            vspace,
            asid_pool,
            ipc_buffer,
            bootinfo,
            tcb,
            idle: if idle == 0 { SPEC_IDLE } else { idle },
            irq_node,
        }),
        first_untyped_slot: f.first_untyped_slot,
        image_caps: (sel4_abi::init_cap::NUM_INITIAL_CAPS..f.first_untyped_slot)
            .filter_map(|i| t.initial.caps.get(&(cnode, i)).map(|s| &s.cap))
            .filter_map(image_cap)
            .collect(),
        ..BootConfig::default()
    }
}

/// A frame or page table cap of the root task's image, as the spec holds it.
pub fn image_cap(c: &CapProj) -> Option<Cap> {
    let map =
        |m: trace_format::Mapping| m.map(|(asid, vaddr)| spec::model::cap::Mapping { asid, vaddr });
    match *c {
        CapProj::Frame {
            base,
            size_bits,
            rights,
            is_device,
            mapping,
        } => Some(Cap::Frame {
            base,
            size_bits,
            rights: match rights {
                1 => VmRights::KernelOnly,
                2 => VmRights::ReadOnly,
                _ => VmRights::ReadWrite,
            },
            is_device,
            mapping: map(mapping),
        }),
        CapProj::PageTable { base, mapping } => Some(Cap::PageTable {
            base,
            mapping: map(mapping),
        }),
        _ => None,
    }
}

/// The spec's state projected as the kernel projects its own: the thread that runs, every
/// thread, and every cap in the TCBs and the CNodes reachable from them.
pub fn project(s: &State) -> Exit {
    // A thread whose last cap has been finalised is off the kernel's thread list at once
    // (seL4's tcbDebugRemove), though its zombie may outlive the entry (parked in its own
    // first slot, or stopped by an interrupt): the spec's TCB named by a zombie is not a
    // thread any more.
    let dying: BTreeSet<u64> = s
        .slots
        .values()
        .filter_map(|c| match c.cap {
            Cap::Zombie {
                ptr, is_tcb: true, ..
            } => Some(ptr),
            _ => None,
        })
        .collect();
    let thread_addrs: Vec<u64> = s
        .threads()
        .map(|(t, _)| t)
        .filter(|&t| t != s.idle && !dying.contains(&t))
        .collect();
    let threads: BTreeMap<u64, ThreadProj> =
        thread_addrs.iter().map(|&t| (t, thread(s, t))).collect();
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<(u64, u64)> = VecDeque::new();
    let mut visit = |q: &mut VecDeque<(u64, u64)>, obj: u64, slots: u64| {
        if seen.len() < MAX_CONTAINERS && seen.insert(obj) {
            q.push_back((obj, slots));
        }
    };
    // Endpoints (false) and notifications (true) to write: named by a cap, waited on, or
    // bound.
    let mut objects_seen: BTreeMap<u64, bool> = BTreeMap::new();
    for &t in &thread_addrs {
        visit(&mut queue, t, TCB_SLOTS);
        let tcb = s.tcb(t);
        match tcb.state {
            ThreadState::BlockedOnSend { ep, .. } | ThreadState::BlockedOnReceive { ep, .. } => {
                objects_seen.entry(ep).or_insert(false);
            }
            ThreadState::BlockedOnNotification { ntfn } => {
                objects_seen.entry(ntfn).or_insert(true);
            }
            _ => {}
        }
        if let Some(n) = tcb.bound_notification {
            objects_seen.entry(n).or_insert(true);
        }
    }
    visit(&mut queue, s.irq_node, s.max_irq + 1);
    let mut caps = BTreeMap::new();
    while let Some((obj, slots)) = queue.pop_front() {
        let end = obj.saturating_add(slots * 32);
        for (&slot, cte) in s.slots.range(obj..end) {
            let (i, cap) = ((slot - obj) / 32, cte.cap);
            match cap {
                Cap::Null => continue,
                Cap::CNode { ptr, radix, .. } => visit(&mut queue, ptr, 1 << radix),
                Cap::Thread { tcb } => visit(&mut queue, tcb, TCB_SLOTS),
                Cap::Endpoint { ptr, .. } => {
                    objects_seen.entry(ptr).or_insert(false);
                }
                Cap::Notification { ptr, .. } => {
                    objects_seen.entry(ptr).or_insert(true);
                }
                _ => {}
            }
            let flags = if cte.revocable { mdb::REVOCABLE } else { 0 }
                | if cte.first_badged {
                    mdb::FIRST_BADGED
                } else {
                    0
                };
            caps.insert(
                (obj, i),
                SlotProj {
                    cap: cap_proj(&cap),
                    mdb_next: cte.next.unwrap_or(0),
                    mdb_flags: flags,
                },
            );
        }
    }
    let objects = objects_seen
        .keys()
        .filter_map(|&p| Some((p, object(s, p)?)))
        .collect();
    let ready = s
        .ready
        .iter()
        .filter(|(_, q)| !q.is_empty())
        .map(|(&p, q)| (u64::from(p), q.iter().copied().collect()))
        .collect();
    let irqs: BTreeMap<u64, IrqProj> = s
        .irq_states
        .iter()
        .filter_map(|(&line, st)| {
            // The controller lets a line through while the kernel owns it (the timer) or a
            // handler has it and has acknowledged its last interrupt.
            let (state, enabled) = match st {
                IrqState::Inactive => return None,
                IrqState::Signal => (irq::SIGNAL, !s.masked_irqs.contains(&line)),
                IrqState::Timer => (irq::TIMER, true),
            };
            let edge = s.edge_irqs.contains(&line);
            Some((
                line,
                IrqProj {
                    state,
                    enabled,
                    edge,
                },
            ))
        })
        .collect();
    let (asid_pools, asids, tables) = address_spaces(s);
    // The controller has a line enabled exactly when its IRQ item says so (no line
    // without a handler, other than the timer's, is ever let through). (Active lines are
    // checked against the entry, in `replay`.)
    let lines_enabled = irqs
        .iter()
        .filter(|(_, p)| p.enabled)
        .map(|(&l, _)| l)
        .collect();
    Exit {
        current: if s.current == s.idle { 0 } else { s.current },
        preempted_at: if s.preempted { s.checks } else { 0 },
        // The spec has no fastpath: whether the kernel used it is not compared.
        fastpath: false,
        threads,
        caps,
        objects,
        ready,
        irqs,
        sched_action: match s.action {
            SchedulerAction::ResumeCurrent => sched::RESUME_CURRENT,
            SchedulerAction::ChooseNew => sched::CHOOSE_NEW,
            SchedulerAction::SwitchTo(t) => t,
        },
        asid_pools,
        asids,
        tables,
        lines_enabled,
        lines_active: vec![],
    }
}

/// At most this many translation tables are walked (as the kernel's recorder does).
const MAX_TABLES: usize = 256;

/// The ASID table, every assigned ASID's VSpace, and every translation table reachable from
/// those VSpaces, as the kernel walks its own.
fn address_spaces(
    s: &State,
) -> (
    BTreeMap<u64, u64>,
    BTreeMap<u64, u64>,
    BTreeMap<u64, TableProj>,
) {
    let mut asids = BTreeMap::new();
    let mut order = Vec::new();
    for (&high, &pool) in &s.asid_table {
        if let Some(Object::AsidPool(p)) = s.objects.get(&pool) {
            for (&low, &vspace) in p {
                asids.insert(high << 9 | low, vspace);
                order.push((vspace, 0u64));
            }
        }
    }
    let mut tables = BTreeMap::new();
    let mut i = 0;
    while i < order.len() && tables.len() < MAX_TABLES {
        let (t, level) = order[i];
        i += 1;
        if tables.contains_key(&t) {
            continue;
        }
        let table: Option<&PageTable> = match s.objects.get(&t) {
            Some(Object::VSpace { table, .. }) | Some(Object::PageTable(table)) => Some(table),
            _ => None,
        };
        let mut entries = BTreeMap::new();
        for (&index, pte) in table.map(|t| &t.entries).into_iter().flatten() {
            let e = match *pte {
                Pte::Table(next) => {
                    if level < 3 {
                        order.push((next, level + 1));
                    }
                    PteProj::Table { table: next }
                }
                Pte::Page {
                    frame,
                    size_bits,
                    rights,
                    executable,
                    cacheable,
                } => PteProj::Page {
                    frame,
                    size_bits,
                    rights: vm_rights(rights),
                    executable,
                    cacheable,
                },
            };
            entries.insert(index, e);
        }
        tables.insert(t, TableProj { level, entries });
    }
    (s.asid_table.clone(), asids, tables)
}

/// seL4's vm_rights as caps project them.
fn vm_rights(r: VmRights) -> u8 {
    match r {
        VmRights::KernelOnly => 1,
        VmRights::ReadOnly => 2,
        VmRights::ReadWrite => 3,
    }
}

/// An endpoint or notification in the trace's terms.
fn object(s: &State, p: u64) -> Option<ObjectProj> {
    Some(match s.objects.get(&p)? {
        Object::Endpoint(e) => {
            let (state, queue) = match e {
                Endpoint::Idle => (object_state::IDLE, vec![]),
                Endpoint::Send(q) => (object_state::SEND_OR_WAITING, q.iter().copied().collect()),
                Endpoint::Recv(q) => (object_state::RECV_OR_ACTIVE, q.iter().copied().collect()),
            };
            ObjectProj::Endpoint { state, queue }
        }
        Object::Notification(n) => {
            let (state, badge, queue) = match &n.state {
                NtfnState::Idle => (object_state::IDLE, 0, vec![]),
                NtfnState::Waiting(q) => (
                    object_state::SEND_OR_WAITING,
                    0,
                    q.iter().copied().collect(),
                ),
                NtfnState::Active(b) => (object_state::RECV_OR_ACTIVE, *b, vec![]),
            };
            ObjectProj::Notification {
                state,
                badge,
                bound: n.bound_tcb.unwrap_or(0),
                queue,
            }
        }
        _ => return None,
    })
}

fn thread(s: &State, t: u64) -> ThreadProj {
    let tcb = s.tcb(t);
    let bit = |b: bool, f: u64| if b { f } else { 0 };
    let (st, object, badge, fl) = match tcb.state {
        ThreadState::Inactive => (state::INACTIVE, 0, 0, 0),
        ThreadState::Running => (state::RUNNING, 0, 0, 0),
        ThreadState::Restart => (state::RESTART, 0, 0, 0),
        ThreadState::BlockedOnReceive { ep, can_grant } => (
            state::BLOCKED_ON_RECEIVE,
            ep,
            0,
            bit(can_grant, flags::CAN_GRANT),
        ),
        ThreadState::BlockedOnSend {
            ep,
            badge,
            can_grant,
            can_grant_reply,
            is_call,
        } => (
            state::BLOCKED_ON_SEND,
            ep,
            badge,
            bit(can_grant, flags::CAN_GRANT)
                | bit(can_grant_reply, flags::CAN_GRANT_REPLY)
                | bit(is_call, flags::IS_CALL),
        ),
        ThreadState::BlockedOnReply => (state::BLOCKED_ON_REPLY, 0, 0, 0),
        ThreadState::BlockedOnNotification { ntfn } => (state::BLOCKED_ON_NOTIFICATION, ntfn, 0, 0),
        ThreadState::Idle => (state::IDLE, 0, 0, 0),
    };
    ThreadProj {
        tcb: t,
        state: st,
        object,
        badge,
        flags: fl,
        priority: u64::from(tcb.priority),
        mcp: u64::from(tcb.mcp),
        fault_handler: tcb.fault_handler,
        ipc_buffer: tcb.ipc_buffer,
        bound_notification: tcb.bound_notification.unwrap_or(0),
        fault_ip: tcb.fault_ip,
        time_slice: tcb.time_slice,
        tcb_flags: tcb.flags,
        context: tcb.regs,
    }
}

/// A spec cap in the trace's terms.
pub fn cap_proj(c: &Cap) -> CapProj {
    trace_format::project_cap!(*c, Cap,
    frame_size: size_bits => size_bits,
    vm_rights: rights => vm_rights(rights))
}

/// The spec event for a recorded entry: for a syscall or an exception, the spec's own
/// decoding of the syndrome and fault address the kernel read (`decode_exception`), which
/// must be the event the kernel's arch layer decoded; an interrupt as recorded.
fn event(e: &trace_format::Entry) -> Result<Event, String> {
    let mut regs = [0; 8];
    for (i, r) in regs.iter_mut().enumerate() {
        *r = e.context[index::X0 + i];
    }
    let (esr, far) = e.exception;
    let spec_event = match e.kind {
        EventKind::Timer => return Ok(Event::TimerTick),
        EventKind::Interrupt { irq } => return Ok(Event::Interrupt { irq }),
        _ => decode_exception(esr, far, regs, e.buffer.clone()),
    };
    let spec_kind = match spec_event {
        Event::Syscall { .. } => EventKind::Syscall,
        Event::VmFault {
            addr,
            fsr,
            instruction,
        } => EventKind::VmFault {
            addr,
            fsr,
            instruction,
        },
        Event::UserException { esr } => EventKind::UserException { esr },
        _ => return Err(format!("the spec decoded ESR {esr:#x} as {spec_event:?}\n")),
    };
    if spec_kind != e.kind {
        return Err(format!(
            "- the kernel's decoding of ESR {esr:#x}, FAR {far:#x}: {:x?}\n+ the spec's: {spec_kind:x?}\n",
            e.kind
        ));
    }
    Ok(spec_event)
}

/// A replay that went all the way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replayed {
    /// Kernel entries replayed and compared.
    pub entries: usize,
    /// Whether the machine halted inside the last entry (it has no recorded state after).
    pub halted_in_last: bool,
}

/// Where the spec and the kernel first disagreed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divergence {
    /// The entry (0 is the boot: the initial states differ).
    pub step: usize,
    /// What happened there.
    pub event: String,
    /// The differences, one per line.
    pub diff: String,
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "divergence at step {}: {}\n  (- kernel, + spec)",
            self.step, self.event
        )?;
        write!(f, "{}", self.diff)
    }
}

/// Replays `t` on the spec; the first divergence is the error.
pub fn replay(t: &Trace) -> Result<Replayed, Divergence> {
    replay_observed(t, |_, _| (), |(), _| ())
}

/// [`replay`], showing each entry's spec state to `before` (ahead of the event, with the
/// entry) and to `after` (once the spec has handled it, with what `before` returned): the
/// coverage of a QEMU run is counted so.
pub fn replay_observed<P>(
    t: &Trace,
    mut before: impl FnMut(&State, &trace_format::Entry) -> P,
    mut after: impl FnMut(P, &State),
) -> Result<Replayed, Divergence> {
    let cfg = boot_config(t);
    let mut s = spec::kernel::boot::boot(&cfg);
    compare(&t.initial, &project(&s)).map_err(|diff| Divergence {
        step: 0,
        event: "boot: the state the root task starts in".into(),
        diff,
    })?;
    compare_bootinfo(&t.boot.bootinfo, &s, &cfg).map_err(|diff| Divergence {
        step: 0,
        event: "boot: the BootInfo frame".into(),
        diff,
    })?;
    let mut empty = None;
    check_restores(&s, &t.initial_restores, &mut empty).map_err(|diff| Divergence {
        step: 0,
        event: "boot: the return to the root task".into(),
        diff,
    })?;
    // The thread the arch layer last returned to (with RESTORE records in the trace).
    let mut restored = t.initial_restores.last().map(|r| r.thread);
    for (i, step) in t.steps.iter().enumerate() {
        let e = &step.entry;
        let describe = || describe(e);
        // A synchronous exception comes from the thread user level runs: the one the arch
        // layer returned to last (an interrupt may come while the kernel idles, or right
        // after another).
        let synchronous = matches!(
            e.kind,
            EventKind::Syscall | EventKind::UserException { .. } | EventKind::VmFault { .. }
        );
        if t.boot.facts.restores && synchronous && restored != Some(e.thread) {
            return Err(Divergence {
                step: i + 1,
                event: describe(),
                diff: format!(
                    "- thread the arch layer returned to last: {}\n+ thread taking a synchronous exception: {:#x}\n",
                    restored.map_or("none".to_owned(), |r| format!("{r:#x}")),
                    e.thread
                ),
            });
        }
        let running = if s.current == s.idle { 0 } else { s.current };
        if running != e.thread {
            return Err(Divergence {
                step: i + 1,
                event: describe(),
                diff: format!(
                    "- thread entering the kernel: {:#x}\n+ thread the spec runs: {running:#x}\n",
                    e.thread
                ),
            });
        }
        if e.thread != 0 {
            // What user level did since the last entry: its registers, and where the
            // event happened (a syscall or an exception at its restart pc; an interrupt
            // where it would resume).
            let tcb = s.tcb_mut(e.thread);
            tcb.regs = e.context;
            if !matches!(e.kind, EventKind::Timer | EventKind::Interrupt { .. }) {
                tcb.regs[index::PC] = e.fault_ip;
            }
        }
        // The machine's side of preemption, which the spec cannot know: how far the
        // kernel's work counter was, and which interrupt check found one pending.
        s.work_units = e.work_units;
        s.preempt_at = step
            .exit
            .as_ref()
            .and_then(|x| (x.preempted_at != 0).then_some(x.preempted_at));
        // The FP/SIMD unit is never enabled for a thread whose flags disable it.
        if e.fpu
            && e.thread != 0
            && s.tcb(e.thread).flags & sel4_abi::tcb::TCB_FLAG_FPU_DISABLED != 0
        {
            return Err(Divergence {
                step: i + 1,
                event: describe(),
                diff: format!(
                    "- thread {:#x} ran with the FP/SIMD unit enabled\n+ its TCB flags disable it (fpuDisabled)\n",
                    e.thread
                ),
            });
        }
        let ev = event(e).map_err(|diff| Divergence {
            step: i + 1,
            event: describe(),
            diff,
        })?;
        // The IPC-buffer words the kernel read during the entry, as it found them: user
        // level may have changed them since (another thread writing a buffer it shares).
        for &(pa, value) in &step.reads {
            s.store_word(pa, value);
        }
        let seen = before(&s, e);
        handle_event(&mut s, ev);
        after(seen, &s);
        compare_writes(&step.writes, &s.writes).map_err(|diff| Divergence {
            step: i + 1,
            event: describe(),
            diff,
        })?;
        // The arch layer ends an interrupt after the entry that handled it (seL4's
        // ackInterrupt, at the end of handleInterrupt): at an exit only the entry's own
        // line may still be active, so one not ended shows at the next exit.
        if let Some(exit) = &step.exit {
            let own = match e.kind {
                EventKind::Timer => Some(t.boot.facts.timer_irq),
                EventKind::Interrupt { irq } => Some(irq),
                _ => None,
            };
            let stale: Vec<u64> = exit
                .lines_active
                .iter()
                .copied()
                .filter(|&l| Some(l) != own)
                .collect();
            if !stale.is_empty() {
                return Err(Divergence {
                    step: i + 1,
                    event: describe(),
                    diff: format!(
                        "- lines active at the interrupt controller: {stale:?}\n+ lines active at the interrupt controller: [] (every interrupt taken is ended)\n"
                    ),
                });
            }
        }
        let Some(exit) = &step.exit else {
            return Ok(Replayed {
                entries: i + 1,
                halted_in_last: true,
            });
        };
        compare(exit, &project(&s)).map_err(|diff| Divergence {
            step: i + 1,
            event: describe(),
            diff,
        })?;
        check_restores(&s, &step.restores, &mut empty).map_err(|diff| Divergence {
            step: i + 1,
            event: format!("{}, then the return to user level", describe()),
            diff,
        })?;
        // Every return to user level is recorded: a synchronous entry after an entry that
        // recorded none (the kernel idled, or took another interrupt) would come from a
        // return nobody recorded.
        restored = step.restores.last().map(|r| r.thread);
    }
    Ok(Replayed {
        entries: t.steps.len(),
        halted_in_last: false,
    })
}

/// The BootInfo frame the kernel wrote against the one the spec describes for its boot
/// state (`spec::kernel::boot::boot_info_words`), word by word; the extra BootInfo's length
/// (the device tree's, which the spec does not see) is taken from the kernel's.
pub fn compare_bootinfo(
    kernel: &[u64],
    s: &State,
    cfg: &spec::kernel::boot::BootConfig,
) -> Result<(), String> {
    let spec = spec::kernel::boot::boot_info_words(s, cfg, kernel.first().copied().unwrap_or(0));
    let mut d = String::new();
    for i in 0..kernel.len().max(spec.len()) {
        let (k, sp) = (kernel.get(i), spec.get(i));
        if k != sp {
            let show = |v: Option<&u64>| v.map_or("none".to_owned(), |v| format!("{v:#x}"));
            let _ = writeln!(
                d,
                "- BootInfo word {i} ({}): {}\n+ BootInfo word {i} ({}): {}",
                bootinfo_field(i * 8),
                show(k),
                bootinfo_field(i * 8),
                show(sp)
            );
        }
    }
    if d.is_empty() { Ok(()) } else { Err(d) }
}

/// The BootInfo field at byte offset `off`.
fn bootinfo_field(off: usize) -> String {
    use sel4_abi::BootInfo;
    use std::mem::offset_of;
    let fields = [
        (offset_of!(BootInfo, extra_len), "extraLen"),
        (offset_of!(BootInfo, node_id), "nodeID"),
        (offset_of!(BootInfo, num_nodes), "numNodes"),
        (offset_of!(BootInfo, num_io_pt_levels), "numIOPTLevels"),
        (offset_of!(BootInfo, ipc_buffer), "ipcBuffer"),
        (offset_of!(BootInfo, empty), "empty"),
        (offset_of!(BootInfo, shared_frames), "sharedFrames"),
        (offset_of!(BootInfo, user_image_frames), "userImageFrames"),
        (offset_of!(BootInfo, user_image_paging), "userImagePaging"),
        (offset_of!(BootInfo, io_space_caps), "ioSpaceCaps"),
        (offset_of!(BootInfo, extra_bi_pages), "extraBIPages"),
        (
            offset_of!(BootInfo, init_thread_cnode_size_bits),
            "initThreadCNodeSizeBits",
        ),
        (offset_of!(BootInfo, init_thread_domain), "initThreadDomain"),
        (offset_of!(BootInfo, untyped), "untyped"),
    ];
    let list = offset_of!(BootInfo, untyped_list);
    if off >= list {
        let i = (off - list) / 16;
        if i < sel4_abi::MAX_NUM_BOOTINFO_UNTYPED_CAPS {
            return format!(
                "untypedList[{i}].{}",
                if (off - list).is_multiple_of(16) {
                    "paddr"
                } else {
                    "sizeBits, isDevice"
                }
            );
        }
        return "after untypedList".to_owned();
    }
    let (start, name) = fields
        .iter()
        .rev()
        .find(|(o, _)| *o <= off)
        .copied()
        .unwrap_or((0, "?"));
    match off - start {
        0 => name.to_owned(),
        k => format!("{name} + {k}"),
    }
}

/// What the arch layer set up for each return to user level, against the spec's state
/// after the entry: the thread is the one the spec runs; TTBR0 names its VSpace and the
/// ASID assigned to it (seL4's setVMRoot), or the empty VSpace with ASID 0 if its VSpace
/// cap is not a VSpace whose ASID still names it; the FP/SIMD unit is off for a thread
/// whose flags disable it; and the SPSR goes to EL0 (AArch64, SP_EL0) with IRQs unmasked.
/// The empty VSpace is the kernel's own: the same in every record (`empty` keeps the first
/// seen) and no object the spec knows.
pub fn check_restores(
    s: &State,
    restores: &[trace_format::Restore],
    empty: &mut Option<u64>,
) -> Result<(), String> {
    use spec::kernel::cspace::slot_at;
    use spec::model::objects::TCB_VTABLE;
    for r in restores {
        let first = *empty.get_or_insert(r.empty_vspace);
        if r.empty_vspace != first || s.objects.contains_key(&r.empty_vspace) {
            return Err(format!(
                "- the kernel's empty VSpace: {:#x}\n+ one address for the whole run ({first:#x}), no object of the spec's\n",
                r.empty_vspace
            ));
        }
        let running = if s.current == s.idle { 0 } else { s.current };
        if r.thread != running {
            return Err(format!(
                "- thread the arch layer returns to: {:#x}\n+ thread the spec runs: {running:#x}\n",
                r.thread
            ));
        }
        let expected = match s.cap(slot_at(r.thread, TCB_VTABLE)) {
            Cap::VSpace {
                base,
                asid: Some(asid),
            } if spec::kernel::vspace::find_vspace_for_asid(s, asid) == Ok(base) => (base, asid),
            _ => (r.empty_vspace, 0),
        };
        if (r.table(), r.asid()) != expected {
            return Err(format!(
                "- TTBR0_EL1 on the return to {:#x}: table {:#x}, ASID {}\n+ its VSpace: table {:#x}, ASID {} (the empty VSpace is {:#x})\n",
                r.thread,
                r.table(),
                r.asid(),
                expected.0,
                expected.1,
                r.empty_vspace
            ));
        }
        if r.fpu && s.tcb(r.thread).flags & sel4_abi::tcb::TCB_FLAG_FPU_DISABLED != 0 {
            return Err(format!(
                "- thread {:#x} is returned to with the FP/SIMD unit enabled\n+ its TCB flags disable it (fpuDisabled)\n",
                r.thread
            ));
        }
        // M[4:0] = 0: AArch64 EL0 with SP_EL0; bit 7 (I) clear: IRQs reach the kernel.
        if r.spsr & 0x1f != 0 || r.spsr & 1 << 7 != 0 {
            return Err(format!(
                "- SPSR on the return to {:#x}: {:#x}\n+ an SPSR for EL0t with IRQs unmasked\n",
                r.thread, r.spsr
            ));
        }
    }
    Ok(())
}

pub fn describe(e: &trace_format::Entry) -> String {
    let who = if e.thread == 0 {
        "idle".to_owned()
    } else {
        format!("thread {:#x}", e.thread)
    };
    match e.kind {
        EventKind::Syscall => {
            let x = |i: usize| e.context[index::X0 + i];
            let sys = sel4_abi::Syscall::from_word(x(7)).map_or_else(
                || format!("unknown syscall {}", x(7) as i64),
                |s| format!("{s:?}"),
            );
            let info = sel4_abi::MessageInfo::from_word_clamped(x(1));
            // The message: x2..x5, then the IPC buffer; the extra caps' cptrs.
            let words: Vec<String> = (0..info.length as usize)
                .map(|i| match i {
                    0..4 => x(2 + i),
                    _ => buffer_word(e, 1 + i),
                })
                .map(|w| format!("{w:#x}"))
                .collect();
            let caps: Vec<String> = (0..info.extra_caps as usize)
                .map(|i| format!("{:#x}", buffer_word(e, 122 + i)))
                .collect();
            format!(
                "{who}: {sys} cptr {:#x} label {} at pc {:#x}, message [{}], caps [{}]",
                x(0),
                info.label,
                e.fault_ip,
                words.join(", "),
                caps.join(", ")
            )
        }
        other => format!("{who}: {other:?} at pc {:#x}", e.context[index::PC]),
    }
}

/// Word `i` of the entry's IPC buffer as recorded (0 if it was not).
fn buffer_word(e: &trace_format::Entry, i: usize) -> u64 {
    e.buffer
        .iter()
        .find(|&&(j, _)| j == i)
        .map_or(0, |&(_, w)| w)
}

/// Compares the kernel's projection with the spec's; the differences as readable lines.
pub fn compare(k: &Exit, s: &Exit) -> Result<(), String> {
    let mut d = String::new();
    if k.current != s.current {
        let _ = writeln!(
            d,
            "- runs next: {:#x}\n+ runs next: {:#x}",
            k.current, s.current
        );
    }
    let tids: BTreeSet<u64> = k.threads.keys().chain(s.threads.keys()).copied().collect();
    for t in tids {
        match (k.threads.get(&t), s.threads.get(&t)) {
            (Some(a), Some(b)) if a == b => {}
            (Some(a), Some(b)) => thread_diff(&mut d, a, b),
            (a, b) => {
                let _ = writeln!(
                    d,
                    "- thread {t:#x}: {}\n+ thread {t:#x}: {}",
                    if a.is_some() { "exists" } else { "none" },
                    if b.is_some() { "exists" } else { "none" }
                );
            }
        }
    }
    let slots: BTreeSet<(u64, u64)> = k.caps.keys().chain(s.caps.keys()).copied().collect();
    for slot in slots {
        let (a, b) = (k.caps.get(&slot), s.caps.get(&slot));
        if a != b {
            let show = |c: Option<&SlotProj>| {
                c.map_or("Null".to_owned(), |c| {
                    format!(
                        "{:x?} (next {:#x}, flags {})",
                        c.cap, c.mdb_next, c.mdb_flags
                    )
                })
            };
            let _ = writeln!(
                d,
                "- slot {:#x}[{}]: {}\n+ slot {:#x}[{}]: {}",
                slot.0,
                slot.1,
                show(a),
                slot.0,
                slot.1,
                show(b)
            );
        }
    }
    let objs: BTreeSet<u64> = k.objects.keys().chain(s.objects.keys()).copied().collect();
    for o in objs {
        let (a, b) = (k.objects.get(&o), s.objects.get(&o));
        if a != b {
            let _ = writeln!(d, "- object {o:#x}: {a:x?}\n+ object {o:#x}: {b:x?}");
        }
    }
    if k.ready != s.ready {
        let _ = writeln!(
            d,
            "- ready queues: {:x?}\n+ ready queues: {:x?}",
            k.ready, s.ready
        );
    }
    diff_entries(&mut d, "IRQ", &k.irqs, &s.irqs);
    // The sixteen SGIs are the controller's to enable (a GICv2 keeps them enabled).
    let spi_ppi = |v: &[u64]| v.iter().copied().filter(|&l| l >= 16).collect::<Vec<_>>();
    if spi_ppi(&k.lines_enabled) != spi_ppi(&s.lines_enabled) {
        let _ = writeln!(
            d,
            "- lines enabled at the interrupt controller: {:?}\n+ lines enabled at the interrupt controller: {:?}",
            spi_ppi(&k.lines_enabled),
            spi_ppi(&s.lines_enabled)
        );
    }

    if k.sched_action != s.sched_action {
        let _ = writeln!(
            d,
            "- scheduler action: {:#x}\n+ scheduler action: {:#x}",
            k.sched_action, s.sched_action
        );
    }
    if k.asid_pools != s.asid_pools {
        let _ = writeln!(
            d,
            "- ASID table: {:x?}\n+ ASID table: {:x?}",
            k.asid_pools, s.asid_pools
        );
    }
    diff_entries(&mut d, "ASID", &k.asids, &s.asids);
    let all: BTreeSet<u64> = k.tables.keys().chain(s.tables.keys()).copied().collect();
    for t in all {
        match (k.tables.get(&t), s.tables.get(&t)) {
            (Some(a), Some(b)) if a == b => {}
            (Some(a), Some(b)) if a.level == b.level => {
                let what = format!("table {t:#x} (level {}) entry", a.level);
                diff_entries(&mut d, &what, &a.entries, &b.entries);
            }
            (a, b) => {
                let show = |x: Option<&TableProj>| {
                    x.map_or("none".to_owned(), |x| {
                        format!("level {}, {} entries", x.level, x.entries.len())
                    })
                };
                let _ = writeln!(
                    d,
                    "- table {t:#x}: {}\n+ table {t:#x}: {}",
                    show(a),
                    show(b)
                );
            }
        }
    }
    if d.is_empty() { Ok(()) } else { Err(d) }
}

/// The memory an entry wrote, by its effect ([`MemoryEffect`]): the ranges each side
/// cleared and the words it wrote, kernel's against spec's.
pub fn compare_writes(
    k: &[trace_format::MemoryWrite],
    s: &[spec::model::MemoryWrite],
) -> Result<(), String> {
    use spec::model::MemoryWrite as W;
    let spec: Vec<trace_format::MemoryWrite> = s
        .iter()
        .map(|w| match *w {
            W::Word { pa, value } => trace_format::MemoryWrite::Word { pa, value },
            W::Zero { pa, len } => trace_format::MemoryWrite::Zero { pa, len },
        })
        .collect();
    let (a, b) = (MemoryEffect::of(k), MemoryEffect::of(&spec));
    if a == b {
        return Ok(());
    }
    let mut d = String::new();
    if a.cleared != b.cleared {
        let ranges = |r: &[(u64, u64)]| {
            let v: Vec<String> = r.iter().map(|(s, e)| format!("{s:#x}..{e:#x}")).collect();
            if v.is_empty() {
                "none".to_owned()
            } else {
                v.join(", ")
            }
        };
        let _ = writeln!(
            d,
            "- memory cleared: {}\n+ memory cleared: {}",
            ranges(&a.cleared),
            ranges(&b.cleared)
        );
    }
    let addrs: BTreeSet<u64> = a.words.keys().chain(b.words.keys()).copied().collect();
    let show = |v: Option<&u64>| v.map_or("not written".to_owned(), |v| format!("{v:#x}"));
    for pa in addrs {
        let (x, y) = (a.words.get(&pa), b.words.get(&pa));
        if x != y {
            let _ = writeln!(
                d,
                "- memory word {pa:#x}: {}\n+ memory word {pa:#x}: {}",
                show(x),
                show(y)
            );
        }
    }
    Err(d)
}

/// One line pair for every key whose entry differs between the kernel's map and the spec's
/// (`what KEY: kernel's` / `what KEY: spec's`, None where one side has none).
fn diff_entries<V: PartialEq + std::fmt::Debug>(
    d: &mut String,
    what: &str,
    k: &BTreeMap<u64, V>,
    s: &BTreeMap<u64, V>,
) {
    let keys: BTreeSet<u64> = k.keys().chain(s.keys()).copied().collect();
    for key in keys {
        let (a, b) = (k.get(&key), s.get(&key));
        if a != b {
            let _ = writeln!(d, "- {what} {key}: {a:x?}\n+ {what} {key}: {b:x?}");
        }
    }
}

fn thread_diff(d: &mut String, a: &ThreadProj, b: &ThreadProj) {
    let t = a.tcb;
    let fields = [
        ("state", a.state, b.state),
        ("blocked on", a.object, b.object),
        ("blocking badge", a.badge, b.badge),
        ("blocking flags", a.flags, b.flags),
        ("priority", a.priority, b.priority),
        ("mcp", a.mcp, b.mcp),
        ("fault endpoint", a.fault_handler, b.fault_handler),
        ("ipc buffer", a.ipc_buffer, b.ipc_buffer),
        (
            "bound notification",
            a.bound_notification,
            b.bound_notification,
        ),
        ("restart pc", a.fault_ip, b.fault_ip),
        ("time slice", a.time_slice, b.time_slice),
        ("TCB flags", a.tcb_flags, b.tcb_flags),
    ];
    for (name, x, y) in fields {
        if x != y {
            let _ = writeln!(
                d,
                "- thread {t:#x} {name}: {x:#x}\n+ thread {t:#x} {name}: {y:#x}"
            );
        }
    }
    for (i, (x, y)) in a.context.iter().zip(&b.context).enumerate() {
        if x != y {
            let _ = writeln!(
                d,
                "- thread {t:#x} register {}: {x:#x}\n+ thread {t:#x} register {}: {y:#x}",
                reg_name(i),
                reg_name(i)
            );
        }
    }
}

/// seL4_UserContext's name of register `i`.
pub fn reg_name(i: usize) -> String {
    const NAMES: [&str; 3] = ["pc", "sp", "spsr"];
    match i {
        0..=2 => NAMES[i].to_owned(),
        3..=11 => format!("x{}", i - 3),
        12..=14 => format!("x{}", i + 4),
        15 => "x29".to_owned(),
        16 => "x30".to_owned(),
        17..=23 => format!("x{}", i - 8),
        24..=33 => format!("x{}", i - 5),
        34 => "tpidr_el0".to_owned(),
        _ => "tpidrro_el0".to_owned(),
    }
}

/// The entries of a trace the kernel's IPC fastpath performed: (Calls, ReplyRecvs).
pub fn fastpath_entries(t: &trace_format::Trace) -> (u64, u64) {
    let x7 = sel4_abi::gpr_index(sel4_abi::registers::SYSCALL_REGISTER);
    let mut n = (0, 0);
    for s in &t.steps {
        if s.exit.as_ref().is_some_and(|e| e.fastpath) {
            if s.entry.context[x7] == sel4_abi::Syscall::Call.word() {
                n.0 += 1;
            } else {
                n.1 += 1;
            }
        }
    }
    n
}

/// A trace from its words, as the kernel writes them.
pub fn decode_words(words: &[u64]) -> Result<trace_format::Trace, String> {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    trace_format::decode(&bytes).map_err(|e| e.to_string())
}

/// Reads and replays a trace file; the summary line, or why it failed (unreadable,
/// malformed, or the first divergence).
pub fn replay_file(path: &std::path::Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read the trace: {e}"))?;
    let t = trace_format::decode(&bytes).map_err(|e| e.to_string())?;
    let threads: BTreeSet<u64> = t
        .steps
        .iter()
        .filter_map(|s| s.exit.as_ref())
        .flat_map(|e| e.threads.keys().copied())
        .collect();
    let r = replay(&t).map_err(|d| d.to_string())?;
    Ok(format!(
        "replay: {} kernel entries ({} by the IPC fastpath), {} threads, the states compared after every entry{} ({})",
        r.entries,
        {
            let (calls, replies) = fastpath_entries(&t);
            calls + replies
        },
        threads.len(),
        if r.halted_in_last {
            "; the machine halted in the last"
        } else {
            ""
        },
        path.display()
    ))
}
