//! Stored QEMU traces (`refinement-tests/traces/`), recorded from examples and test
//! programs by the trace kernel, replay on the spec as it is today: a change to the spec
//! that breaks agreement with a real recorded run fails here, without QEMU.

use refinement_tests::replay::replay_file;

/// The stored trace `name`, decoded.
fn read(name: &str) -> trace_format::Trace {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("traces");
    let bytes = std::fs::read(dir.join(name)).expect("a stored trace");
    trace_format::decode(&bytes).expect("a trace of this version")
}

#[test]
fn every_stored_trace_replays_on_the_spec() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("traces");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("refinement-tests/traces")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "trace"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "stored traces: {files:?}");
    for f in files {
        match replay_file(&f) {
            Ok(line) => println!("{line}"),
            Err(why) => panic!(
                "{}: {why}\n(if the trace format changed, record it again: see traces/README.md)",
                f.display()
            ),
        }
    }
}

/// The stored QEMU traces hold the real controller's and FP/SIMD unit's state: the
/// timer's line enabled, and no line active but the entry's own, at every exit (the
/// arch layer ends an interrupt after the entry that took it); threads entering with the FP
/// unit enabled, and the thread whose flags disable it (tests/fpu) never entering so.
#[test]
fn the_stored_traces_hold_the_controller_and_fpu_state() {
    let hello = read("hello.trace");
    let timer = hello.boot.facts.timer_irq;
    for step in &hello.steps {
        let Some(exit) = &step.exit else { continue };
        assert!(
            exit.lines_enabled.contains(&timer),
            "{:?}",
            exit.lines_enabled
        );
        let own = matches!(step.entry.kind, trace_format::EventKind::Timer);
        assert!(
            exit.lines_active.iter().all(|&l| own && l == timer),
            "{:?}",
            exit.lines_active
        );
    }
    let fpu = read("fpu.trace");
    assert!(
        fpu.steps.iter().any(|s| s.entry.fpu),
        "no entry with the FPU enabled"
    );
    let disabled: Vec<u64> = fpu
        .steps
        .iter()
        .filter_map(|s| s.exit.as_ref())
        .flat_map(|x| x.threads.values())
        .filter(|t| t.tcb_flags & sel4_abi::tcb::TCB_FLAG_FPU_DISABLED != 0)
        .map(|t| t.tcb)
        .collect();
    assert!(!disabled.is_empty(), "tests/fpu disables a thread's FPU");
    assert!(
        fpu.steps
            .iter()
            .any(|s| disabled.contains(&s.entry.thread) && !s.entry.fpu),
        "the FPU-disabled thread enters the kernel"
    );

    // Each is compared: the FPU enabled for that thread, a line left active, the timer's
    // line masked, a line enabled that has no handler.
    use refinement_tests::replay::replay;
    let mut bad = fpu.clone();
    let i = bad
        .steps
        .iter()
        .position(|s| disabled.contains(&s.entry.thread) && !s.entry.fpu)
        .unwrap();
    bad.steps[i].entry.fpu = true;
    let d = replay(&bad).unwrap_err();
    assert!(
        d.step == i + 1 && d.diff.contains("FP/SIMD unit enabled"),
        "{d}"
    );
    type Tamper<'a> = &'a dyn Fn(&mut trace_format::Exit);
    let tampers: [(Tamper, &str); 3] = [
        (&|x| x.lines_active.push(33), "active"),
        (&|x| x.lines_enabled.retain(|&l| l != timer), "enabled"),
        (&|x| x.lines_enabled.push(40), "enabled"),
    ];
    for (tamper, what) in tampers {
        let mut bad = hello.clone();
        tamper(bad.steps[10].exit.as_mut().unwrap());
        let d = replay(&bad).unwrap_err();
        assert!(d.step == 11 && d.diff.contains(what), "{d}");
    }
}

/// The stored QEMU traces hold every return to user level (RESTORE records): hello's all
/// go to the root task in its VSpace, with its ASID; tests/fpu returns to a thread a
/// second time after an entry without a kernel entry between (the FP/SIMD trap the arch
/// layer handles itself), with the unit enabled then. Each part is compared: a wrong ASID
/// or table, a thread other than the one the spec runs, the FP/SIMD unit on for a thread
/// that disables it, an SPSR that is not EL0's, and a synchronous entry from a thread the
/// arch layer did not return to.
#[test]
fn the_stored_traces_hold_every_return_to_user_level() {
    use refinement_tests::replay::replay;
    let hello = read("hello.trace");
    assert!(
        hello.boot.facts.restores,
        "the QEMU kernel records restores"
    );
    let root = hello.boot.facts.objects[5];
    let Some(trace_format::CapProj::VSpace {
        base,
        asid: Some(asid),
    }) = hello
        .initial
        .caps
        .get(&(
            hello.boot.facts.objects[0],
            sel4_abi::init_cap::INIT_THREAD_VSPACE,
        ))
        .map(|c| c.cap)
    else {
        panic!("the root task's VSpace cap");
    };
    let returns: Vec<_> = hello
        .initial_restores
        .iter()
        .chain(hello.steps.iter().flat_map(|s| &s.restores))
        .collect();
    assert!(returns.len() > 100, "{} returns", returns.len());
    for r in &returns {
        assert_eq!((r.thread, r.table(), r.asid()), (root, base, asid), "{r:?}");
    }

    let fpu = read("fpu.trace");
    assert!(
        fpu.steps
            .iter()
            .any(|s| s.restores.len() > 1 && s.restores.last().is_some_and(|r| r.fpu)),
        "no return after an FP/SIMD trap"
    );
    let disabled = fpu
        .steps
        .iter()
        .filter_map(|s| s.exit.as_ref())
        .flat_map(|x| x.threads.values())
        .find(|t| t.tcb_flags & sel4_abi::tcb::TCB_FLAG_FPU_DISABLED != 0)
        .map(|t| t.tcb)
        .expect("tests/fpu disables a thread's FPU");
    let (i, j) = fpu
        .steps
        .iter()
        .enumerate()
        .find_map(|(i, s)| {
            s.restores
                .iter()
                .position(|r| r.thread == disabled)
                .map(|j| (i, j))
        })
        .expect("a return to the FPU-disabled thread");

    type Tamper<'a> = &'a dyn Fn(&mut trace_format::Restore);
    let tampers: [(usize, Tamper, &str); 4] = [
        (20, &|r| r.ttbr0 ^= 1 << 48, "ASID"),
        (20, &|r| r.ttbr0 = r.empty_vspace, "table"),
        (20, &|r| r.thread += 0x1000, "the spec runs"),
        (20, &|r| r.spsr |= 1 << 7, "EL0t"),
    ];
    for (at, tamper, what) in tampers {
        let mut bad = hello.clone();
        tamper(bad.steps[at].restores.last_mut().expect("a return"));
        let d = replay(&bad).unwrap_err();
        assert!(d.step == at + 1 && d.diff.contains(what), "{d}");
    }
    let mut bad = fpu.clone();
    bad.steps[i].restores[j].fpu = true;
    let d = replay(&bad).unwrap_err();
    assert!(d.step == i + 1 && d.diff.contains("FP/SIMD"), "{d}");
    // The returns taken away: the next synchronous entry names a thread nobody returned to.
    let mut bad = hello.clone();
    let k = bad
        .steps
        .iter()
        .position(|s| s.entry.kind == trace_format::EventKind::Syscall)
        .expect("a syscall");
    bad.initial_restores.clear();
    for s in &mut bad.steps[..k] {
        s.restores.clear();
    }
    let d = replay(&bad).unwrap_err();
    assert!(
        d.step == k + 1 && d.diff.contains("returned to last"),
        "{d}"
    );
}

/// The stored QEMU traces hold the BootInfo frame as the boot wrote it, and it is the one
/// the spec describes for its boot state: a word changed anywhere in it (a region, an
/// untyped's address, a word past the list that should be zero) is refused, named.
#[test]
fn the_stored_bootinfo_is_the_specs() {
    use refinement_tests::replay::replay;
    use sel4_abi::BootInfo;
    use std::mem::offset_of;
    let hello = read("hello.trace");
    assert_eq!(hello.boot.bootinfo.len(), 512);
    let empty = hello.boot.bootinfo[offset_of!(BootInfo, empty) / 8];
    let untyped = hello.boot.bootinfo[offset_of!(BootInfo, untyped) / 8..][..2].to_vec();
    assert_eq!(
        untyped[1], empty,
        "the untypeds end where the empty slots start"
    );
    let list = offset_of!(BootInfo, untyped_list) / 8;
    let n = (untyped[1] - untyped[0]) as usize;
    for (w, what) in [
        (offset_of!(BootInfo, empty) / 8, "empty"),
        (
            offset_of!(BootInfo, user_image_frames) / 8 + 1,
            "userImageFrames + 8",
        ),
        (offset_of!(BootInfo, extra_bi_pages) / 8, "extraBIPages"),
        (list, "untypedList[0].paddr"),
        (list + 2 * n + 1, "untypedList"),
        (511, "after untypedList"),
    ] {
        let mut bad = hello.clone();
        bad.boot.bootinfo[w] ^= 1;
        let d = replay(&bad).unwrap_err();
        assert!(d.step == 0 && d.diff.contains(what), "word {w}: {d}");
    }
}
