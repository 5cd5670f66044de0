//! Threads and scheduling, as seL4's kernel/thread.c: ready queues, the scheduler action,
//! thread states, and choosing what runs next.

use super::endpoint::cancel_ipc;
use crate::machine::journal;
use crate::machine::{Machine, Memory};
use crate::model::tcb::{field, slot as tcb_slot};
use crate::model::{Cap, KernelState, SchedulerAction, Tcb, ThreadState, VmRights};
use crate::mutant::{self, Mutant};
use sel4_abi::config::TIME_SLICE;
use sel4_abi::ipc_buffer::offset;
use sel4_abi::registers::MSG_REGISTERS;

/// The thread's priority as the ready queues index it.
pub fn prio(m: &impl Memory, t: Tcb) -> usize {
    (t.priority(m) & 0xff) as usize
}

fn link(m: &impl Memory, t: Tcb, f: u64) -> Option<Tcb> {
    let v = t.get(m, f);
    (v != 0).then_some(Tcb(v))
}

/// seL4's tcbSchedEnqueue: puts a runnable thread at the head of its priority's queue.
pub fn sched_enqueue(ks: &mut KernelState, m: &mut impl Machine, t: Tcb) {
    if t.get(m, field::QUEUED) != 0 {
        return;
    }
    let p = prio(m, t);
    let q = &mut ks.ready;
    let head = q.head[p];
    t.set(m, field::SCHED_PREV, 0);
    t.set(m, field::SCHED_NEXT, head);
    if head == 0 {
        q.tail[p] = t.0;
        q.bitmap[p / 64] |= 1 << (p % 64);
    } else {
        Tcb(head).set(m, field::SCHED_PREV, t.0);
    }
    q.head[p] = t.0;
    t.set(m, field::QUEUED, 1);
}

/// seL4's tcbSchedAppend: puts a runnable thread at the tail of its priority's queue.
pub fn sched_append(ks: &mut KernelState, m: &mut impl Machine, t: Tcb) {
    if t.get(m, field::QUEUED) != 0 {
        return;
    }
    let p = prio(m, t);
    let q = &mut ks.ready;
    let tail = q.tail[p];
    t.set(m, field::SCHED_NEXT, 0);
    t.set(m, field::SCHED_PREV, tail);
    if tail == 0 {
        q.head[p] = t.0;
        q.bitmap[p / 64] |= 1 << (p % 64);
    } else {
        Tcb(tail).set(m, field::SCHED_NEXT, t.0);
    }
    q.tail[p] = t.0;
    t.set(m, field::QUEUED, 1);
}

/// seL4's tcbSchedDequeue: takes a thread out of its ready queue, if it is in one.
pub fn sched_dequeue(ks: &mut KernelState, m: &mut impl Machine, t: Tcb) {
    if t.get(m, field::QUEUED) == 0 {
        return;
    }
    let p = prio(m, t);
    let (prev, next) = (link(m, t, field::SCHED_PREV), link(m, t, field::SCHED_NEXT));
    let q = &mut ks.ready;
    match prev {
        Some(pr) => pr.set(m, field::SCHED_NEXT, next.map_or(0, |n| n.0)),
        None => q.head[p] = next.map_or(0, |n| n.0),
    }
    match next {
        Some(n) => n.set(m, field::SCHED_PREV, prev.map_or(0, |p| p.0)),
        None => q.tail[p] = prev.map_or(0, |p| p.0),
    }
    if q.head[p] == 0 {
        q.bitmap[p / 64] &= !(1 << (p % 64));
    }
    t.set(m, field::QUEUED, 0);
    t.set(m, field::SCHED_NEXT, 0);
    t.set(m, field::SCHED_PREV, 0);
}

/// The highest priority with a ready thread.
#[inline(always)]
pub fn highest_ready(ks: &KernelState) -> Option<usize> {
    if mutant::on(Mutant::LowerPriorityScheduled) {
        return (0..ks.ready.bitmap.len())
            .find(|&i| ks.ready.bitmap[i] != 0)
            .map(|i| i * 64 + ks.ready.bitmap[i].trailing_zeros() as usize);
    }
    // The highest non-empty word of the bitmap, then its highest bit (a loop the compiler
    // unrolls: the bitmap has NUM_PRIORITIES / 64 words).
    let bitmap = &ks.ready.bitmap;
    let mut i = bitmap.len();
    while i > 0 {
        i -= 1;
        if bitmap[i] != 0 {
            return Some(i * 64 + 63 - bitmap[i].leading_zeros() as usize);
        }
    }
    None
}

/// seL4's isHighestPrio: no ready thread has a higher priority than `prio`.
#[inline(always)]
pub fn is_highest_prio(ks: &KernelState, prio: usize) -> bool {
    highest_ready(ks).is_none_or(|p| prio >= p)
}

/// True if the current thread (None = idle) is the thread `t`.
fn is_current(ks: &KernelState, t: Tcb) -> bool {
    ks.current == Some(t)
}

/// seL4's setThreadState, with scheduleTCB: a current thread that stops being runnable
/// makes the scheduler choose again.
pub fn set_thread_state(ks: &mut KernelState, m: &mut impl Machine, t: Tcb, s: ThreadState) {
    t.set_state(m, s);
    if is_current(ks, t) && ks.action == SchedulerAction::ResumeCurrent && !s.is_runnable() {
        ks.action = SchedulerAction::ChooseNew;
    }
}

/// seL4's rescheduleRequired: whatever was going to run, choose again (a thread that was
/// about to be switched to goes back to its queue).
pub fn reschedule_required(ks: &mut KernelState, m: &mut impl Machine) {
    if let SchedulerAction::SwitchTo(t) = ks.action {
        sched_enqueue(ks, m, t);
    }
    ks.action = SchedulerAction::ChooseNew;
}

/// seL4's possibleSwitchTo: a thread just became runnable; run it next if nothing else was
/// decided, else choose again with both queued: the candidate already chosen first
/// (rescheduleRequired), then this one, at the head of its queue, so that of two equal
/// priorities this one runs.
pub fn possible_switch_to(ks: &mut KernelState, m: &mut impl Machine, t: Tcb) {
    match ks.action {
        SchedulerAction::ResumeCurrent => ks.action = SchedulerAction::SwitchTo(t),
        _ => {
            reschedule_required(ks, m);
            sched_enqueue(ks, m, t);
        }
    }
}

/// seL4's isStopped: the thread is not runnable and not about to be.
pub fn is_stopped(m: &impl Memory, t: Tcb) -> bool {
    matches!(
        t.state(m),
        ThreadState::Inactive
            | ThreadState::BlockedOnReceive
            | ThreadState::BlockedOnSend
            | ThreadState::BlockedOnNotification
            | ThreadState::BlockedOnReply
    )
}

/// seL4's switchToThread: `t` becomes current and leaves its queue.
fn switch_to_thread(ks: &mut KernelState, m: &mut impl Machine, t: Tcb) {
    sched_dequeue(ks, m, t);
    ks.current = Some(t);
}

/// seL4's chooseThread: the head of the highest non-empty queue, or idle.
fn choose_thread(ks: &mut KernelState, m: &mut impl Machine) {
    match highest_ready(ks) {
        Some(p) => switch_to_thread(ks, m, Tcb(ks.ready.head[p])),
        None => ks.current = None,
    }
}

/// seL4's schedule: carries out the scheduler action at the end of a kernel entry. (The
/// common case, nothing to do, is checked inline.)
#[inline(always)]
pub fn schedule(ks: &mut KernelState, m: &mut impl Machine) {
    let resume = ks.action == SchedulerAction::ResumeCurrent
        && ks.current.is_some_and(|c| c.state(m).is_runnable());
    if !resume {
        schedule_choose(ks, m);
    }
}

/// [`schedule`] when there is something to do.
#[inline(never)]
fn schedule_choose(ks: &mut KernelState, m: &mut impl Machine) {
    let action = ks.action;
    if action != SchedulerAction::ResumeCurrent {
        let was_runnable = ks.current.is_some_and(|c| c.state(m).is_runnable());
        if let (true, Some(c)) = (was_runnable, ks.current) {
            sched_enqueue(ks, m, c);
        }
        match action {
            SchedulerAction::SwitchTo(candidate) => {
                let cur_prio = ks.current.map(|c| prio(m, c));
                let cand_prio = prio(m, candidate);
                // A candidate that would not preempt the current thread only runs if no
                // better thread is ready; an equal priority waits its turn behind it.
                let fastfail = cur_prio.is_none_or(|p| cand_prio < p);
                let highest = is_highest_prio(ks, cand_prio);
                if fastfail && !highest {
                    sched_enqueue(ks, m, candidate);
                    choose_thread(ks, m);
                } else if was_runnable && cur_prio == Some(cand_prio) {
                    sched_append(ks, m, candidate);
                    choose_thread(ks, m);
                } else {
                    switch_to_thread(ks, m, candidate);
                }
            }
            _ => choose_thread(ks, m),
        }
    } else if let Some(c) = ks.current
        && !c.state(m).is_runnable()
    {
        // Defensive: a current thread that stopped without the action saying so.
        choose_thread(ks, m);
    }
    ks.action =
        if action == SchedulerAction::ChooseNew && mutant::on(Mutant::SchedulerActionNotReset) {
            SchedulerAction::ChooseNew
        } else {
            SchedulerAction::ResumeCurrent
        };
}

/// seL4's timerTick (non-MCS): a running thread whose timeslice ends moves to the back of
/// its queue and the scheduler chooses again.
pub fn timer_tick(ks: &mut KernelState, m: &mut impl Machine) {
    let Some(c) = ks.current else { return };
    if c.state(m) != ThreadState::Running {
        return;
    }
    let left = c.get(m, field::TIME_SLICE);
    if left > 1 {
        c.set(m, field::TIME_SLICE, left - 1);
    } else {
        let refill = if mutant::on(Mutant::TimeSliceRefilledShort) {
            TIME_SLICE - 1
        } else {
            TIME_SLICE
        };
        c.set(m, field::TIME_SLICE, refill);
        sched_append(ks, m, c);
        reschedule_required(ks, m);
    }
}

/// seL4's setupReplyMaster: a thread's Reply slot holds the master reply cap its callers'
/// reply caps derive from.
pub fn setup_reply_master(m: &mut impl Machine, t: Tcb) {
    let slot = t.slot(tcb_slot::REPLY);
    if slot.cap(m).is_null() {
        slot.write_original(
            m,
            Cap::Reply {
                tcb: t.0,
                master: true,
                can_grant: true,
            },
        );
    }
}

/// seL4's suspend: the thread stops whatever it was doing and becomes inactive.
pub fn suspend(ks: &mut KernelState, m: &mut impl Machine, t: Tcb) {
    cancel_ipc(ks, m, t);
    // A running thread's restart pc is where it would resume.
    if t.state(m) == ThreadState::Running {
        let pc = t.reg(m, crate::model::tcb::reg::PC);
        t.set(m, field::FAULT_IP, pc);
    }
    set_thread_state(ks, m, t, ThreadState::Inactive);
    sched_dequeue(ks, m, t);
}

/// seL4's restart: a stopped thread runs again from its restart pc.
pub fn restart(ks: &mut KernelState, m: &mut impl Machine, t: Tcb) {
    if is_stopped(m, t) {
        cancel_ipc(ks, m, t);
        setup_reply_master(m, t);
        set_thread_state(ks, m, t, ThreadState::Restart);
        sched_enqueue(ks, m, t);
        possible_switch_to(ks, m, t);
    }
}

/// seL4's activateThread: a thread about to run in the Restart state resumes at its
/// restart pc (re-executing an interrupted syscall) and becomes Running.
pub fn activate_thread(ks: &KernelState, m: &mut impl Machine) {
    if let Some(t) = ks.current
        && t.state(m) == ThreadState::Restart
    {
        let pc = t.get(m, field::FAULT_IP);
        t.set_reg(m, crate::model::tcb::reg::PC, pc);
        t.set_state(m, ThreadState::Running);
    }
}

/// seL4's lookupIPCBuffer: the physical address of `t`'s IPC buffer, if its buffer frame
/// cap allows the access (a receiver needs ReadWrite, a sender ReadOnly or better) and is
/// not device memory.
#[inline]
pub fn lookup_ipc_buffer(m: &impl Memory, t: Tcb, receiver: bool) -> Option<u64> {
    let Some((base, size, rights, false)) = t.slot(tcb_slot::BUFFER).raw(m).frame() else {
        return None;
    };
    let allowed = rights == VmRights::ReadWrite || (!receiver && rights == VmRights::ReadOnly);
    allowed.then(|| base + (t.ipc_buffer(m) & ((1 << size.bits()) - 1)))
}

/// seL4's getSyscallArg: message word `i` of the current thread's message.
pub fn get_mr(m: &impl Memory, t: Tcb, buffer: Option<u64>, i: usize) -> u64 {
    match (MSG_REGISTERS.get(i), buffer) {
        (Some(&r), _) => t.reg(m, r),
        (None, Some(b)) => m.read_word(b + offset::msg(i)),
        (None, None) => 0,
    }
}

/// seL4's setMR: writes message word `i` of `t`'s message; returns the count written so
/// far (words past the registers are lost without a buffer).
pub fn set_mr(m: &mut impl Machine, t: Tcb, buffer: Option<u64>, i: usize, v: u64) -> usize {
    match (MSG_REGISTERS.get(i), buffer) {
        (Some(&r), _) => {
            t.set_reg(m, r, v);
            i + 1
        }
        (None, Some(b)) => {
            journal::write_word(m, b + offset::msg(i), v);
            i + 1
        }
        (None, None) => MSG_REGISTERS.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::sim::SimMachine;

    fn threads(m: &mut SimMachine, prios: &[u64]) -> Vec<Tcb> {
        prios
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                let t = Tcb(0x10_0000 + i as u64 * 0x800);
                t.set_priority(m, p);
                t.set_state(m, ThreadState::Running);
                t
            })
            .collect()
    }

    #[test]
    fn queues_are_fifo_per_priority_and_highest_wins() {
        let mut m = SimMachine::new(0x10_0000, 0x10_000);
        let mut ks = KernelState::new();
        let t = threads(&mut m, &[10, 10, 200, 0]);
        for &x in &t {
            sched_append(&mut ks, &mut m, x);
        }
        assert_eq!(highest_ready(&ks), Some(200));
        ks.action = SchedulerAction::ChooseNew;
        schedule(&mut ks, &mut m);
        assert_eq!(ks.current, Some(t[2]));
        t[2].set_state(&mut m, ThreadState::Inactive);
        ks.action = SchedulerAction::ChooseNew;
        schedule(&mut ks, &mut m);
        assert_eq!(ks.current, Some(t[0]), "first of priority 10");
        crate::api::syscall::handle_yield(&mut ks, &mut m);
        schedule(&mut ks, &mut m);
        assert_eq!(
            ks.current,
            Some(t[1]),
            "yield passes to the next of the same priority"
        );
    }

    #[test]
    fn dequeue_unlinks_from_the_middle() {
        let mut m = SimMachine::new(0x10_0000, 0x10_000);
        let mut ks = KernelState::new();
        let t = threads(&mut m, &[5, 5, 5]);
        for &x in &t {
            sched_append(&mut ks, &mut m, x);
        }
        sched_dequeue(&mut ks, &mut m, t[1]);
        assert_eq!(ks.ready.head[5], t[0].0);
        assert_eq!(t[0].get(&m, field::SCHED_NEXT), t[2].0);
        assert_eq!(t[2].get(&m, field::SCHED_PREV), t[0].0);
        sched_dequeue(&mut ks, &mut m, t[0]);
        sched_dequeue(&mut ks, &mut m, t[2]);
        assert_eq!(highest_ready(&ks), None);
    }

    #[test]
    fn a_lower_priority_wakeup_does_not_preempt() {
        let mut m = SimMachine::new(0x10_0000, 0x10_000);
        let mut ks = KernelState::new();
        let t = threads(&mut m, &[100, 50, 150]);
        ks.current = Some(t[0]);
        possible_switch_to(&mut ks, &mut m, t[1]);
        schedule(&mut ks, &mut m);
        assert_eq!(ks.current, Some(t[0]));
        assert_eq!(highest_ready(&ks), Some(50));
        possible_switch_to(&mut ks, &mut m, t[2]);
        schedule(&mut ks, &mut m);
        assert_eq!(ks.current, Some(t[2]), "higher priority preempts");
        assert_eq!(
            highest_ready(&ks),
            Some(100),
            "the preempted thread is ready"
        );
    }

    #[test]
    fn timeslice_round_robins_equal_priorities() {
        let mut m = SimMachine::new(0x10_0000, 0x10_000);
        let mut ks = KernelState::new();
        let t = threads(&mut m, &[7, 7]);
        ks.current = Some(t[0]);
        t[0].set(&mut m, field::TIME_SLICE, TIME_SLICE);
        sched_append(&mut ks, &mut m, t[1]);
        for _ in 0..TIME_SLICE - 1 {
            timer_tick(&mut ks, &mut m);
            schedule(&mut ks, &mut m);
            assert_eq!(ks.current, Some(t[0]));
        }
        timer_tick(&mut ks, &mut m);
        schedule(&mut ks, &mut m);
        assert_eq!(ks.current, Some(t[1]));
    }
}
