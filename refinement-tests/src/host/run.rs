//! Running a program on both systems and comparing them after every step (replies, the
//! running thread, every cap the program can reach, the threads those name), or on the
//! kernel alone, recording its trace for the replay.

use super::fixed::fixed_programs;
use super::program::Step;
use super::world::{Kernel, TRACING, WINDOW, boot_both, kproj, sproj};
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
/// reply labels it got (0 success, else seL4's error code).
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    /// Invocation label → reply labels seen.
    pub replies: std::collections::BTreeMap<u64, std::collections::BTreeSet<u64>>,
}

impl Coverage {
    /// Labels that succeeded at least once, error codes seen, and what was never reached,
    /// against seL4's totals.
    pub fn report(&self) -> String {
        use sel4_abi::{Error, InvocationLabel};
        let labels = &InvocationLabel::ALL[1..];
        let succeeded: Vec<_> = labels
            .iter()
            .filter(|&&l| {
                self.replies
                    .get(&(l as u64))
                    .is_some_and(|r| r.contains(&0))
            })
            .collect();
        let never: Vec<String> = labels
            .iter()
            .filter(|l| !succeeded.contains(l))
            .map(|l| format!("{l:?}"))
            .collect();
        let errors: std::collections::BTreeSet<u64> = self
            .replies
            .values()
            .flatten()
            .copied()
            .filter(|&e| e != 0)
            .collect();
        let codes = &Error::ALL[1..];
        let unseen: Vec<String> = codes
            .iter()
            .filter(|e| !errors.contains(&e.word()))
            .map(|e| format!("{e:?}"))
            .collect();
        format!(
            "coverage: {}/{} labels succeeded (never: {}); {}/{} error codes replied (never: {})",
            succeeded.len(),
            labels.len(),
            if never.is_empty() {
                "none".to_owned()
            } else {
                never.join(", ")
            },
            codes.len() - unseen.len(),
            codes.len(),
            if unseen.is_empty() {
                "none".to_owned()
            } else {
                unseen.join(", ")
            },
        )
    }
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
        run_step(k, s, n, st, t)?;
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
            let invocation = !matches!(
                kernel::kernel::cspace::lookup_cap(&k.m, t, *cptr),
                Ok(KCap::Endpoint { .. } | KCap::Notification { .. })
            );
            k.syscall(Syscall::Call, *cptr, *label, words, caps);
            s.syscall(Syscall::Call, *cptr, *label, words, caps);
            if let Some((kv, sv)) = view(k, s, t) {
                prop_assert_eq!(&kv, &sv, "step {}: {:?}", n, st);
                if invocation {
                    COVERAGE.with(|c| {
                        c.borrow_mut()
                            .replies
                            .entry(*label)
                            .or_default()
                            .insert(kv.0);
                    });
                }
            }
        }
        Step::Exception { esr, far } => {
            k.exception(*esr, *far);
            let regs = std::array::from_fn(|i| s.s.tcb(t.0).regs[gpr_index(i)]);
            s.event(spec::api::event::decode_exception(*esr, *far, regs, vec![]));
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
    TRACING.set(true);
    let (mut k, _, u0, u1, e) = boot_both();
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
            (Step::Interrupt { irq }, _) => {
                k.interrupt(*irq);
            }
            (_, Some((sys, cptr, label, words, caps))) => k.syscall(sys, cptr, label, words, caps),
            (_, None) => {}
        }
    }
    k.m.trace.unwrap_or_default()
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
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    trace_format::decode(&bytes).expect("the kernel writes a trace the decoder reads")
}

/// Replays the trace the kernel recorded (if it recorded one) on a spec booted from the
/// trace alone.
pub fn replay_recorded(k: &Kernel) -> Result<(), TestCaseError> {
    let Some(words) = &k.m.trace else {
        return Ok(());
    };
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let trace = trace_format::decode(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    crate::replay::replay(&trace)
        .map(|_| ())
        .map_err(|d| TestCaseError::fail(format!("trace replay: {d}")))
}
