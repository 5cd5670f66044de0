//! Threads and scheduling: thread states, ready queues, the scheduler and its timer tick,
//! message registers.

use std::collections::VecDeque;

use sel4_abi::FAST_MESSAGE_REGISTERS;

use crate::machine::{MSG_REGISTERS, PC};
use crate::model::{Cap, PAddr, SchedulerAction, State, ThreadState, VmRights};

use super::cspace::slot_at;
use super::endpoint::cancel_ipc;

/// The TCB's slots (its CSpace and VSpace roots, reply caps, IPC buffer frame) are part of
/// the object, so the model states them; they are re-exported here, where threads use them.
pub use crate::model::{
    TCB_BUFFER, TCB_CALLER, TCB_CNODE_ENTRIES, TCB_CTABLE, TCB_REPLY, TCB_VTABLE,
};
/// Timer ticks a thread runs before round-robin moves it to the back of its queue
/// (seL4's CONFIG_TIME_SLICE), as `sel4_abi::config` sets it.
pub use sel4_abi::config::TIME_SLICE;

/// seL4's `setThreadState`: change a thread's state and ask for a reschedule if the running
/// thread stopped being runnable.
pub fn set_thread_state(s: &mut State, t: PAddr, st: ThreadState) {
    s.tcb_mut(t).state = st;
    schedule_tcb(s, t);
}

/// seL4's `scheduleTCB`.
fn schedule_tcb(s: &mut State, t: PAddr) {
    if t == s.current && s.action == SchedulerAction::ResumeCurrent && !s.tcb(t).state.is_runnable()
    {
        reschedule_required(s);
    }
}

/// seL4's `rescheduleRequired`: a pending switch target goes back to its queue.
pub fn reschedule_required(s: &mut State) {
    if let SchedulerAction::SwitchTo(t) = s.action
        && s.is_tcb(t)
    {
        sched_enqueue(s, t);
    }
    s.action = SchedulerAction::ChooseNew;
}

fn queued(s: &State, t: PAddr) -> bool {
    s.ready.values().any(|q| q.contains(&t))
}

/// seL4's `tcbSchedEnqueue`: put a runnable thread at the head of its priority's queue.
pub fn sched_enqueue(s: &mut State, t: PAddr) {
    if !queued(s, t) && s.tcb(t).state.is_runnable() {
        let p = s.tcb(t).priority;
        s.ready.entry(p).or_default().push_front(t);
    }
}

/// seL4's `tcbSchedAppend`: put a runnable thread at the tail of its priority's queue.
pub fn sched_append(s: &mut State, t: PAddr) {
    if !queued(s, t) && s.tcb(t).state.is_runnable() {
        let p = s.tcb(t).priority;
        s.ready.entry(p).or_default().push_back(t);
    }
}

/// seL4's `tcbSchedDequeue`.
pub fn sched_dequeue(s: &mut State, t: PAddr) {
    for q in s.ready.values_mut() {
        q.retain(|&x| x != t);
    }
    s.ready.retain(|_, q| !q.is_empty());
}

/// seL4's `possibleSwitchTo`: a thread just made runnable may run next, if it outranks the
/// current one (decided in `schedule`).
pub fn possible_switch_to(s: &mut State, t: PAddr) {
    if s.action != SchedulerAction::ResumeCurrent {
        // More than one thread wants special treatment: use the ordinary queues.
        reschedule_required(s);
        sched_enqueue(s, t);
    } else {
        s.action = SchedulerAction::SwitchTo(t);
    }
}

fn highest_ready(s: &State) -> Option<u8> {
    s.ready
        .iter()
        .rev()
        .find(|(_, q)| !q.is_empty())
        .map(|(p, _)| *p)
}

fn choose_thread(s: &mut State) {
    match highest_ready(s) {
        Some(p) => {
            let t = s.ready[&p][0];
            switch_to_thread(s, t);
        }
        None => s.current = s.idle,
    }
}

fn switch_to_thread(s: &mut State, t: PAddr) {
    sched_dequeue(s, t);
    s.current = t;
}

/// seL4's `schedule` (non-MCS): carry out the scheduler action.
pub fn schedule(s: &mut State) {
    if s.action != SchedulerAction::ResumeCurrent {
        let cur = s.current;
        let was_runnable = s.tcb(cur).state.is_runnable();
        if was_runnable {
            sched_enqueue(s, cur);
        }
        match s.action {
            // A candidate destroyed or stopped since it was chosen cannot run.
            SchedulerAction::SwitchTo(cand)
                if !s.is_tcb(cand) || !s.tcb(cand).state.is_runnable() =>
            {
                choose_thread(s)
            }
            SchedulerAction::SwitchTo(cand) => {
                let cand_prio = s.tcb(cand).priority;
                let cur_prio = s.tcb(cur).priority;
                // A candidate that does not outrank the current thread only runs if nothing
                // better is ready.
                let fastfail = cur == s.idle || cand_prio < cur_prio;
                if fastfail && highest_ready(s).is_some_and(|h| h > cand_prio) {
                    sched_enqueue(s, cand);
                    choose_thread(s);
                } else if was_runnable && cand_prio == cur_prio {
                    // Equal priority: the candidate waits its turn behind the current thread.
                    sched_append(s, cand);
                    choose_thread(s);
                } else {
                    switch_to_thread(s, cand);
                }
            }
            _ => choose_thread(s),
        }
    }
    s.action = SchedulerAction::ResumeCurrent;
}

/// seL4's `timerTick` (non-MCS): round robin within a priority.
pub fn timer_tick(s: &mut State) {
    let cur = s.current;
    if s.tcb(cur).state == ThreadState::Running {
        let tcb = s.tcb_mut(cur);
        if tcb.time_slice > 1 {
            tcb.time_slice -= 1;
        } else {
            tcb.time_slice = TIME_SLICE;
            sched_append(s, cur);
            reschedule_required(s);
        }
    }
}

/// seL4's `activateThread`: a thread in Restart resumes at its restart pc.
pub fn activate_thread(s: &mut State) {
    let cur = s.current;
    if s.tcb(cur).state == ThreadState::Restart {
        let tcb = s.tcb_mut(cur);
        tcb.regs[PC] = tcb.fault_ip;
        tcb.state = ThreadState::Running;
    }
}

/// seL4's `lookupIPCBuffer`: the physical address of a thread's IPC buffer, if its buffer
/// slot holds a frame it may use (a receiver needs write access; device frames never count).
pub fn lookup_ipc_buffer(s: &State, t: PAddr, is_receiver: bool) -> Option<PAddr> {
    match s.cap(slot_at(t, TCB_BUFFER)) {
        Cap::Frame {
            base,
            size_bits,
            rights,
            is_device: false,
            ..
        } if rights == VmRights::ReadWrite || (!is_receiver && rights == VmRights::ReadOnly) => {
            Some(base + (s.tcb(t).ipc_buffer & ((1 << size_bits) - 1)))
        }
        _ => None,
    }
}

/// Message register `i` of thread `t` (seL4's `getSyscallArg`/`getMR`).
pub fn get_mr(s: &State, t: PAddr, buf: Option<PAddr>, i: usize) -> u64 {
    if i < FAST_MESSAGE_REGISTERS {
        s.tcb(t).regs[MSG_REGISTERS[i]]
    } else {
        buf.map_or(0, |b| s.read_word(msg_word(b, i)))
    }
}

/// seL4's `setMR`: write message register `i`; returns the message length so far (words past
/// the registers are dropped when there is no buffer).
pub fn set_mr(s: &mut State, t: PAddr, buf: Option<PAddr>, i: usize, v: u64) -> usize {
    if i < FAST_MESSAGE_REGISTERS {
        s.tcb_mut(t).regs[MSG_REGISTERS[i]] = v;
        i + 1
    } else if let Some(b) = buf {
        s.write_word(msg_word(b, i), v);
        i + 1
    } else {
        FAST_MESSAGE_REGISTERS
    }
}

/// The address of message word `i` in the IPC buffer at `buf`.
pub fn msg_word(buf: PAddr, i: usize) -> PAddr {
    buf + sel4_abi::ipc_buffer::offset::msg(i)
}

/// Remove `t` from a queue, returning whether the queue is now empty.
pub fn remove_from(q: &mut VecDeque<PAddr>, t: PAddr) -> bool {
    q.retain(|&x| x != t);
    q.is_empty()
}

/// The priority queue snapshot, for printing.
pub fn ready_list(s: &State) -> Vec<(u8, Vec<PAddr>)> {
    s.ready
        .iter()
        .rev()
        .map(|(p, q)| (*p, q.iter().copied().collect()))
        .collect()
}

/// seL4's `setupReplyMaster`: a thread that can be called holds a master reply cap to itself.
pub fn setup_reply_master(s: &mut State, t: PAddr) {
    let slot = slot_at(t, TCB_REPLY);
    if s.cap(slot).is_null() {
        s.set_cte(
            slot,
            crate::model::Cte {
                cap: Cap::Reply {
                    tcb: t,
                    master: true,
                    can_grant: true,
                },
                prev: None,
                next: None,
                revocable: true,
                first_badged: true,
            },
        );
    }
}

/// seL4's `suspend`: stop a thread, abandoning any IPC it was in.
pub fn suspend(s: &mut State, t: PAddr) {
    cancel_ipc(s, t);
    // A running thread resumes at its current pc if restarted later.
    if s.tcb(t).state == ThreadState::Running {
        let tcb = s.tcb_mut(t);
        tcb.fault_ip = tcb.regs[PC];
    }
    set_thread_state(s, t, ThreadState::Inactive);
    sched_dequeue(s, t);
}

/// seL4's `restart`: make a stopped thread runnable again from its restart pc.
pub fn restart(s: &mut State, t: PAddr) {
    if s.tcb(t).state.is_stopped() {
        cancel_ipc(s, t);
        setup_reply_master(s, t);
        set_thread_state(s, t, ThreadState::Restart);
        sched_enqueue(s, t);
        possible_switch_to(s, t);
    }
}
