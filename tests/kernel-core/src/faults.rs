//! Faults delivered to a handler: the root task receives them on the faulting thread's
//! fault endpoint (an endpoint cap with Grant in the root CNode) and replies.

use sel4::cap_type::{Endpoint, Tcb};
use sel4::fault::{CapFault, UnknownSyscall, UserException, VmFault};
use sel4::syscall::{Regs, raw_number};
use sel4::{Cap, Fault, LookupFailure, Message};

use sel4::CapRights;
use sel4::cap_type::Notification;

use crate::env::{Context, Entry, Env, Outcome, Spawn, Test, Word, park, root, yield_n};
use crate::{ensure, expect_eq, fail};

pub const TESTS: &[Test] = &[
    (
        "fault unknown syscall message and restart past the svc",
        unknown_syscall,
    ),
    (
        "fault undefined instruction is a UserException; restart past it",
        undefined_instruction,
    ),
    (
        "fault VM fault on an unmapped read; handler moves the pc on",
        vm_fault,
    ),
    ("fault cap fault on Call through an invalid cptr", cap_fault),
    (
        "fault reply with a non-zero label leaves the thread inactive",
        nonzero_label_reply,
    ),
    (
        "fault reply to a VM fault restarts the faulting load",
        vm_fault_restart,
    ),
    (
        "fault Recv on an endpoint deleted under it is a receive-phase cap fault",
        recv_deleted_ep,
    ),
    (
        "fault Wait on a notification without Read is a cap fault",
        wait_without_read,
    ),
    (
        "fault Wait on a notification bound to another thread is a cap fault",
        wait_bound_elsewhere,
    ),
    (
        "fault a thread without IPC buffer sends a complete fault message",
        fault_without_ipc_buffer,
    ),
    (
        "fault an empty reply to UnknownSyscall re-executes the svc",
        empty_reply_reexecutes_svc,
    ),
    (
        "fault the badge of the fault endpoint cap arrives with the fault",
        badged_fault_endpoint,
    ),
    (
        "fault suspending a thread cancels its pending fault message",
        suspend_while_sending_fault,
    ),
    (
        "fault Send on an invalid cptr is a cap fault, NBSend is not",
        send_vs_nbsend_bad_cptr,
    ),
    (
        "fault Recv on a guard-mismatched cptr is a 7-word cap fault",
        recv_guard_mismatch,
    ),
    (
        "fault Wait on a notification deleted under it is a cap fault",
        wait_deleted_notification,
    ),
    (
        "fault a handler cap without Grant or GrantReply is a double fault",
        handler_without_grant,
    ),
];

static STEP: Word = Word::new();
static SEEN: Word = Word::new();

/// The faulting thread's fault endpoint, the thread, and its first fault message.
fn start_faulter(
    env: &Env,
    entry: Entry,
    arg: u64,
) -> Result<(Cap<Endpoint>, Cap<Tcb>, Message), crate::env::Why> {
    start_faulter_with(env, entry, arg, Spawn::default())
}

/// [`start_faulter`] with other spawn options (the fault endpoint is set here).
fn start_faulter_with(
    env: &Env,
    entry: Entry,
    arg: u64,
    how: Spawn,
) -> Result<(Cap<Endpoint>, Cap<Tcb>, Message), crate::env::Why> {
    STEP.set(0);
    SEEN.set(0);
    let fep = env.alloc::<Endpoint>()?;
    let t = env.spawn(
        entry,
        arg,
        Spawn {
            fault_ep: fep.cptr(),
            ..how
        },
    )?;
    yield_n(1);
    let (m, badge) = fep.nb_recv();
    expect_eq!(badge, 0, "badge of the fault message");
    ensure!(
        m.label() != 0 || !m.is_empty(),
        "no fault message arrived (thread step {})",
        STEP.get()
    );
    Ok((fep, t, m))
}

/// Makes syscall 0x99 with known registers, then records x0 and x1 as they came back.
extern "C" fn bad_syscall(_: u64) -> ! {
    STEP.set(1);
    let r = raw_number(
        0x99,
        Regs {
            x0: 0x10,
            x1: 0x11,
            mr: [0x12, 0x13, 0x14, 0x15],
        },
    );
    SEEN.set(r.x0);
    STEP.set(2);
    park()
}

const SVC_0: u32 = 0xd400_0001;

fn instruction_at(addr: u64) -> u32 {
    // SAFETY: `addr` is a fault IP inside this program's image, which is mapped readable
    // (seL4 maps the root task's image read-write-execute); reading 4 aligned bytes.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

fn unknown_syscall(env: &Env) -> Outcome {
    let (_, _, m) = start_faulter(env, bad_syscall, 0)?;
    expect_eq!((m.label(), m.len()), (2, 13), "label and length");
    let Fault::UnknownSyscall(f @ UnknownSyscall { .. }) = Fault::from_message(&m) else {
        fail!("not an UnknownSyscall: {m:?}");
    };
    expect_eq!(f.syscall, 0x99, "syscall number (last word)");
    expect_eq!(
        &f.x[..6],
        &[0x10, 0x11, 0x12, 0x13, 0x14, 0x15][..],
        "x0..x5"
    );
    expect_eq!(f.x[7], 0x99, "x7");
    expect_eq!(instruction_at(f.fault_ip), SVC_0, "instruction at FaultIP");
    let mut reply = Fault::UnknownSyscall(f).restart_message(f.fault_ip + 4);
    // Word 0 is x0: the thread sees it as the syscall's result.
    let mut words = [0u64; 12];
    words.copy_from_slice(reply.words());
    words[0] = 0x1234;
    reply = Message::with_words(0, &words);
    sel4::ipc::reply(&reply);
    yield_n(1);
    expect_eq!(STEP.get(), 2, "thread went on past the svc");
    expect_eq!(SEEN.get(), 0x1234, "x0 from the reply");
    Ok(())
}

extern "C" fn undefined(_: u64) -> ! {
    STEP.set(1);
    // SAFETY: `udf` only raises an undefined-instruction exception: the thread stops there
    // until its fault handler resumes it after the instruction (or for good); no memory or
    // register is changed.
    unsafe { core::arch::asm!("udf #0") };
    STEP.set(2);
    park()
}

fn undefined_instruction(env: &Env) -> Outcome {
    let (_, _, m) = start_faulter(env, undefined, 0)?;
    expect_eq!((m.label(), m.len()), (3, 5), "label and length");
    let Fault::UserException(f @ UserException { .. }) = Fault::from_message(&m) else {
        fail!("not a UserException: {m:?}");
    };
    expect_eq!(f.number, 0x200_0000, "Number (ESR: EC 0, IL 1)");
    expect_eq!(f.code, 0, "Code");
    expect_eq!(
        instruction_at(f.fault_ip),
        0,
        "instruction at FaultIP (udf #0)"
    );
    sel4::ipc::reply(&Fault::UserException(f).restart_message(f.fault_ip + 4));
    yield_n(1);
    expect_eq!(STEP.get(), 2, "thread went on past the udf");
    Ok(())
}

core::arch::global_asm!(
    ".global kernel_core_load",
    ".type kernel_core_load, %function",
    "kernel_core_load:",
    "    ldr x0, [x0]",
    "    ret",
);

unsafe extern "C" {
    /// Loads the word at `addr` (an `ldr` at the function's first instruction).
    fn kernel_core_load(addr: u64) -> u64;
}

const UNMAPPED: u64 = 0x10_0000_0000;

extern "C" fn bad_load(addr: u64) -> ! {
    STEP.set(1);
    // SAFETY: the load faults on purpose; the handler resumes the thread after the `ldr`
    // with x0 set, so no memory is read.
    let v = unsafe { kernel_core_load(addr) };
    SEEN.set(v);
    STEP.set(2);
    park()
}

fn vm_fault(env: &Env) -> Outcome {
    let (_, t, m) = start_faulter(env, bad_load, UNMAPPED)?;
    expect_eq!((m.label(), m.len()), (5, 4), "label and length");
    let Fault::VmFault(f @ VmFault { .. }) = Fault::from_message(&m) else {
        fail!("not a VMFault: {m:?}");
    };
    let load = kernel_core_load as *const () as u64;
    expect_eq!(f.ip, load, "IP");
    expect_eq!(f.addr, UNMAPPED, "Addr");
    expect_eq!(f.prefetch_fault, false, "PrefetchFault");
    expect_eq!(
        f.fsr >> 26,
        0x24,
        "FSR exception class (data abort from EL0)"
    );
    expect_eq!(f.fsr & 0x3c, 0x04, "FSR fault status (translation fault)");
    let mut r = t
        .tcb_read_all_registers(false)
        .ctx("read the faulting thread")?;
    expect_eq!(r.pc, load, "pc of the faulting thread");
    r.pc += 4;
    r.x0 = 0x5a;
    t.tcb_write_registers(true, 0, 4, &r)
        .ctx("WriteRegisters past the load")?;
    yield_n(1);
    expect_eq!(STEP.get(), 2, "thread went on past the load");
    expect_eq!(SEEN.get(), 0x5a, "value in x0");
    Ok(())
}

const BAD_CPTR: u64 = 0xdead_0000_0000_0005;

extern "C" fn bad_call(_: u64) -> ! {
    STEP.set(1);
    let r = sel4::ipc::call(
        Cap::<Endpoint>::from_cptr(BAD_CPTR),
        &Message::with_words(1, &[2]),
    );
    SEEN.set(r.label());
    STEP.set(2);
    park()
}

fn cap_fault(env: &Env) -> Outcome {
    let (fep, t, m) = start_faulter(env, bad_call, 0)?;
    expect_eq!((m.label(), m.len()), (1, 7), "label and length");
    let Fault::CapFault(f @ CapFault { .. }) = Fault::from_message(&m) else {
        fail!("not a CapFault: {m:?}");
    };
    expect_eq!(f.addr, BAD_CPTR, "Addr");
    expect_eq!(f.in_recv_phase, false, "InRecvPhase");
    expect_eq!(
        f.failure,
        Some(LookupFailure::GuardMismatch {
            bits_left: 64,
            guard_found: 0,
            guard_size: 52
        }),
        "lookup failure"
    );
    expect_eq!(instruction_at(f.ip), SVC_0, "instruction at IP");
    // A reply restarts the Call, which faults again.
    sel4::ipc::reply(&Message::new(0));
    yield_n(1);
    let (again, _) = fep.nb_recv();
    expect_eq!(again.label(), 1, "second fault after the restart");
    expect_eq!(STEP.get(), 1, "thread never got past the Call");
    t.tcb_suspend().ctx("suspend")?;
    Ok(())
}

fn nonzero_label_reply(env: &Env) -> Outcome {
    let (fep, t, m) = start_faulter(env, undefined, 0)?;
    let f = Fault::from_message(&m);
    let Fault::UserException(ue) = f else {
        fail!("not a UserException: {m:?}");
    };
    let mut reply = f.restart_message(ue.fault_ip + 4);
    reply.set_label(1);
    sel4::ipc::reply(&reply);
    yield_n(2);
    expect_eq!(STEP.get(), 1, "thread did not run on");
    let (none, _) = fep.nb_recv();
    expect_eq!(
        (none.label(), none.len()),
        (0, 0),
        "no new fault while inactive"
    );
    // Inactive, not dead: Resume runs it again.
    t.tcb_resume().ctx("resume")?;
    yield_n(1);
    let r = t.tcb_read_all_registers(false).ctx("read")?;
    ensure!(
        STEP.get() == 2 || fep.nb_recv().0.label() == 3,
        "after Resume the thread neither ran on nor faulted again (pc {:#x})",
        r.pc
    );
    Ok(())
}

fn vm_fault_restart(env: &Env) -> Outcome {
    let (fep, t, m) = start_faulter(env, bad_load, UNMAPPED)?;
    let Fault::VmFault(first) = Fault::from_message(&m) else {
        fail!("not a VMFault: {m:?}");
    };
    sel4::ipc::reply(&Message::new(0));
    yield_n(1);
    let (again, _) = fep.nb_recv();
    let Fault::VmFault(second) = Fault::from_message(&again) else {
        fail!("no second VMFault after the reply: {again:?}");
    };
    expect_eq!(
        (second.ip, second.addr),
        (first.ip, first.addr),
        "second fault (IP, Addr)"
    );
    expect_eq!(STEP.get(), 1, "thread never got past the load");
    t.tcb_suspend().ctx("suspend")?;
    Ok(())
}

/// Receives on the endpoint (or notification) given as argument.
extern "C" fn receiver(cptr: u64) -> ! {
    STEP.set(1);
    sel4::ipc::recv(Cap::<Endpoint>::from_cptr(cptr));
    STEP.set(2);
    park()
}

/// Checks a receive-phase cap fault on `cptr` with MissingCapability (0 bits left).
fn expect_recv_cap_fault(m: &Message, cptr: u64) -> Outcome {
    expect_eq!((m.label(), m.len()), (1, 5), "label and length");
    let Fault::CapFault(f) = Fault::from_message(m) else {
        fail!("not a CapFault: {m:?}");
    };
    expect_eq!(f.addr, cptr, "Addr");
    expect_eq!(f.in_recv_phase, true, "InRecvPhase");
    expect_eq!(
        f.failure,
        Some(LookupFailure::MissingCapability { bits_left: 0 }),
        "lookup failure"
    );
    Ok(())
}

fn recv_deleted_ep(env: &Env) -> Outcome {
    STEP.set(0);
    let fep = env.alloc::<Endpoint>()?;
    let ep = env.alloc::<Endpoint>()?;
    env.spawn(
        receiver,
        ep.cptr(),
        Spawn {
            fault_ep: fep.cptr(),
            ..Spawn::default()
        },
    )?;
    yield_n(1);
    expect_eq!(STEP.get(), 1, "receiver blocked");
    root().relative(ep).delete().ctx("delete the endpoint")?;
    yield_n(1);
    let (m, _) = fep.nb_recv();
    expect_recv_cap_fault(&m, ep.cptr())?;
    expect_eq!(STEP.get(), 1, "receiver did not go on");
    Ok(())
}

fn wait_without_read(env: &Env) -> Outcome {
    let n = env.alloc::<Notification>()?;
    let w = env.slot();
    root()
        .relative_bits(w, 64)
        .copy(&root().relative(n), CapRights::CAN_WRITE)
        .ctx("copy write-only")?;
    let (_, _, m) = start_faulter(env, receiver, w)?;
    expect_recv_cap_fault(&m, w)
}

fn wait_bound_elsewhere(env: &Env) -> Outcome {
    let n = env.alloc::<Notification>()?;
    let other = env.alloc::<Tcb>()?;
    other
        .tcb_bind_notification(n)
        .ctx("bind to another thread")?;
    let (_, _, m) = start_faulter(env, receiver, n.cptr())?;
    expect_recv_cap_fault(&m, n.cptr())
}

extern "C" fn bad_syscall_no_buffer(_: u64) -> ! {
    STEP.set(1);
    let r = raw_number(
        0x98,
        Regs {
            x0: 0x20,
            x1: 0x21,
            mr: [0x22, 0x23, 0x24, 0x25],
        },
    );
    SEEN.set(r.x0);
    STEP.set(2);
    park()
}

fn fault_without_ipc_buffer(env: &Env) -> Outcome {
    let how = Spawn {
        ipc_buffer: false,
        ..Spawn::default()
    };
    let (_, _, m) = start_faulter_with(env, bad_syscall_no_buffer, 0, how)?;
    expect_eq!((m.label(), m.len()), (2, 13), "label and length");
    let Fault::UnknownSyscall(f) = Fault::from_message(&m) else {
        fail!("not an UnknownSyscall: {m:?}");
    };
    expect_eq!(
        (f.x[0], f.x[5], f.syscall),
        (0x20, 0x25, 0x98),
        "x0, x5, syscall"
    );
    let mut words = [0u64; 12];
    words.copy_from_slice(
        Fault::UnknownSyscall(f)
            .restart_message(f.fault_ip + 4)
            .words(),
    );
    words[0] = 0x777;
    sel4::ipc::reply(&Message::with_words(0, &words));
    yield_n(1);
    expect_eq!(
        (STEP.get(), SEEN.get()),
        (2, 0x777),
        "thread went on with x0 from the reply"
    );
    Ok(())
}

fn empty_reply_reexecutes_svc(env: &Env) -> Outcome {
    let (fep, t, m) = start_faulter(env, bad_syscall, 0)?;
    let Fault::UnknownSyscall(first) = Fault::from_message(&m) else {
        fail!("not an UnknownSyscall: {m:?}");
    };
    sel4::ipc::reply(&Message::new(0));
    yield_n(1);
    let (again, _) = fep.nb_recv();
    let Fault::UnknownSyscall(second) = Fault::from_message(&again) else {
        fail!("no second UnknownSyscall: {again:?}");
    };
    expect_eq!(
        second.fault_ip,
        first.fault_ip,
        "FaultIP of the second fault"
    );
    expect_eq!(STEP.get(), 1, "thread never got past the svc");
    t.tcb_suspend().ctx("suspend")?;
    Ok(())
}

fn badged_fault_endpoint(env: &Env) -> Outcome {
    STEP.set(0);
    let fep = env.alloc::<Endpoint>()?;
    let b = env.slot();
    root()
        .relative_bits(b, 64)
        .mint(&root().relative(fep), CapRights::ALL_RIGHTS, 0xfa)
        .ctx("mint")?;
    env.spawn(
        undefined,
        0,
        Spawn {
            fault_ep: b,
            ..Spawn::default()
        },
    )?;
    yield_n(1);
    let (m, badge) = fep.nb_recv();
    expect_eq!((m.label(), badge), (3, 0xfa), "fault label and badge");
    Ok(())
}

fn suspend_while_sending_fault(env: &Env) -> Outcome {
    STEP.set(0);
    let fep = env.alloc::<Endpoint>()?;
    let t = env.spawn(
        bad_load,
        UNMAPPED,
        Spawn {
            fault_ep: fep.cptr(),
            ..Spawn::default()
        },
    )?;
    yield_n(1);
    expect_eq!(STEP.get(), 1, "thread reached the load");
    t.tcb_suspend()
        .ctx("suspend the thread blocked sending its fault")?;
    let (m, _) = fep.nb_recv();
    expect_eq!(
        (m.label(), m.len()),
        (0, 0),
        "fault message after the suspend"
    );
    t.tcb_resume().ctx("resume")?;
    yield_n(1);
    let (m, _) = fep.nb_recv();
    expect_eq!(m.label(), 5, "the load faults again");
    t.tcb_suspend().ctx("suspend")?;
    Ok(())
}

extern "C" fn bad_sends(_: u64) -> ! {
    STEP.set(1);
    sel4::ipc::nb_send(Cap::<Endpoint>::from_cptr(BAD_CPTR), &Message::new(1));
    STEP.set(2);
    sel4::ipc::send(Cap::<Endpoint>::from_cptr(BAD_CPTR), &Message::new(1));
    STEP.set(3);
    park()
}

fn send_vs_nbsend_bad_cptr(env: &Env) -> Outcome {
    let (_, t, m) = start_faulter(env, bad_sends, 0)?;
    expect_eq!(STEP.get(), 2, "NBSend went by without a fault");
    let Fault::CapFault(f) = Fault::from_message(&m) else {
        fail!("not a CapFault: {m:?}");
    };
    expect_eq!(
        (f.addr, f.in_recv_phase),
        (BAD_CPTR, false),
        "Addr, InRecvPhase of the Send"
    );
    t.tcb_suspend().ctx("suspend")?;
    Ok(())
}

fn recv_guard_mismatch(env: &Env) -> Outcome {
    let (_, t, m) = start_faulter(env, receiver, BAD_CPTR)?;
    expect_eq!((m.label(), m.len()), (1, 7), "label and length");
    let Fault::CapFault(f) = Fault::from_message(&m) else {
        fail!("not a CapFault: {m:?}");
    };
    expect_eq!(
        (f.addr, f.in_recv_phase),
        (BAD_CPTR, true),
        "Addr, InRecvPhase"
    );
    expect_eq!(
        f.failure,
        Some(LookupFailure::GuardMismatch {
            bits_left: 64,
            guard_found: 0,
            guard_size: 52
        }),
        "lookup failure"
    );
    t.tcb_suspend().ctx("suspend")?;
    Ok(())
}

fn wait_deleted_notification(env: &Env) -> Outcome {
    STEP.set(0);
    let fep = env.alloc::<Endpoint>()?;
    let n = env.alloc::<Notification>()?;
    env.spawn(
        receiver,
        n.cptr(),
        Spawn {
            fault_ep: fep.cptr(),
            ..Spawn::default()
        },
    )?;
    yield_n(1);
    expect_eq!(STEP.get(), 1, "waiter blocked");
    root().relative(n).delete().ctx("delete the notification")?;
    yield_n(1);
    let (m, _) = fep.nb_recv();
    expect_recv_cap_fault(&m, n.cptr())?;
    Ok(())
}

fn handler_without_grant(env: &Env) -> Outcome {
    STEP.set(0);
    let fep = env.alloc::<Endpoint>()?;
    let w = env.slot();
    root()
        .relative_bits(w, 64)
        .copy(&root().relative(fep), CapRights::CAN_WRITE)
        .ctx("copy write-only")?;
    env.spawn(
        undefined,
        0,
        Spawn {
            fault_ep: w,
            ..Spawn::default()
        },
    )?;
    // The kernel cannot deliver the fault (no Grant or GrantReply): a double fault, which it
    // reports on the console, leaving the thread inactive.
    yield_n(1);
    let (m, _) = fep.nb_recv();
    expect_eq!((m.label(), m.len()), (0, 0), "nothing on the endpoint");
    expect_eq!(STEP.get(), 1, "thread stopped at the fault");
    yield_n(1);
    expect_eq!(STEP.get(), 1, "thread still stopped");
    Ok(())
}
