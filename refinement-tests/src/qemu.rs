//! Generated programs on QEMU: the fuzzing root task (`tests/fuzz-root`) runs a program
//! patched into a copy of its ELF file on the trace kernel, and the trace is replayed on
//! the spec. The programs are the host harness's ([`crate::host::step`]), in the slots the
//! fuzzing root task's BootInfo gives, with a prelude whose threads run the same program.
//! `tests/qemu_programs.rs` drives it; `cargo xtask refine --qemu` runs that test with the
//! kernel and the root task built.

use crate::host::{PRELUDE_SLOTS, PRELUDE_VADDR, Step, call, ipc, prelude, step};
use object::{Object, ObjectSection, ObjectSymbol};
use proptest::prelude::*;
use sel4_abi::{InvocationLabel as L, ObjectType, Syscall, init_cap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Words the root task's program array holds (tests/fuzz-root: PROGRAM_WORDS).
pub const PROGRAM_WORDS: usize = 16 * 1024;
/// Words per step (tests/fuzz-root: STEP_WORDS).
pub const STEP_WORDS: usize = 20;
const MAGIC: u64 = u64::from_le_bytes(*b"FUZZPROG");
const ENTRY_MARKER: u64 = 0xfeed_f00d_0000_0001;
const STACK_MARKER: u64 = 0xfeed_f00d_0000_0100;
/// How long one program may run.
const TIMEOUT: Duration = Duration::from_secs(60);

/// What the kernel and root task are, and where the slots are.
#[derive(Clone, Debug)]
pub struct Setup {
    /// The trace kernel's ELF.
    pub kernel: PathBuf,
    /// The fuzzing root task's ELF (never changed; patched copies are written beside it).
    pub root: PathBuf,
    /// Where the loader puts the root task (the kernel's `__root_elf_paddr`).
    pub root_paddr: u64,
    /// A folder for patched ELFs and traces.
    pub work: PathBuf,
    /// The untyped slots and the first empty slot (from the root task's BootInfo).
    pub untyped: (u64, u64),
    pub empty: u64,
    /// The root task's IPC buffer address.
    pub ipc_buffer: u64,
    /// The largest untyped of normal memory (where the prelude makes its objects).
    pub largest: u64,
    /// An address in the kernel's code (mapped for EL1 only: user level's access there
    /// is a permission fault).
    pub kernel_text: u64,
    /// A kernel bug to plant (a kernel built with the `mutants` feature too).
    pub mutant: Option<String>,
}

fn symbol(data: &[u8], name: &str) -> Result<(u64, Option<u64>), String> {
    let file = object::File::parse(data).map_err(|e| format!("not an ELF file: {e}"))?;
    let sym = file
        .symbols()
        .find(|s| s.name() == Ok(name))
        .ok_or_else(|| format!("no symbol {name}"))?;
    // The file offset of the symbol, through the section holding it.
    let offset = sym
        .section_index()
        .and_then(|i| file.section_by_index(i).ok())
        .and_then(|sec| {
            let (off, _) = sec.file_range()?;
            Some(off + (sym.address() - sec.address()))
        });
    Ok((sym.address(), offset))
}

/// The root task's ELF with `words` in place of its program.
pub fn patch(elf: &[u8], words: &[u64]) -> Result<Vec<u8>, String> {
    if words.len() > PROGRAM_WORDS {
        return Err(format!(
            "a program of {} words does not fit in {PROGRAM_WORDS}",
            words.len()
        ));
    }
    let (_, offset) = symbol(elf, "FUZZ_PROGRAM")?;
    let offset = offset.ok_or("FUZZ_PROGRAM is not in the file (in .bss?)")? as usize;
    let mut out = elf.to_vec();
    for (i, w) in words.iter().enumerate() {
        out[offset + 8 * i..offset + 8 * i + 8].copy_from_slice(&w.to_le_bytes());
    }
    Ok(out)
}

/// A program's words: the magic, the count, then each step.
pub fn encode(program: &[Step]) -> Vec<u64> {
    let mut w = vec![MAGIC, program.len() as u64];
    for s in program {
        let mut step = [0u64; STEP_WORDS];
        let (kind, arg, cptr, label, words, caps) = match (s, s.syscall()) {
            (Step::Ticks(n), _) => (1, u64::from(*n), 0, 0, &[][..], &[][..]),
            // An abort becomes an access at its address (a store if it says it writes);
            // anything else an undefined instruction, or a breakpoint for class 0x3c.
            (Step::Exception { esr, far }, _) => match (esr >> 26) & 0x3f {
                0x20 | 0x24 => (2, *far, 0, esr >> 6 & 1, &[][..], &[][..]),
                class => (3, u64::from(class == 0x3c), 0, 0, &[][..], &[][..]),
            },
            // The fuzzing root task makes the svc with the number in x7.
            (Step::UnknownSyscall { number }, _) => (0, *number, 0, 0, &[][..], &[][..]),
            (_, Some((sys, cptr, label, words, caps))) => (0, sys.word(), cptr, label, words, caps),
            (_, None) => continue,
        };
        step[..5].copy_from_slice(&[kind, arg, cptr, label, words.len().min(8) as u64]);
        for (i, &x) in words.iter().take(8).enumerate() {
            step[5 + i] = x;
        }
        step[13] = caps.len().min(3) as u64;
        for (i, &c) in caps.iter().take(3).enumerate() {
            step[14 + i] = c;
        }
        w.extend_from_slice(&step);
    }
    w
}

/// The host prelude, made from the largest untyped of normal memory (`largest`; the host
/// has it last, QEMU's boot does not), with each thread given the root task's code
/// before it is resumed: its pc the program's thread entry and a stack of its own
/// (markers the root task replaces with the addresses).
pub fn qemu_prelude(largest: u64, e: u64, ipc_buffer: u64) -> Vec<Step> {
    let threads = [e + PRELUDE_SLOTS + 2, e + PRELUDE_SLOTS + 3];
    let mut out = Vec::new();
    // `prelude` makes its objects from the untyped just below its first argument.
    for s in prelude(largest + 1, e, ipc_buffer) {
        if let Step::Call { cptr, label, .. } = &s
            && *label == L::TcbResume as u64
            && let Some(k) = threads.iter().position(|t| t == cptr)
        {
            // WriteRegisters: no resume and no arch flags (word 0), 2 registers (pc, sp).
            out.push(Step::Call {
                cptr: *cptr,
                label: L::TcbWriteRegisters as u64,
                words: vec![0, 2, ENTRY_MARKER, STACK_MARKER + k as u64],
                caps: vec![],
            });
        }
        out.push(s);
    }
    out
}

/// Where generated programs keep a third thread, in the prelude's VSpace of its own.
pub const VSPACE_THREAD_SLOT: u64 = PRELUDE_SLOTS + 12;
/// Where a generated program's call-and-reply session keeps its endpoint.
pub const SESSION_EP_SLOT: u64 = PRELUDE_SLOTS + 13;
/// The prelude of generated programs: [`qemu_prelude`], then a third thread in the
/// prelude's VSpace of its own (nothing is mapped at its pc: it takes an instruction
/// abort at once, and its faults go to the prelude's endpoint, where the others receive
/// them and reply).
pub fn program_prelude(s: &Setup) -> Vec<Step> {
    let (e, b) = (s.empty, s.ipc_buffer);
    let cn = init_cap::INIT_THREAD_CNODE;
    let ep = e + PRELUDE_SLOTS;
    let vs = e + PRELUDE_SLOTS + 4;
    let t = e + VSPACE_THREAD_SLOT;
    let mut p = qemu_prelude(s.largest, e, b);
    p.extend([
        call(
            s.largest,
            L::UntypedRetype,
            vec![ObjectType::Tcb as u64, 0, 0, 0, t, 1],
            vec![cn],
        ),
        // No IPC buffer (address 0; the frame cap, slot 0, is not looked at then).
        call(t, L::TcbConfigure, vec![ep, 0, 0, 0], vec![cn, vs, 0]),
        call(
            t,
            L::TcbSetPriority,
            vec![100],
            vec![init_cap::INIT_THREAD_TCB],
        ),
        call(
            t,
            L::TcbWriteRegisters,
            vec![0, 2, PRELUDE_VADDR, PRELUDE_VADDR + 0x2000],
            vec![],
        ),
        call(t, L::TcbResume, vec![], vec![]),
    ]);
    p
}

/// The random steps of a generated QEMU program: the host's ([`step`]), and loads and
/// stores aimed at the kernel's code (mapped for EL1 only: a permission fault, nothing
/// read or written).
pub fn random_step(s: &Setup) -> impl Strategy<Value = Step> + use<> {
    let (e, b) = (s.empty, s.ipc_buffer);
    let kernel = s.kernel_text;
    prop_oneof![
        30 => step(s.untyped, e, b),
        1 => any::<bool>().prop_map(move |write| Step::Exception {
            esr: 0x24 << 26 | 1 << 25 | u64::from(write) << 6 | 0x0f,
            far: kernel,
        }),
    ]
}

/// Generated programs for the fuzzing root task: the prelude, in half of them an IRQ
/// handler, in half a frame mapped in the prelude's VSpace and in
/// half badged endpoint caps (as on the host), then 1 to 39 random steps.
pub fn program(s: &Setup) -> impl Strategy<Value = Vec<Step>> + use<> {
    let prelude = program_prelude(s);
    let blocks = [
        crate::host::irq_prelude(s.empty),
        crate::host::frame_prelude(s.largest + 1, s.empty),
        crate::host::badge_prelude(s.empty),
    ];
    let (e, largest) = (s.empty, s.largest);
    (
        any::<[bool; 3]>(),
        prop::option::of(crate::host::session_rounds()),
        prop::collection::vec(random_step(s), 1..40),
    )
        .prop_map(move |(with, session, random)| {
            let mut p = prelude.clone();
            for (block, with) in blocks.iter().zip(with) {
                if with {
                    p.extend(block.iter().filter(|st| runs_on_qemu(st)).cloned());
                }
            }
            // A call-and-reply session (the IPC fastpath's case) in half of them, on an
            // endpoint of its own: the prelude's has the third thread's faults queued.
            if let Some(rounds) = session {
                let ep = e + SESSION_EP_SLOT;
                p.push(call(
                    largest,
                    L::UntypedRetype,
                    vec![ObjectType::Endpoint as u64, 0, 0, 0, ep, 1],
                    vec![init_cap::INIT_THREAD_CNODE],
                ));
                p.extend(crate::host::call_session(e, ep, ep, &rounds));
            }
            p.extend(random.into_iter().filter(runs_on_qemu));
            p
        })
}

/// Fixed programs for the fuzzing root task, kept as regression tests: each pins a
/// behaviour of the kernel on QEMU that generated programs found.
pub fn fixed_programs(s: &Setup) -> Vec<(&'static str, Vec<Step>)> {
    let (e, b) = (s.empty, s.ipc_buffer);
    vec![
        (
            "ticks while every exit takes longer than a tick",
            ticks_program(s),
        ),
        (
            "a thread in a VSpace of its own faults to a handler that replies",
            vspace_thread_program(s),
        ),
        ("a reply and a receive that each wake a thread", {
            // Found by `cargo xtask soak --syscalls 1000000 --seed 2026`: the third thread's
            // fault and the second thread's send wait on the endpoint; the first thread,
            // at a lower priority, receives the fault, then replies to it and receives the
            // send in one ReplyRecv. Both woken threads want to run next: seL4's
            // possibleSwitchTo, finding a candidate already chosen, queues that one first
            // (rescheduleRequired) and then the new one, at the head of its queue, so the
            // sender runs. The kernel queued them the other way round and ran the faulter.
            let e = s.empty;
            let (ep, ntfn) = (e + PRELUDE_SLOTS, e + PRELUDE_SLOTS + 1);
            let mut p = program_prelude(s);
            p.extend([
                call(
                    e + PRELUDE_SLOTS + 2,
                    L::TcbSetPriority,
                    vec![50],
                    vec![init_cap::INIT_THREAD_TCB],
                ),
                // The root task waits for good; the third thread faults, then:
                ipc(Syscall::Recv, ntfn, 0, vec![], vec![]),
                // the second thread sends,
                ipc(Syscall::Send, ep, 1, vec![], vec![]),
                // and the first receives the fault, then replies and receives the send.
                ipc(Syscall::Recv, ep, 0, vec![], vec![]),
                ipc(Syscall::ReplyRecv, ep, 0, vec![], vec![]),
            ]);
            p
        }),
        ("every VSpace copy revoked with an IRQ handler left", {
            // Found by the soak of `cargo xtask test` (seed 525193964886254528): a revoke
            // of the root task's VSpace cap takes every thread's copy, so each thread
            // faults at its next instruction and stops (or waits on the fault endpoint),
            // while an IRQ handler with no notification is left. The kernel idled, taking
            // timer ticks, until the run's timeout (the programs had a watchdog thread
            // then, which lost its VSpace too); no interrupt can wake a thread there, so
            // it now halts (status 4), as with no handler.
            let e = s.empty;
            let mut p = program_prelude(s);
            p.extend([
                call(
                    init_cap::IRQ_CONTROL,
                    L::ArmIrqIssueIrqHandlerTrigger,
                    vec![33, 1, e + 24, crate::host::DEPTH],
                    vec![init_cap::INIT_THREAD_CNODE],
                ),
                call(
                    init_cap::INIT_THREAD_CNODE,
                    L::CNodeRevoke,
                    vec![init_cap::INIT_THREAD_VSPACE, crate::host::DEPTH],
                    vec![],
                ),
            ]);
            p
        }),
        ("threads with IPC buffers of their own", {
            // The root task sends 8 words (4 in its buffer) and blocks; the first prelude
            // thread receives them into its own buffer.
            let mut p = qemu_prelude(s.largest, e, b);
            p.extend([
                ipc(
                    Syscall::Send,
                    e + PRELUDE_SLOTS,
                    2,
                    (1..=8).collect(),
                    vec![],
                ),
                ipc(Syscall::Recv, e + PRELUDE_SLOTS, 0, vec![], vec![]),
            ]);
            p
        }),
        (
            "a sender's buffer changed by another thread before the receive",
            {
                // Found by `cargo xtask soak --syscalls 1000000 --seed 2026`: the second
                // thread's IPC buffer becomes the root task's (its library follows, through
                // TPIDRRO_EL0), the first takes over its registers (CopyRegisters), the root
                // task sends 6 words and blocks, and the first thread's next call writes its
                // words 4 and 5 into the root task's buffer before it receives. The kernel
                // copies what the buffer holds then; the spec had only the words recorded at
                // the send, until the trace recorded the words the kernel reads.
                let (ep, t1, t2) = (
                    e + PRELUDE_SLOTS,
                    e + PRELUDE_SLOTS + 2,
                    e + PRELUDE_SLOTS + 3,
                );
                let mut p = qemu_prelude(s.largest, e, b);
                p.extend([
                    call(
                        t2,
                        L::TcbSetIpcBuffer,
                        vec![b],
                        vec![init_cap::INIT_THREAD_IPC_BUFFER],
                    ),
                    call(t1, L::TcbCopyRegisters, vec![0b1101], vec![t2]),
                    ipc(Syscall::Send, ep, 1, vec![9, 11, 2, 4, 12, 3], vec![]),
                    call(
                        s.untyped.0,
                        L::UntypedRetype,
                        vec![ObjectType::Endpoint as u64, 0, 0, 0, 253, 1],
                        vec![init_cap::INIT_THREAD_CNODE],
                    ),
                    ipc(Syscall::Recv, ep, 1, vec![], vec![]),
                ]);
                p
            },
        ),
    ]
}

/// The fixed program "a thread in a VSpace of its own faults to a handler that replies":
/// the root task suspends the two threads in its VSpace and waits on the prelude's
/// endpoint; the third thread, in the prelude's VSpace with nothing mapped at its pc,
/// takes an instruction abort there; the root task receives the fault, revokes the
/// VSpace cap (the thread's copy goes: it has no VSpace now), replies (the thread
/// restarts, in the kernel's empty VSpace, and faults again) and receives it a second
/// time.
pub fn vspace_thread_program(s: &Setup) -> Vec<Step> {
    let e = s.empty;
    let ep = e + PRELUDE_SLOTS;
    let mut p = program_prelude(s);
    p.extend([
        call(e + PRELUDE_SLOTS + 2, L::TcbSuspend, vec![], vec![]),
        call(e + PRELUDE_SLOTS + 3, L::TcbSuspend, vec![], vec![]),
        ipc(Syscall::Recv, ep, 0, vec![], vec![]),
        call(
            init_cap::INIT_THREAD_CNODE,
            L::CNodeRevoke,
            vec![e + PRELUDE_SLOTS + 4, crate::host::DEPTH],
            vec![],
        ),
        ipc(Syscall::Reply, 0, 0, vec![], vec![]),
        ipc(Syscall::Recv, ep, 0, vec![], vec![]),
    ]);
    p
}

/// The fixed program "ticks while every exit takes longer than a tick".
fn ticks_program(s: &Setup) -> Vec<Step> {
    let (u, e, b) = (s.untyped, s.empty, s.ipc_buffer);
    let cn = init_cap::INIT_THREAD_CNODE;
    let big = e + PRELUDE_SLOTS + 8;
    let mut ticks = qemu_prelude(s.largest, e, b);
    // A CNode of 2^19 slots, reachable from the root CNode: the trace kernel walks it at
    // every exit, which takes longer than a tick period. Tried from every untyped (the
    // setup does not say which is large enough): the first that is makes it.
    ticks.extend((u.0..u.1).map(|ut| {
        call(
            ut,
            L::UntypedRetype,
            vec![ObjectType::CapTable as u64, 19, 0, 0, big, 1],
            vec![cn],
        )
    }));
    ticks.extend([
        // The root task waits out ticks. The trace kernel once rearmed the timer before
        // recording the tick, so the next tick was due on return and the kernel took tick
        // after tick, never returning to user level (`refine --cases 200 --seed 7`).
        Step::Ticks(3),
        Step::Ticks(1),
    ]);
    ticks
}

/// The largest CNode a generated QEMU program makes (log2 slots).
pub const MAX_QEMU_CNODE_BITS: u64 = 16;

/// Which generated steps are kept on QEMU: no interrupt (no device raises a line there;
/// the timer ticks of its own), and no retype of a CNode larger than
/// 2^[`MAX_QEMU_CNODE_BITS`] slots. The trace kernel walks every reachable slot at every
/// exit: with a 2^21-slot CNode each exit takes about half a second, and a program whose
/// threads keep running (the soak, seed 2026) outlasts its 60 s. The fixed program "ticks
/// while every exit takes longer than a tick" keeps a 2^19-slot one.
pub fn runs_on_qemu(st: &Step) -> bool {
    let large_cnode = matches!(st, Step::Call { label, words, .. }
        if *label == L::UntypedRetype as u64
            && words.first() == Some(&(ObjectType::CapTable as u64))
            && words.get(1).is_some_and(|&b| b > MAX_QEMU_CNODE_BITS));
    !matches!(st, Step::Interrupt { .. }) && !large_cnode
}

/// The largest cut trace [`last_entries`] reads (decoding keeps every exit in memory).
const MAX_REPORTED_TRACE: u64 = 64 << 20;

/// What one run gave.
#[derive(Debug)]
pub struct Ran {
    /// QEMU's exit status.
    pub status: Option<i32>,
    /// The console.
    pub console: String,
    /// Where the trace is.
    pub trace: PathBuf,
}

/// Boots the root task with `words` as its program on the trace kernel.
pub fn run(s: &Setup, words: &[u64], name: &str) -> Result<Ran, String> {
    let elf = std::fs::read(&s.root).map_err(|e| format!("{}: {e}", s.root.display()))?;
    let patched = patch(&elf, words)?;
    let root = s.work.join(format!("{name}.elf"));
    let trace = s.work.join(format!("{name}.trace"));
    std::fs::write(&root, patched).map_err(|e| format!("{}: {e}", root.display()))?;
    let _ = std::fs::remove_file(&trace);
    let mut loader = std::ffi::OsString::from("loader,file=");
    loader.push(&root);
    loader.push(format!(",addr={:#x},force-raw=on", s.root_paddr));
    let mut semihosting = std::ffi::OsString::from("enable=on,target=native,arg=trace=");
    semihosting.push(&trace);
    // No device raises a line here: where the kernel would idle, waiting for one forever,
    // it stops (status 5), and the program is over.
    semihosting.push(",arg=idle=halt");
    if let Some(m) = &s.mutant {
        semihosting.push(format!(",arg=mutant={m}"));
    }
    let mut child = Command::new("qemu-system-aarch64")
        .args(["-M", "virt", "-cpu", "cortex-a53", "-m", "1G", "-nographic"])
        .arg("-no-reboot")
        .arg("-semihosting-config")
        .arg(semihosting)
        .args(["-icount", "shift=0,sleep=off", "-kernel"])
        .arg(&s.kernel)
        .arg("-device")
        .arg(loader)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting qemu-system-aarch64: {e}"))?;
    // The console is read as it comes: a full pipe would stop QEMU and look like a hang.
    let mut out = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut console = String::new();
        if let Some(out) = &mut out {
            use std::io::Read;
            let _ = out.read_to_string(&mut console);
        }
        console
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(st) => break st,
            None if started.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "QEMU ran longer than {TIMEOUT:?}: the kernel or the program makes no progress; {} (trace kept: {})",
                    last_entries(&trace),
                    trace.display()
                ));
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    let console = reader.join().unwrap_or_default();
    Ok(Ran {
        status: status.code(),
        console,
        trace,
    })
}

/// What a trace cut short (QEMU killed) shows of its end: how many entries it holds, the
/// last one, and how many timer ticks in a row came before it with no other entry (the
/// kernel taking tick after tick, or a thread spinning).
pub fn last_entries(trace: &Path) -> String {
    match std::fs::metadata(trace) {
        Err(_) => return "no trace was written".to_owned(),
        Ok(m) if m.len() > MAX_REPORTED_TRACE => {
            return format!(
                "the trace grew to {} MB (too large to read here; replay it with cargo xtask refine --trace)",
                m.len() >> 20
            );
        }
        Ok(_) => {}
    }
    let Ok(bytes) = std::fs::read(trace) else {
        return "no trace was written".to_owned();
    };
    match trace_format::decode_prefix(&bytes) {
        Err(e) => format!("the trace holds no whole entry ({e})"),
        Ok((t, _)) => match t.steps.last() {
            None => "the trace holds the boot and no entry".to_owned(),
            Some(last) => {
                let ticks = t
                    .steps
                    .iter()
                    .rev()
                    .take_while(|s| s.entry.kind == trace_format::EventKind::Timer)
                    .count();
                format!(
                    "{} entries recorded, the last: {}{}",
                    t.steps.len(),
                    crate::replay::describe(&last.entry),
                    if ticks > 1 {
                        format!(" (the last {ticks} entries are timer ticks)")
                    } else {
                        String::new()
                    }
                )
            }
        },
    }
}

/// Reads the kernel's load address and probes the root task's BootInfo (an empty program).
pub fn setup(
    kernel: &Path,
    root: &Path,
    work: &Path,
    mutant: Option<String>,
) -> Result<Setup, String> {
    let k = std::fs::read(kernel).map_err(|e| format!("{}: {e}", kernel.display()))?;
    let (root_paddr, _) = symbol(&k, "__root_elf_paddr")?;
    std::fs::create_dir_all(work).map_err(|e| format!("{}: {e}", work.display()))?;
    let mut s = Setup {
        kernel: kernel.to_path_buf(),
        root: root.to_path_buf(),
        root_paddr,
        work: work.to_path_buf(),
        untyped: (0, 0),
        empty: 0,
        ipc_buffer: 0,
        largest: 0,
        kernel_text: symbol(&k, "kernel_main")?.0,
        mutant,
    };
    let ran = run(&s, &encode(&[]), "probe")?;
    let line = ran
        .console
        .lines()
        .find_map(|l| l.strip_prefix("fuzz-root: empty "))
        .ok_or_else(|| format!("the fuzzing root task did not start:\n{}", ran.console))?;
    // "E untyped U0..U1 ipc_buffer 0xB steps N largest L"
    let w: Vec<&str> = line.split_whitespace().collect();
    let num = |t: &str| match t.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).map_err(|e| format!("{t}: {e}")),
        None => t.parse::<u64>().map_err(|e| format!("{t}: {e}")),
    };
    let (u0, u1) = w
        .get(2)
        .and_then(|r| r.split_once(".."))
        .ok_or("no untyped range")?;
    s.empty = num(w[0])?;
    s.untyped = (num(u0)?, num(u1)?);
    s.ipc_buffer = num(w.get(4).ok_or("no IPC buffer")?)?;
    s.largest = num(w.get(8).ok_or("no largest untyped")?)?;
    let _ = std::fs::remove_file(&ran.trace);
    Ok(s)
}

/// Runs one generated program and replays its trace: the number of entries compared, or
/// what went wrong (a hang, a kernel panic, a divergence). The patched ELF and the trace
/// are deleted when all is well, kept otherwise.
pub fn check(s: &Setup, program: &[Step], name: &str) -> Result<usize, String> {
    check_counted(s, program, name).map(|(entries, _)| entries as usize)
}

/// [`check`], also counting the syscalls among the entries: (entries, syscalls).
pub fn check_counted(s: &Setup, program: &[Step], name: &str) -> Result<(u64, u64), String> {
    let t = checked_trace(s, program, name)?;
    let syscalls = t
        .steps
        .iter()
        .filter(|s| s.entry.kind == trace_format::EventKind::Syscall)
        .count() as u64;
    Ok((t.steps.len() as u64, syscalls))
}

/// Runs one program and replays its trace, as [`check`] does, and returns the trace.
pub fn checked_trace(
    s: &Setup,
    program: &[Step],
    name: &str,
) -> Result<trace_format::Trace, String> {
    checked_run(s, program, name).map(|(t, _)| t)
}

/// [`checked_trace`], with QEMU's exit status (0, 4 or 5).
pub fn checked_run(
    s: &Setup,
    program: &[Step],
    name: &str,
) -> Result<(trace_format::Trace, Option<i32>), String> {
    let ran = run(s, &encode(program), name)?;
    // 0: the program ran out of steps (DebugHalt); 4: every thread stopped; 5: no thread
    // can run, and the kernel stopped where it would wait for a device's interrupt.
    if !matches!(ran.status, Some(0) | Some(4) | Some(5)) {
        return Err(format!(
            "QEMU ended with status {:?} (kept {}):\n{}",
            ran.status,
            ran.trace.display(),
            ran.console
        ));
    }
    let bytes = std::fs::read(&ran.trace).map_err(|e| format!("no trace: {e}"))?;
    let t = trace_format::decode(&bytes).map_err(|e| e.to_string())?;
    crate::replay::replay_observed(
        &t,
        crate::host::cover_entry_before,
        crate::host::cover_entry_after,
    )
    .map_err(|d| format!("{d}(trace kept: {})", ran.trace.display()))?;
    crate::host::cover_fastpath_trace(&t);
    let _ = std::fs::remove_file(&ran.trace);
    let _ = std::fs::remove_file(s.work.join(format!("{name}.elf")));
    Ok((t, ran.status))
}

/// The outcome of a run of generated programs on QEMU.
pub struct GeneratedRun {
    /// Programs that ran and replayed (shrinking attempts not counted).
    pub programs: u64,
    /// Kernel entries replayed on the spec.
    pub entries: u64,
    /// The first failure (a divergence, a hang, an unexpected exit), with its minimal
    /// program, if any.
    pub failure: Option<String>,
}

/// How long shrinking a failure on QEMU may take: every attempt boots QEMU, and a hang
/// costs the whole [`TIMEOUT`] each time.
const SHRINK_TIME: Duration = Duration::from_secs(300);

/// Runs `cases` generated programs from `seed` on QEMU, each trace replayed on the spec;
/// the first failure is shrunk (at most 200 boots, at most [`SHRINK_TIME`]). With `print`,
/// a progress line now and then.
pub fn run_generated(s: &Setup, cases: u32, seed: u64, print: bool) -> GeneratedRun {
    use proptest::test_runner::{TestCaseError, TestError};
    use std::cell::{Cell, RefCell};
    let mut runner = crate::host::runner_with(
        proptest::test_runner::Config {
            cases,
            failure_persistence: None,
            max_shrink_iters: 200,
            max_shrink_time: SHRINK_TIME.as_millis() as u32,
            ..proptest::test_runner::Config::default()
        },
        seed,
    );
    let (programs, entries, n) = (Cell::new(0u64), Cell::new(0u64), Cell::new(0u64));
    let progress = RefCell::new(crate::progress::Progress::new(
        "on QEMU",
        u64::from(cases),
        print,
    ));
    let failed = Cell::new(false);
    let result = runner.run(&program(s), |p| {
        n.set(n.get() + 1);
        crate::progress::beat(|| format!("QEMU program {} ({} steps)", n.get(), p.len()));
        let r = check(s, &p, &format!("case-{}", n.get()));
        match r {
            Ok(e) if !failed.get() => {
                programs.set(programs.get() + 1);
                entries.set(entries.get() + e as u64);
                progress.borrow_mut().update(programs.get(), entries.get());
            }
            Ok(_) => {}
            Err(_) => {
                if print && !failed.get() {
                    eprintln!("refine on QEMU: program {} failed; shrinking it", n.get());
                }
                failed.set(true);
            }
        }
        r.map(|_| ()).map_err(TestCaseError::fail)
    });
    let failure = match result {
        Ok(()) => None,
        Err(TestError::Fail(why, minimal)) => {
            Some(format!("{why}\n{}", crate::host::listing(&minimal)))
        }
        Err(TestError::Abort(why)) => Some(format!("aborted: {why}")),
    };
    GeneratedRun {
        programs: programs.get(),
        entries: entries.get(),
        failure,
    }
}
