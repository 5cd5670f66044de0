//! Generated programs on QEMU: each runs on the trace kernel through the fuzzing root task
//! (`tests/fuzz-root`, the program patched into its ELF), and its trace is replayed on the
//! spec. The kernel and root task are built by xtask, which passes them in
//! `REFINE_QEMU_KERNEL` and `REFINE_QEMU_ROOT` (`cargo xtask refine --qemu`, and a step of
//! `cargo xtask test`); without them this test says so and checks nothing.
//! `REFINE_QEMU_CASES` (default 20) and `REFINE_SEED` choose the programs;
//! `REFINE_QEMU_MUTANT` plants a kernel bug (with a kernel built with `mutants` too).
//! `REFINE_QEMU_MUTANT_KERNEL` (the trace kernel built with `mutants`; `cargo xtask test`
//! sets it) runs the arch layer's mutants, which only QEMU traces can catch.

use refinement_tests::host::{env_number, fresh_seed};
use refinement_tests::qemu;
use std::path::PathBuf;

/// The kernel, the root task and a work folder from xtask, or `None` (not run).
fn setup(name: &str) -> Option<qemu::Setup> {
    let (Some(kernel), Some(root)) = (
        std::env::var_os("REFINE_QEMU_KERNEL"),
        std::env::var_os("REFINE_QEMU_ROOT"),
    ) else {
        println!(
            "not run: REFINE_QEMU_KERNEL and REFINE_QEMU_ROOT are not set (cargo xtask refine --qemu sets them)"
        );
        return None;
    };
    let work = std::env::var_os("REFINE_QEMU_WORK")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join(format!("refine-qemu-{}", std::process::id())))
        .join(name);
    let mutant = std::env::var("REFINE_QEMU_MUTANT").ok();
    Some(
        qemu::setup(kernel.as_ref(), root.as_ref(), &work, mutant)
            .unwrap_or_else(|e| panic!("{e}")),
    )
}

#[test]
fn generated_programs_on_qemu_replay_on_the_spec() {
    let Some(setup) = setup("generated") else {
        return;
    };
    let cases = env_number("REFINE_QEMU_CASES").unwrap_or(20) as u32;
    let seed = env_number("REFINE_SEED").unwrap_or_else(fresh_seed);
    let run = qemu::run_generated(&setup, cases, seed, false);
    println!(
        "refine on QEMU: {} programs, {} kernel entries replayed on the spec (seed {seed})",
        run.programs, run.entries
    );
    let coverage = refinement_tests::host::coverage();
    println!("on QEMU, {}", coverage.report());
    match run.failure {
        None => {
            let _ = std::fs::remove_dir_all(&setup.work);
            // Half the programs hold a call-and-reply session: the fastpath entries are
            // among those replayed (a chance of about 2^-20 that 20 programs hold none).
            let (calls, replies) = coverage.fastpath;
            assert!(
                run.programs < 20 || (calls > 0 && replies > 0),
                "no fastpath entry among {} programs on QEMU (seed {seed}): {calls} Calls, {replies} ReplyRecvs",
                run.programs
            );
        }
        Some(why) => panic!(
            "the kernel on QEMU and the spec diverge (reproduce: cargo xtask refine --qemu --cases {cases} --seed {seed}):\n{why}"
        ),
    }
}

/// The arch layer's mutants (`Mutant::ARCH`: a wrong ASID in TTBR0, a thread without a
/// VSpace left in the previous one's): each planted in turn, the fixed QEMU programs catch
/// it through the RESTORE records, the return to user level compared with the spec.
#[test]
fn arch_mutants_are_caught_on_qemu() {
    let (Some(kernel), Some(root)) = (
        std::env::var_os("REFINE_QEMU_MUTANT_KERNEL"),
        std::env::var_os("REFINE_QEMU_ROOT"),
    ) else {
        println!("not run: REFINE_QEMU_MUTANT_KERNEL and REFINE_QEMU_ROOT are not set");
        return;
    };
    let work = std::env::var_os("REFINE_QEMU_WORK")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join(format!("refine-qemu-{}", std::process::id())))
        .join("arch-mutants");
    for m in kernel::mutant::Mutant::ARCH {
        let setup = qemu::setup(
            kernel.as_ref(),
            root.as_ref(),
            &work,
            Some(m.name().to_owned()),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", m.name()));
        let caught = qemu::fixed_programs(&setup)
            .into_iter()
            .enumerate()
            .find_map(|(i, (name, program))| {
                qemu::checked_trace(&setup, &program, &format!("{}-{i}", m.name()))
                    .err()
                    .map(|why| (name, why))
            });
        let Some((name, why)) = caught else {
            panic!(
                "mutant {} was not caught by any fixed QEMU program",
                m.name()
            );
        };
        assert!(
            why.contains("TTBR0_EL1"),
            "mutant {} was caught by {name:?}, but not by the return-to-user check: {why}",
            m.name()
        );
        println!("caught {} by fixed program {name:?}", m.name());
    }
    let _ = std::fs::remove_dir_all(&work);
}

/// The fixed QEMU programs (`qemu::fixed_programs`): each exits as expected and replays.
#[test]
fn fixed_programs_on_qemu_replay_on_the_spec() {
    let Some(setup) = setup("fixed") else {
        return;
    };
    for (i, (name, program)) in qemu::fixed_programs(&setup).into_iter().enumerate() {
        let (t, status) = qemu::checked_run(&setup, &program, &format!("fixed-{i}"))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        println!("{name}: {} kernel entries replayed", t.steps.len());
        if name == "every VSpace copy revoked with an IRQ handler left" {
            // No interrupt can wake a thread: the kernel halts (4), not the harness's idle
            // stop (5).
            assert_eq!(status, Some(4), "{name}: QEMU's exit status");
        }
        if name == "threads with IPC buffers of their own" {
            own_buffers(&setup, &t);
        }
        if name == "a thread in a VSpace of its own faults to a handler that replies" {
            vspace_thread(&setup, &t);
        }
    }
    let _ = std::fs::remove_dir_all(&setup.work);
}

/// The prelude's threads have IPC buffers of their own on QEMU too: each thread's buffer
/// is its own frame, at the address the prelude mapped it, and the message words past the
/// registers arrive in the receiver's (the trace's memory writes say where the kernel
/// wrote them).
fn own_buffers(setup: &qemu::Setup, t: &trace_format::Trace) {
    use refinement_tests::host::{PRELUDE_SLOTS, thread_buffer};
    use trace_format::{CapProj, MemoryWrite};
    let last = t.steps.iter().rev().find_map(|s| s.exit.as_ref()).unwrap();
    let cnode = t.boot.facts.objects[0];
    let cap = |slot: u64| last.caps.get(&(cnode, slot)).map(|c| c.cap);
    let mut frames = vec![];
    for i in 0..2 {
        let (slot, vaddr) = thread_buffer(setup.empty, setup.ipc_buffer, i);
        let Some(CapProj::Frame { base, .. }) = cap(slot) else {
            panic!("no frame in slot {slot}");
        };
        let Some(CapProj::Thread { tcb }) = cap(setup.empty + PRELUDE_SLOTS + 2 + i as u64) else {
            panic!("no prelude thread {i}");
        };
        assert_eq!(last.threads[&tcb].ipc_buffer, vaddr, "thread {i}'s buffer");
        frames.push(base);
    }
    let in_frame = |pa: u64| frames.iter().any(|&b| (b..b + 4096).contains(&pa));
    let words: Vec<u64> = t
        .steps
        .iter()
        .flat_map(|s| &s.writes)
        .filter_map(|w| match *w {
            MemoryWrite::Word { pa, value } if in_frame(pa) => Some(value),
            _ => None,
        })
        .collect();
    assert_eq!(
        words,
        [5, 6, 7, 8],
        "message words written to the receiver's own buffer"
    );
}

/// The third prelude thread runs in the prelude's VSpace, not the root task's: the arch
/// layer returns to it with that VSpace's table and ASID in TTBR0, it enters the kernel
/// with an instruction abort at its pc (nothing is mapped there), the root task receives
/// the VM fault message naming that address, and once its VSpace cap is revoked the
/// thread is returned to in the kernel's empty VSpace, where it faults again.
fn vspace_thread(setup: &qemu::Setup, t: &trace_format::Trace) {
    use refinement_tests::host::{PRELUDE_SLOTS, PRELUDE_VADDR};
    use trace_format::{CapProj, EventKind};
    let last = t.steps.iter().rev().find_map(|s| s.exit.as_ref()).unwrap();
    let cnode = t.boot.facts.objects[0];
    let cap = |slot: u64| last.caps.get(&(cnode, slot)).map(|c| c.cap);
    let Some(CapProj::Thread { tcb }) = cap(setup.empty + qemu::VSPACE_THREAD_SLOT) else {
        panic!("no thread in the prelude's VSpace");
    };
    let Some(CapProj::VSpace {
        base: vspace,
        asid: Some(asid),
    }) = cap(setup.empty + PRELUDE_SLOTS + 4)
    else {
        panic!("no prelude VSpace with an ASID");
    };
    // Its synchronous entries (a timer tick may also interrupt it before its abort).
    let aborts: Vec<_> = t
        .steps
        .iter()
        .filter(|s| s.entry.thread == tcb && !matches!(s.entry.kind, EventKind::Timer))
        .map(|s| s.entry.kind)
        .collect();
    assert_eq!(aborts.len(), 2, "the thread's entries: {aborts:?}");
    for k in &aborts {
        assert!(
            matches!(
                k,
                EventKind::VmFault {
                    addr: PRELUDE_VADDR,
                    instruction: true,
                    ..
                }
            ),
            "an instruction abort at the thread's pc: {k:?}"
        );
    }
    let returns: Vec<_> = t
        .steps
        .iter()
        .flat_map(|s| &s.restores)
        .filter(|r| r.thread == tcb)
        .map(|r| (r.table(), r.asid(), r.empty_vspace))
        .collect();
    // Its VSpace until the revoke, then the empty one (once each, or more if a tick
    // interrupted it on the way).
    let empty = returns.first().map_or(0, |r| r.2);
    let mut distinct = returns.clone();
    distinct.dedup();
    assert_eq!(
        distinct,
        [(vspace, asid, empty), (empty, 0, empty)],
        "the returns to the thread: its VSpace, then (revoked) the empty one"
    );
    let root = t.boot.facts.objects[5];
    let reg = |r: usize| last.threads[&root].context[sel4_abi::gpr_index(r)];
    let (info, ip) = (reg(1), reg(2));
    assert_eq!(
        (info >> 12, ip),
        (sel4_abi::fault::FaultType::VMFault as u64, PRELUDE_VADDR),
        "the root task received the VM fault at the thread's pc"
    );
}
