//! Scheduling: priorities, FIFO round robin on timer ticks, Yield, idle.

use crate::common::*;
use sel4_abi::init_cap::INIT_THREAD_TCB;
use spec::api::Event;
use spec::kernel::thread::TIME_SLICE;

#[test]
fn equal_priority_threads_round_robin_every_time_slice() {
    let mut m = with_objects();
    start_second(&mut m, 255, 0x7100_0000);
    let root = tcb_at(&m, INIT_THREAD_TCB);
    let t2 = tcb_at(&m, TCB2);
    // The resumed thread waits behind the current one at equal priority.
    assert_eq!(m.s.current, root);
    for _ in 0..TIME_SLICE - 1 {
        m.event(Event::TimerTick);
        assert_eq!(m.s.current, root);
    }
    m.event(Event::TimerTick);
    assert_eq!(m.s.current, t2);
}

#[test]
fn yield_gives_way_to_an_equal_priority_thread() {
    let mut m = with_objects();
    start_second(&mut m, 255, 0x7100_0000);
    let t2 = tcb_at(&m, TCB2);
    m.syscall(Syscall::Yield, 0, 0, &[], &[]);
    assert_eq!(m.s.current, t2);
}

#[test]
fn yield_alone_keeps_running() {
    let mut m = Sim::default();
    let root = m.s.current;
    m.syscall(Syscall::Yield, 0, 0, &[], &[]);
    assert_eq!(m.s.current, root);
}

#[test]
fn a_higher_priority_thread_preempts_on_resume() {
    let mut m = with_objects();
    assert_ok(&m.call(TCB2, L::TcbSetPriority, &[100], &[INIT_THREAD_TCB]));
    assert_ok(&m.call(
        INIT_THREAD_TCB,
        L::TcbSetPriority,
        &[50],
        &[INIT_THREAD_TCB],
    ));
    let t2 = tcb_at(&m, TCB2);
    assert_ok(&m.call(
        TCB2,
        L::TcbConfigure,
        &[0, 0, 0, 0],
        &[ROOT_CNODE, sel4_abi::init_cap::INIT_THREAD_VSPACE, FRAME],
    ));
    m.syscall(Syscall::Call, TCB2, L::TcbResume.word(), &[], &[]);
    assert_eq!(m.s.current, t2);
}

#[test]
fn nothing_runnable_runs_idle_and_idle_ignores_syscalls() {
    let mut m = Sim::default();
    m.syscall(Syscall::Recv, FIRST_UNTYPED, 0, &[], &[]);
    assert_eq!(m.s.current, m.s.idle);
    let mut before = m.s.clone();
    let out = m.syscall(Syscall::Yield, 0, 0, &[], &[]);
    before.faults.clear();
    assert_eq!(m.s, before);
    assert!(out.threads.is_empty());
    m.event(Event::TimerTick);
}

#[test]
fn debug_syscalls() {
    let mut m = with_objects();
    m.syscall(Syscall::DebugPutChar, b'h' as u64, 0, &[], &[]);
    assert_eq!(m.s.console, "h");
    let root = m.s.current;
    m.syscall(Syscall::DebugCapIdentify, EP, 0, &[], &[]);
    assert_eq!(m.reply_of(root).badge, sel4_abi::CapType::Endpoint.word());
    m.syscall(Syscall::SetTLSBase, 0x77, 0, &[], &[]);
    assert_eq!(
        m.s.tcb(root).regs[sel4_abi::context::index::TPIDR_EL0],
        0x77
    );
    let name = u64::from_le_bytes(*b"worker\0\0");
    m.pending.push((1, name));
    m.syscall(Syscall::DebugNameThread, TCB2, 0, &[], &[]);
    assert_eq!(m.s.tcb(tcb_at(&m, TCB2)).name, "worker");
    m.syscall(Syscall::DebugHalt, 0, 0, &[], &[]);
    assert!(m.s.halted);
}

#[test]
fn benchmark_null_syscall_and_snapshot_do_nothing() {
    let mut m = Sim::default();
    let out = m.syscall(Syscall::DebugSnapshot, 0, 0, &[], &[]);
    assert!(out.faults.is_empty());
    m.syscall(Syscall::DebugDumpScheduler, 0, 0, &[], &[]);
    let out = m.syscall(Syscall::BenchmarkNullSyscall, 0, 0, &[], &[]);
    assert!(
        out.faults.is_empty(),
        "the kernel provides it, as a seL4 benchmark build does"
    );
}

#[test]
fn a_bad_debug_name_thread_changes_nothing_and_does_not_halt() {
    let mut m = Sim::default();
    let root = m.s.current;
    // Not a TCB cap: the kernel reports it and carries on (seL4 would halt).
    m.syscall(Syscall::DebugNameThread, EP, 0, &[], &[]);
    assert!(!m.s.halted);
    assert_eq!(m.s.current, root);
}

#[test]
fn lowering_ones_own_priority_lets_a_higher_thread_run() {
    let mut m = with_objects();
    start_second(&mut m, 100, 0x7100_0000);
    let t2 = tcb_at(&m, TCB2);
    m.syscall(
        Syscall::Call,
        INIT_THREAD_TCB,
        L::TcbSetPriority.word(),
        &[50],
        &[INIT_THREAD_TCB],
    );
    assert_eq!(m.s.current, t2);
}

#[test]
fn a_lower_priority_thread_does_not_preempt_on_resume() {
    let mut m = with_objects();
    start_second(&mut m, 10, 0x7100_0000);
    let root = tcb_at(&m, INIT_THREAD_TCB);
    assert_eq!(m.s.current, root);
}

#[test]
fn a_blocked_thread_does_not_round_robin() {
    let mut m = with_objects();
    start_second(&mut m, 10, 0x7100_0000);
    let t2 = tcb_at(&m, TCB2);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    for _ in 0..3 * TIME_SLICE {
        m.event(Event::TimerTick);
        assert_eq!(m.s.current, t2);
    }
}

#[test]
fn a_time_slice_is_refilled_after_it_runs_out() {
    let mut m = Sim::default();
    let root = m.s.current;
    for _ in 0..TIME_SLICE {
        m.event(Event::TimerTick);
    }
    assert_eq!(m.s.current, root);
    assert_eq!(m.s.tcb(root).time_slice, TIME_SLICE);
}

#[test]
fn suspending_the_running_thread_picks_the_next_by_priority() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Tcb, 0, 200, 1));
    start_second(&mut m, 10, 0x7100_0000);
    let t2 = tcb_at(&m, TCB2);
    m.syscall(
        Syscall::Call,
        INIT_THREAD_TCB,
        L::TcbSuspend.word(),
        &[],
        &[],
    );
    assert_eq!(m.s.current, t2);
}

#[test]
fn the_timer_interrupt_line_is_a_tick() {
    let mut m = with_objects();
    start_second(&mut m, 255, 0x7100_0000);
    let t2 = tcb_at(&m, TCB2);
    for _ in 0..TIME_SLICE {
        m.event(Event::Interrupt { irq: 27 });
    }
    assert_eq!(m.s.current, t2);
}
