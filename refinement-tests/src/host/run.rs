//! Running a program on both systems and comparing them after every step (replies, the
//! running thread, every cap the program can reach, the threads those name), or on the
//! kernel alone, recording its trace for the replay.

use super::fixed::fixed_programs;
use super::program::Step;
use super::world::{Kernel, TRACING, WINDOW, boot_both, kproj, sproj};
use crate::replay::decode_words;
use kernel::model::{Cap as KCap, Tcb};
use proptest::prelude::*;
use sel4_abi::Syscall;
use sel4_abi::gpr_index;
use sel4_abi::registers::{BADGE_REGISTER, MSG_INFO_REGISTER, MSG_INFO_REGISTER as INFO_REGISTER};
use spec::harness::Sim;
use std::cell::Cell;

/// Steps that are skipped rather than run: a poll (NBRecv) of anything but an endpoint or
/// notification would stop the thread with a cap fault (the programs' threads have no
/// fault handler), so only slot 0 (always empty) and pointers outside the root CNode are
/// left to do that: programs then run to their end far more often.
pub fn skipped(k: &Kernel, s: &Step) -> bool {
    let Step::NBRecv { cptr } = s else {
        return false;
    };
    let cn = k.ks.current.map(|t| t.cap(&k.m, 0));
    let Some(KCap::CNode { ptr, .. }) = cn else {
        return true;
    };
    // Only slot indices within the root CNode resolve at depth 64 (guard 0, radix 12).
    if *cptr == 0 || *cptr >= 4096 {
        return false;
    }
    !matches!(
        k.cap(ptr, *cptr),
        KCap::Endpoint { .. } | KCap::Notification { .. }
    )
}

thread_local! {
    static COUNTS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    static COVERAGE: std::cell::RefCell<Coverage> = std::cell::RefCell::new(Coverage::default());
}

/// What the programs run so far on this thread reached: for each invocation label, the
/// reply labels it got (0 success, else seL4's error code); the fault types raised (and
/// whether a handler got one); and the changes of thread state a step made.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    /// Invocation label → reply labels seen.
    pub replies: std::collections::BTreeMap<u64, std::collections::BTreeSet<u64>>,
    /// Fault type names raised, each with whether a fault handler received it.
    pub faults: std::collections::BTreeSet<(&'static str, bool)>,
    /// (state before, state after) of a thread across one step, by [`STATES`] index.
    pub transitions: std::collections::BTreeSet<(usize, usize)>,
    /// Retypes of a device untyped: (object type word, reply label).
    pub device_retypes: std::collections::BTreeSet<(u64, u64)>,
    /// Steps the kernel's IPC fastpath performed (`kernel::api::fastpath`), by syscall:
    /// (Call, ReplyRecv).
    pub fastpath: (u64, u64),
}

/// The thread states a program's thread can be in (the idle thread's aside).
pub const STATES: [&str; 7] = [
    "Inactive",
    "Running",
    "Restart",
    "BlockedOnReceive",
    "BlockedOnSend",
    "BlockedOnReply",
    "BlockedOnNotification",
];

/// Whether seL4 can change a thread from state `from` to `to` (by [`STATES`] index) in
/// one kernel entry: only the running thread blocks itself (a blocked, inactive or
/// restarting thread makes no syscall), except that a caller whose message is received
/// goes from waiting to send to waiting for the reply. Of the 42 ordered pairs, 23 can.
pub fn possible_transition(from: usize, to: usize) -> bool {
    const RUNNING: usize = 1;
    const BLOCKED_ON_SEND: usize = 4;
    const BLOCKED_ON_REPLY: usize = 5;
    from != to && (to < 3 || from == RUNNING || (from, to) == (BLOCKED_ON_SEND, BLOCKED_ON_REPLY))
}

/// The fault types this configuration raises (no hardware debug faults, no timeouts).
pub const FAULT_TYPES: [&str; 4] = ["CapFault", "UnknownSyscall", "UserException", "VMFault"];

/// Labels that cannot succeed here: there is no SMC cap unless seL4 is configured to allow
/// SMC calls (this configuration does not), so ArmSmcCall is only ever refused.
pub const NEVER_SUCCEED: [sel4_abi::InvocationLabel; 1] = [sel4_abi::InvocationLabel::ArmSmcCall];

fn state_index(st: &spec::model::ThreadState) -> Option<usize> {
    use spec::model::ThreadState as S;
    Some(match st {
        S::Inactive => 0,
        S::Running => 1,
        S::Restart => 2,
        S::BlockedOnReceive { .. } => 3,
        S::BlockedOnSend { .. } => 4,
        S::BlockedOnReply => 5,
        S::BlockedOnNotification { .. } => 6,
        S::Idle => return None,
    })
}

fn fault_name(f: &spec::model::Fault) -> &'static str {
    use spec::model::Fault as F;
    match f {
        F::Cap { .. } => "CapFault",
        F::UnknownSyscall { .. } => "UnknownSyscall",
        F::UserException { .. } => "UserException",
        F::VmFault { .. } => "VMFault",
    }
}

/// What one step reached: its faults and its threads' changes of state.
fn cover_step(before: &[(u64, usize)], s: &spec::model::State) {
    COVERAGE.with(|c| {
        let mut c = c.borrow_mut();
        for (_, f, handled) in &s.faults {
            c.faults.insert((fault_name(f), *handled));
        }
        for &(t, from) in before {
            if s.is_tcb(t)
                && let Some(to) = state_index(&s.tcb(t).state)
                && to != from
            {
                c.transitions.insert((from, to));
            }
        }
    });
}

fn thread_states(s: &spec::model::State) -> Vec<(u64, usize)> {
    s.threads()
        .filter_map(|(a, t)| state_index(&t.state).map(|i| (a, i)))
        .collect()
}

/// What the coverage of a replayed entry needs from the spec's state before it: the
/// threads' states, and for a Call of a kernel object (not an endpoint or notification)
/// the caller, the label, whether the object is a device untyped, and the first word.
pub struct EntryBefore {
    states: Vec<(u64, usize)>,
    invocation: Option<(u64, u64, bool, u64)>,
}

/// [`EntryBefore`] for the entry `e` of a trace, from the spec state `s` before it.
pub fn cover_entry_before(s: &spec::model::State, e: &trace_format::Entry) -> EntryBefore {
    use spec::model::cap::Cap as C;
    let reg = |r: usize| e.context[gpr_index(r)];
    let invocation = (e.kind == trace_format::EventKind::Syscall
        && e.thread != 0
        && reg(sel4_abi::registers::SYSCALL_REGISTER) == Syscall::Call.word())
    .then(|| {
        let cptr = reg(sel4_abi::registers::CAP_REGISTER);
        let cap = spec::kernel::cspace::lookup_cap_and_slot(s, e.thread, cptr)
            .ok()?
            .0;
        let label = sel4_abi::MessageInfo::from_word_clamped(reg(INFO_REGISTER)).label;
        match cap {
            C::Null | C::Endpoint { .. } | C::Notification { .. } => None,
            C::Untyped { is_device, .. } => Some((e.thread, label, is_device, reg(2))),
            _ => Some((e.thread, label, false, 0)),
        }
    })
    .flatten();
    EntryBefore {
        states: thread_states(s),
        invocation,
    }
}

/// Counts what a replayed entry reached, once the spec `s` has handled it: its faults,
/// its threads' changes of state, and the reply to an invocation the caller got at once.
pub fn cover_entry_after(b: EntryBefore, s: &spec::model::State) {
    cover_step(&b.states, s);
    if let Some((t, label, device, first)) = b.invocation
        && s.is_tcb(t)
        && s.tcb(t).state == spec::model::ThreadState::Running
    {
        let reply = spec::api::event::report(s, t).info.label;
        cover_reply(label, reply, device.then_some(first));
    }
}

/// Counts an invocation's reply; `device_type` is the first message word when the invoked
/// cap is a device untyped (a retype's object type).
fn cover_reply(label: u64, reply: u64, device_type: Option<u64>) {
    COVERAGE.with(|c| {
        let mut c = c.borrow_mut();
        c.replies.entry(label).or_default().insert(reply);
        if let Some(ty) = device_type
            && label == sel4_abi::InvocationLabel::UntypedRetype as u64
        {
            c.device_retypes.insert((ty, reply));
        }
    });
}

/// Counts the entries of a recorded trace (a host run's or a QEMU run's) that the
/// kernel's IPC fastpath performed, by syscall, into the coverage.
pub fn cover_fastpath_trace(t: &trace_format::Trace) {
    let (calls, replies) = crate::replay::fastpath_entries(t);
    COVERAGE.with(|c| {
        let f = &mut c.borrow_mut().fastpath;
        f.0 += calls;
        f.1 += replies;
    });
}

/// What a run has not reached yet, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Gaps {
    /// Labels never invoked on a cap of their object.
    pub unreached: Vec<String>,
    /// Labels that can succeed here but never did.
    pub never_succeeded: Vec<String>,
    /// Error codes never replied.
    pub error_codes: Vec<String>,
    /// Fault types never raised.
    pub fault_types: Vec<String>,
    /// Changes of thread state seL4 can make in one step ([`possible_transition`]) that
    /// no step made.
    pub transitions: Vec<String>,
    /// What retypes of a device untyped never did: make a frame, be refused another type.
    pub device_retypes: Vec<String>,
}

impl Coverage {
    /// What was not reached, against seL4's totals.
    pub fn gaps(&self) -> Gaps {
        use sel4_abi::{Error, InvocationLabel};
        let labels = &InvocationLabel::ALL[1..];
        let name = |l: &InvocationLabel| format!("{l:?}");
        let n = STATES.len();
        Gaps {
            unreached: labels
                .iter()
                .filter(|&&l| !self.replies.contains_key(&(l as u64)))
                .map(name)
                .collect(),
            never_succeeded: labels
                .iter()
                .filter(|l| !NEVER_SUCCEED.contains(l))
                .filter(|&&l| {
                    !self
                        .replies
                        .get(&(l as u64))
                        .is_some_and(|r| r.contains(&0))
                })
                .map(name)
                .collect(),
            error_codes: Error::ALL[1..]
                .iter()
                .filter(|e| !self.replies.values().any(|r| r.contains(&e.word())))
                .map(|e| format!("{e:?}"))
                .collect(),
            fault_types: FAULT_TYPES
                .iter()
                .filter(|f| !self.faults.iter().any(|(n, _)| n == *f))
                .map(|f| (*f).to_owned())
                .collect(),
            transitions: (0..n)
                .flat_map(|a| (0..n).map(move |b| (a, b)))
                .filter(|&(a, b)| possible_transition(a, b) && !self.transitions.contains(&(a, b)))
                .map(|(a, b)| format!("{}→{}", STATES[a], STATES[b]))
                .collect(),
            device_retypes: [
                ("a frame made", self.device_made_frame()),
                ("another type refused", self.device_refused_other()),
            ]
            .into_iter()
            .filter(|(_, done)| !done)
            .map(|(what, _)| what.to_owned())
            .collect(),
        }
    }

    /// How many object types retypes of a device untyped made (or were refused).
    fn device_types(&self, made: bool) -> usize {
        let types: std::collections::BTreeSet<u64> = self
            .device_retypes
            .iter()
            .filter(|r| (r.1 == 0) == made)
            .map(|r| r.0)
            .collect();
        types.len()
    }

    /// Whether a retype of a device untyped made a frame.
    fn device_made_frame(&self) -> bool {
        self.device_retypes
            .iter()
            .any(|&(ty, reply)| reply == 0 && is_frame_type(ty))
    }

    /// Whether a retype of a device untyped into a kernel object (a valid type, not a
    /// frame or untyped) was refused with InvalidArgument, seL4's answer to that.
    fn device_refused_other(&self) -> bool {
        use sel4_abi::ObjectType as T;
        self.device_retypes.iter().any(|&(ty, reply)| {
            reply == sel4_abi::Error::InvalidArgument.word()
                && ty < T::ALL.len() as u64
                && !is_frame_type(ty)
                && ty != T::Untyped as u64
        })
    }

    /// Whether every label was reached, every one that can succeed here succeeded, and
    /// every error code and fault type came back.
    pub fn complete(&self) -> bool {
        let g = self.gaps();
        g.unreached.is_empty()
            && g.never_succeeded.is_empty()
            && g.error_codes.is_empty()
            && g.fault_types.is_empty()
            && g.device_retypes.is_empty()
            && self.fastpath.0 > 0
            && self.fastpath.1 > 0
    }

    /// One line: each count against its total, and what was never reached.
    pub fn report(&self) -> String {
        use sel4_abi::{Error, InvocationLabel};
        let g = self.gaps();
        let list = |v: &[String]| {
            if v.is_empty() {
                "none".to_owned()
            } else {
                v.join(", ")
            }
        };
        let labels = InvocationLabel::ALL.len() - 1;
        let can_succeed = labels - NEVER_SUCCEED.len();
        let codes = Error::ALL.len() - 1;
        let handled = FAULT_TYPES
            .iter()
            .filter(|f| self.faults.contains(&(**f, true)))
            .count();
        let n = (0..STATES.len())
            .flat_map(|a| (0..STATES.len()).map(move |b| (a, b)))
            .filter(|&(a, b)| possible_transition(a, b))
            .count();
        // A change seL4 cannot make would be a bug the comparison reports first; count
        // only the possible ones.
        let made = self
            .transitions
            .iter()
            .filter(|&&(a, b)| possible_transition(a, b))
            .count();
        format!(
            "coverage: {}/{labels} labels reached (never: {}); {}/{can_succeed} that can succeed \
             here succeeded (never: {}; {} can only be refused); {}/{codes} error codes \
             replied (never: {}); {}/{} fault types raised (never: {}), {handled} sent to a \
             handler; {made}/{n} changes of thread state seL4 can make in one entry (never: {}); \
             retypes of device untypeds: {} object types made, {} refused (never: {}); \
             {} Calls and {} ReplyRecvs took the fastpath",
            labels - g.unreached.len(),
            list(&g.unreached),
            can_succeed - g.never_succeeded.len(),
            list(&g.never_succeeded),
            NEVER_SUCCEED.map(|l| format!("{l:?}")).join(", "),
            codes - g.error_codes.len(),
            list(&g.error_codes),
            FAULT_TYPES.len() - g.fault_types.len(),
            FAULT_TYPES.len(),
            list(&g.fault_types),
            list(&g.transitions),
            self.device_types(true),
            self.device_types(false),
            list(&g.device_retypes),
            self.fastpath.0,
            self.fastpath.1,
        )
    }
}

/// Whether object type word `ty` is a frame (small, large or huge page).
fn is_frame_type(ty: u64) -> bool {
    use sel4_abi::ObjectType as T;
    [T::SmallPage, T::LargePage, T::HugePage]
        .iter()
        .any(|&t| t as u64 == ty)
}

/// The coverage of the programs run so far on this thread.
pub fn coverage() -> Coverage {
    COVERAGE.with(|c| c.borrow().clone())
}

/// Programs run and steps compared so far on this thread (each test has its own).
pub fn counts() -> (u64, u64) {
    COUNTS.with(Cell::get)
}

fn count(programs: u64, steps: u64) {
    COUNTS.with(|c| {
        let (p, s) = c.get();
        c.set((p + programs, s + steps));
    });
}

/// Runs `program` on both systems, comparing them after every step: the replies and views
/// of the threads it touched, the running thread, and the caps of the slots in `compare`.
pub fn run(
    program: &[Step],
    k: &mut Kernel,
    s: &mut Sim,
    compare: &[u64],
) -> Result<(), TestCaseError> {
    let cnode = s.layout.cnode;
    for (n, st) in program.iter().enumerate() {
        // Each step is a syscall by the running thread; with none, the program is over.
        let Some(t) = k.ks.current else {
            break;
        };
        if skipped(k, st) {
            continue;
        }
        count(0, 1);
        crate::progress::beat(|| format!("step {n}: {st:?}"));
        let before = thread_states(&s.s);
        run_step(k, s, n, st, t)?;
        cover_step(&before, &s.s);
        // The kernel runs no idle thread object: None is the spec's idle thread.
        prop_assert_eq!(
            k.ks.current.map_or(s.s.idle, |t| t.0),
            s.s.current,
            "step {}: the running thread",
            n
        );
        compare_slots(k, s, n, st, cnode, compare)?;
    }
    Ok(())
}

/// A thread's reply: its message label and words.
type Reply = (u64, Vec<u64>);

/// A thread's view (its reply: label and words) on both sides, if it still exists (a thread
/// may delete its own TCB: then there is no view of it to compare).
fn view(k: &Kernel, s: &Sim, t: Tcb) -> Option<(Reply, Reply)> {
    s.s.is_tcb(t.0).then(|| {
        let sr = s.reply_of(t.0);
        (k.reply(t), (sr.label, sr.words))
    })
}

/// One step on both systems, with the comparisons of what the step's threads see.
fn run_step(k: &mut Kernel, s: &mut Sim, n: usize, st: &Step, t: Tcb) -> Result<(), TestCaseError> {
    match st {
        Step::Call {
            cptr,
            label,
            words,
            caps,
        } => {
            // An invocation of a kernel object (not an IPC through an endpoint or a
            // notification, whose reply is another thread's message or none).
            let target = kernel::kernel::cspace::lookup_cap(&k.m, t, *cptr);
            let invocation = !matches!(
                target,
                Ok(KCap::Endpoint { .. } | KCap::Notification { .. })
            );
            let device = matches!(
                target,
                Ok(KCap::Untyped {
                    is_device: true,
                    ..
                })
            );
            k.syscall(Syscall::Call, *cptr, *label, words, caps);
            s.syscall(Syscall::Call, *cptr, *label, words, caps);
            if let Some((kv, sv)) = view(k, s, t) {
                prop_assert_eq!(&kv, &sv, "step {}: {:?}", n, st);
                if invocation {
                    let first = words.first().copied().unwrap_or(u64::MAX);
                    cover_reply(*label, kv.0, device.then_some(first));
                }
            }
        }
        Step::Exception { esr, far } => {
            k.exception(*esr, *far);
            let regs = std::array::from_fn(|i| s.s.tcb(t.0).regs[gpr_index(i)]);
            s.event(spec::api::event::decode_exception(*esr, *far, regs, vec![]));
        }
        Step::UnknownSyscall { number } => {
            k.raw_syscall(*number);
            let mut regs: [u64; 8] = std::array::from_fn(|i| s.s.tcb(t.0).regs[gpr_index(i)]);
            regs[sel4_abi::registers::SYSCALL_REGISTER] = *number;
            s.event(spec::api::event::decode_exception(
                super::world::SVC_SYNDROME,
                0,
                regs,
                vec![],
            ));
        }
        Step::Interrupt { irq } => {
            if k.interrupt(*irq) {
                let event = if *irq == sel4_abi::config::KERNEL_TIMER_IRQ {
                    spec::api::event::Event::TimerTick
                } else {
                    spec::api::event::Event::Interrupt { irq: *irq }
                };
                s.event(event);
            }
        }
        Step::Ticks(n) => {
            count(0, u64::from(*n) - 1);
            for _ in 0..*n {
                k.tick();
                s.event(spec::api::event::Event::TimerTick);
            }
        }
        Step::Identify { cptr } => {
            k.syscall(Syscall::DebugCapIdentify, *cptr, 0, &[], &[]);
            s.syscall(Syscall::DebugCapIdentify, *cptr, 0, &[], &[]);
            let sx0 = s.s.tcb(t.0).regs[gpr_index(BADGE_REGISTER)];
            prop_assert_eq!(t.reg(&k.m, BADGE_REGISTER), sx0, "step {}: {:?}", n, st);
        }
        Step::NBRecv { cptr } => {
            k.syscall(Syscall::NBRecv, *cptr, 0, &[], &[]);
            s.syscall(Syscall::NBRecv, *cptr, 0, &[], &[]);
            if s.s.is_tcb(t.0) {
                let regs = s.s.tcb(t.0).regs;
                let kx = (t.reg(&k.m, BADGE_REGISTER), t.reg(&k.m, INFO_REGISTER));
                prop_assert_eq!(
                    kx,
                    (
                        regs[gpr_index(BADGE_REGISTER)],
                        regs[gpr_index(MSG_INFO_REGISTER)]
                    ),
                    "step {}: {:?}",
                    n,
                    st
                );
            }
        }
        Step::Ipc {
            sys,
            cptr,
            label,
            words,
            caps,
        } => {
            k.syscall(*sys, *cptr, *label, words, caps);
            s.syscall(*sys, *cptr, *label, words, caps);
            if let Some((kv, sv)) = view(k, s, t) {
                prop_assert_eq!(kv, sv, "step {}: {:?}: the caller's view", n, st);
            }
            // The thread that runs next (a receiver just woken, say) sees the same.
            if let Some(next) = k.ks.current.filter(|&c| c != t)
                && let Some((kv, sv)) = view(k, s, next)
            {
                prop_assert_eq!(kv, sv, "step {}: {:?}: the next thread's view", n, st);
                let regs = s.s.tcb(next.0).regs;
                prop_assert_eq!(
                    next.reg(&k.m, BADGE_REGISTER),
                    regs[gpr_index(BADGE_REGISTER)],
                    "step {}: {:?}: the next thread's badge",
                    n,
                    st
                );
            }
        }
    }
    Ok(())
}

/// The caps of the slots in `compare`, and every thread they name: what it would see
/// (message, badge), and whether it can run, blocked senders and receivers included.
fn compare_slots(
    k: &Kernel,
    s: &Sim,
    n: usize,
    st: &Step,
    cnode: u64,
    compare: &[u64],
) -> Result<(), TestCaseError> {
    for &i in compare {
        let kcap = k.cap(cnode, i);
        let (kc, sc) = (kproj(&kcap), sproj(&s.root_cap(i)));
        prop_assert_eq!(kc, sc, "step {}: {:?}: slot {}", n, st, i);
        // Every thread the program can name: what it would see (message, badge), and
        // whether it can run, blocked senders and receivers included.
        if let KCap::Thread { tcb } = kcap
            && let Some((kv, sv)) = view(k, s, Tcb(tcb))
        {
            let t = Tcb(tcb);
            let regs = s.s.tcb(tcb).regs;
            // x0 is the badge, x1 the whole message info (caps sent and unwrapped too).
            prop_assert_eq!(
                (kv, t.reg(&k.m, BADGE_REGISTER), t.reg(&k.m, INFO_REGISTER)),
                (
                    sv,
                    regs[gpr_index(BADGE_REGISTER)],
                    regs[gpr_index(MSG_INFO_REGISTER)]
                ),
                "step {}: {:?}: the thread of slot {}",
                n,
                st,
                i
            );
            prop_assert_eq!(
                t.state(&k.m).is_runnable(),
                s.s.tcb(tcb).state.is_runnable(),
                "step {}: {:?}: whether the thread of slot {} can run",
                n,
                st,
                i
            );
        }
    }
    Ok(())
}

/// Boots both and runs `program` with `make` applied to the untyped range and first free
/// slot, comparing the initial caps, the untypeds and the work window after every step.
pub fn check(make: impl FnOnce(u64, u64, u64, u64) -> Vec<Step>) -> Result<(), TestCaseError> {
    let (mut k, mut s, u0, u1, e) = boot_both();
    let program = make(u0, u1, e, k.root.ipc_buffer(&k.m));
    let compare: Vec<u64> = (1..16).chain(u0..u1).chain(e..e + WINDOW).collect();
    count(1, 0);
    run(&program, &mut k, &mut s, &compare)?;
    replay_recorded(&k)
}

/// Runs `program` on the kernel alone (no spec beside it) and returns the trace it
/// recorded: what a QEMU run gives the replay.
pub fn record(make: impl FnOnce(u64, u64, u64, u64) -> Vec<Step>) -> Vec<u64> {
    record_with(true, make).0
}

/// [`record`] with the IPC fastpath on or off (`KernelState::fastpath`); also returns how
/// many entries the fastpath completed.
pub fn record_with(
    fastpath: bool,
    make: impl FnOnce(u64, u64, u64, u64) -> Vec<Step>,
) -> (Vec<u64>, u64) {
    TRACING.set(true);
    let (mut k, _, u0, u1, e) = boot_both();
    k.ks.fastpath = fastpath;
    for st in &make(u0, u1, e, k.root.ipc_buffer(&k.m)) {
        if k.ks.current.is_none() {
            break;
        }
        if skipped(&k, st) {
            continue;
        }
        match (st, st.syscall()) {
            (Step::Ticks(n), _) => {
                for _ in 0..*n {
                    k.tick();
                }
            }
            (Step::Exception { esr, far }, _) => k.exception(*esr, *far),
            (Step::UnknownSyscall { number }, _) => k.raw_syscall(*number),
            (Step::Interrupt { irq }, _) => {
                k.interrupt(*irq);
            }
            (_, Some((sys, cptr, label, words, caps))) => k.syscall(sys, cptr, label, words, caps),
            (_, None) => {}
        }
    }
    (k.m.trace.unwrap_or_default(), k.ks.fastpath_taken)
}

/// Runs `program` on two kernels, one with the IPC fastpath and one without, and compares
/// what each recorded: every entry's full projected state (threads, slots, objects, ready
/// queues, interrupts, address spaces, the scheduler) must be the same. Returns how many
/// entries the fastpath completed, or the first difference.
pub fn fastpath_agrees(program: &[Step]) -> Result<u64, TestCaseError> {
    let decode = |words: Vec<u64>| decode_words(&words).map_err(TestCaseError::fail);
    let (fast, taken) = record_with(true, |_, _, _, _| program.to_vec());
    let (general, none) = record_with(false, |_, _, _, _| program.to_vec());
    prop_assert_eq!(none, 0, "the kernel without the fastpath took it");
    let (mut fast, general) = (decode(fast)?, decode(general)?);
    // The records say which kernel used the fastpath; everything else must be the same.
    for s in &mut fast.steps {
        if let Some(e) = &mut s.exit {
            e.fastpath = false;
        }
    }
    for (i, (f, g)) in fast.steps.iter().zip(&general.steps).enumerate() {
        if f != g {
            let (fs, gs) = (format!("{f:#?}"), format!("{g:#?}"));
            let line = fs
                .lines()
                .zip(gs.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            let around = |s: &str| {
                s.lines()
                    .skip(line.saturating_sub(6))
                    .take(10)
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            return Err(TestCaseError::fail(format!(
                "entry {i} ({:?}): the fastpath kernel and the general path differ; with the \
                 fastpath:\n{}\nwithout:\n{}",
                f.entry.kind,
                around(&fs),
                around(&gs)
            )));
        }
    }
    prop_assert_eq!(
        fast.steps.len(),
        general.steps.len(),
        "the two kernels made different numbers of entries"
    );
    Ok(taken)
}

/// Records the fixed program `name` on the kernel alone and decodes its trace.
pub fn record_fixed(name: &str) -> trace_format::Trace {
    let words = record(|_, u1, e, b| {
        fixed_programs(u1, e, b)
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| p)
            .expect("a fixed program of that name")
    });
    decode_words(&words).expect("the kernel writes a trace the decoder reads")
}

/// Replays the trace the kernel recorded (if it recorded one) on a spec booted from the
/// trace alone.
pub fn replay_recorded(k: &Kernel) -> Result<(), TestCaseError> {
    let Some(words) = &k.m.trace else {
        return Ok(());
    };
    let trace = decode_words(words).map_err(TestCaseError::fail)?;
    crate::replay::replay(&trace).map_err(|d| TestCaseError::fail(format!("trace replay: {d}")))?;
    cover_fastpath_trace(&trace);
    Ok(())
}
