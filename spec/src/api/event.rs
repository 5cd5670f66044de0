//! The one entry point: `handle_event` takes the state through one kernel entry.

use std::collections::BTreeMap;

use sel4_abi::{MessageInfo, context::index, gpr_index, registers};

use crate::kernel::fault::handle_fault;
use crate::kernel::interrupt::handle_interrupt;
use crate::kernel::thread::{
    activate_thread, get_mr, lookup_ipc_buffer, msg_word, reschedule_required, schedule, timer_tick,
};
use crate::machine::{BADGE_REGISTER, MSG_INFO_REGISTER, SVC_INSTRUCTION_BYTES, SYSCALL_REGISTER};
use crate::model::{Fault, PAddr, State, ThreadState};

use super::syscall::handle_syscall;

/// Something that makes the kernel run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The current thread executed `svc #0` at its pc with x0..x7 as given (x7 is the syscall
    /// number), after writing `buffer` (word index, value) into its IPC buffer.
    Syscall {
        /// x0..x7 as the thread left them.
        regs: [u64; 8],
        /// IPC-buffer words the thread wrote before the call (index in 8-byte words).
        buffer: Vec<(usize, u64)>,
    },
    /// The current thread executed `svc #0` with a number the kernel does not know.
    UnknownSyscall {
        /// The number in x7.
        number: u64,
    },
    /// The current thread took a synchronous exception at its pc (`esr` is the syndrome).
    UserException {
        /// ESR_EL1.
        esr: u64,
    },
    /// The current thread took a memory abort at its pc.
    VmFault {
        /// FAR_EL1 (ignored for instruction aborts: seL4 reports the pc).
        addr: u64,
        /// ESR_EL1.
        fsr: u64,
        /// An instruction fetch rather than a data access.
        instruction: bool,
    },
    /// The kernel timer fired.
    TimerTick,
    /// An interrupt line fired.
    Interrupt {
        /// The line.
        irq: u64,
    },
}

/// seL4's el0_sync vector: the event a synchronous exception from user level is, from its
/// syndrome (ESR_EL1, whose bits 31:26 are the exception class) and fault address
/// (FAR_EL1). An `svc` from AArch64 (class 0x15) is a syscall with the registers and
/// IPC-buffer words the thread left; an instruction abort (0x20) or a data abort (0x24)
/// from EL0 a VM fault at `far`; anything else a user exception carrying the syndrome.
/// (FP/SIMD traps, class 0x07, are the arch layer's own business and never an event.)
pub fn decode_exception(esr: u64, far: u64, regs: [u64; 8], buffer: Vec<(usize, u64)>) -> Event {
    const SVC_AARCH64: u64 = 0x15;
    const INSTRUCTION_ABORT_LOWER_EL: u64 = 0x20;
    const DATA_ABORT_LOWER_EL: u64 = 0x24;
    match (esr >> 26) & 0x3f {
        SVC_AARCH64 => Event::Syscall { regs, buffer },
        class @ (INSTRUCTION_ABORT_LOWER_EL | DATA_ABORT_LOWER_EL) => Event::VmFault {
            addr: far,
            fsr: esr,
            instruction: class == INSTRUCTION_ABORT_LOWER_EL,
        },
        _ => Event::UserException { esr },
    }
}

impl Event {
    /// A syscall event with the given number and registers x0..x6.
    pub fn syscall(sys: sel4_abi::Syscall, x: [u64; 7]) -> Event {
        let mut regs = [0; 8];
        regs[..7].copy_from_slice(&x);
        regs[registers::SYSCALL_REGISTER] = sys.word();
        Event::Syscall {
            regs,
            buffer: vec![],
        }
    }
}

/// What one thread can observe after the event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadReport {
    /// The thread.
    pub tcb: PAddr,
    /// Its debug name.
    pub name: String,
    /// Its state.
    pub state: ThreadState,
    /// x0: the badge (or a syscall's return value).
    pub badge: u64,
    /// x1: the message info.
    pub info: MessageInfo,
    /// The message words `info.length` names (registers, then the IPC buffer).
    pub message: Vec<u64>,
    /// The pc it resumes at.
    pub pc: u64,
}

/// What user level can observe after one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Every thread whose registers, state or IPC-buffer message changed, by address.
    pub threads: Vec<ThreadReport>,
    /// The thread that runs next.
    pub current: PAddr,
    /// Console output printed during the event.
    pub console: String,
    /// Faults raised: the thread, the fault, and whether its handler received it (if not,
    /// the thread is now inactive).
    pub faults: Vec<(PAddr, Fault, bool)>,
}

/// A thread's observable view.
pub fn report(s: &State, t: PAddr) -> ThreadReport {
    let tcb = s.tcb(t);
    let info = MessageInfo::from_word_clamped(tcb.regs[MSG_INFO_REGISTER]);
    let buf = lookup_ipc_buffer(s, t, true);
    let n = if buf.is_some() {
        info.length as usize
    } else {
        (info.length as usize).min(sel4_abi::FAST_MESSAGE_REGISTERS)
    };
    ThreadReport {
        tcb: t,
        name: tcb.name.clone(),
        state: tcb.state,
        badge: tcb.regs[BADGE_REGISTER],
        info,
        message: (0..n).map(|i| get_mr(s, t, buf, i)).collect(),
        pc: tcb.regs[index::PC],
    }
}

fn snapshot(s: &State) -> BTreeMap<PAddr, ThreadReport> {
    s.threads().map(|(t, _)| (t, report(s, t))).collect()
}

/// The kernel: handle one event, schedule, and report what user level can see.
pub fn handle_event(s: &mut State, ev: Event) -> Outcome {
    let before = snapshot(s);
    let console_before = s.console.len();
    s.faults.clear();
    s.writes.clear();
    s.checks = 0;
    s.preempted = false;
    let cur = s.current;
    // A halted machine does nothing; the idle thread makes no syscalls and takes no faults.
    let user_event = !matches!(ev, Event::TimerTick | Event::Interrupt { .. });
    if !(s.halted || user_event && cur == s.idle) {
        match ev {
            Event::Syscall { regs, buffer } => {
                if let Some(b) = lookup_ipc_buffer(s, cur, false) {
                    for (i, w) in buffer {
                        // Word i of the buffer: word 0 is the tag, then the message.
                        s.store_word(msg_word(b, 0) - 8 + 8 * i as u64, w);
                    }
                }
                let tcb = s.tcb_mut(cur);
                for (i, r) in regs.into_iter().enumerate() {
                    tcb.regs[gpr_index(i)] = r;
                }
                syscall_entry(s, cur);
                handle_syscall(s, regs[registers::SYSCALL_REGISTER]);
            }
            Event::UnknownSyscall { number } => {
                s.tcb_mut(cur).regs[SYSCALL_REGISTER] = number;
                syscall_entry(s, cur);
                handle_syscall(s, number);
            }
            Event::UserException { esr } => {
                exception_entry(s, cur);
                handle_fault(
                    s,
                    cur,
                    Fault::UserException {
                        number: esr,
                        code: 0,
                    },
                );
            }
            Event::VmFault {
                addr,
                fsr,
                instruction,
            } => {
                exception_entry(s, cur);
                let addr = if instruction {
                    s.tcb(cur).fault_ip
                } else {
                    addr
                };
                handle_fault(
                    s,
                    cur,
                    Fault::VmFault {
                        addr,
                        fsr,
                        instruction,
                    },
                );
            }
            // An interrupt taken from user level records where the thread was as its
            // restart pc (seL4's el0_irq saves ELR_EL1 to FaultIP), which ReadRegisters
            // then reports.
            Event::TimerTick => {
                interrupt_entry(s, cur);
                timer_tick(s)
            }
            Event::Interrupt { irq } => {
                interrupt_entry(s, cur);
                handle_interrupt(s, irq)
            }
        }
        // A current thread destroyed during the event leaves the choice to the scheduler.
        if !s.is_tcb(s.current) {
            s.current = s.idle;
            reschedule_required(s);
        }
        schedule(s);
        activate_thread(s);
    }
    let after = snapshot(s);
    let threads = after
        .into_iter()
        .filter(|(t, r)| before.get(t) != Some(r))
        .map(|(_, r)| r)
        .collect();
    Outcome {
        threads,
        current: s.current,
        console: s.console[console_before..].to_string(),
        faults: s.faults.clone(),
    }
}

/// On `svc`, the restart pc is the `svc` itself and the thread continues after it.
fn syscall_entry(s: &mut State, t: PAddr) {
    let tcb = s.tcb_mut(t);
    tcb.fault_ip = tcb.regs[index::PC];
    tcb.regs[index::PC] += SVC_INSTRUCTION_BYTES;
}

/// An interrupt while a thread ran (not the idle thread): it restarts where it was.
fn interrupt_entry(s: &mut State, t: PAddr) {
    if t != s.idle {
        exception_entry(s, t);
    }
}

/// On an exception, the restart pc is the faulting instruction.
fn exception_entry(s: &mut State, t: PAddr) {
    let tcb = s.tcb_mut(t);
    tcb.fault_ip = tcb.regs[index::PC];
}
