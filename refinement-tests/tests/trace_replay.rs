//! The trace layer: the kernel records every entry (on the simulated machine, exactly as it
//! does under QEMU), and the spec, booted from the trace alone, replays it step by step.
//! A faithful trace replays to the end; a tampered one diverges, with the step, the event
//! and a readable diff (`tests/trace_mutants.rs`: so does a mutant kernel's).

use refinement_tests::host::{fixed_programs, program, record, record_fixed};
use refinement_tests::replay::replay;
use trace_format::{CapProj, decode};

fn bytes(words: &[u64]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

const BADGES: &str = "badges and grants through an endpoint";

#[test]
fn every_fixed_program_replays_from_its_trace_alone() {
    for (name, _) in fixed_programs(1, 0, 0) {
        let t = record_fixed(name);
        let r = replay(&t).unwrap_or_else(|d| panic!("{name}: {d}"));
        assert!(r.entries >= 2, "{name}: {} entries", r.entries);
        assert_eq!(r.entries, t.steps.len());
    }
}

#[test]
fn generated_programs_replay_from_their_traces_alone() {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut entries = 0;
    for _ in 0..40 {
        let p = program().new_tree(&mut runner).unwrap().current();
        let t = decode(&bytes(&record(|_, _, _, _| p.clone()))).unwrap();
        entries += replay(&t).unwrap_or_else(|d| panic!("{p:?}\n{d}")).entries;
    }
    assert!(entries > 400, "{entries} entries replayed");
}

#[test]
fn a_tampered_trace_diverges_at_the_tampered_step() {
    let mut t = record_fixed(BADGES);
    // Give the kernel, at step 9, a badge in some endpoint cap that it never minted.
    let step = 9;
    let exit = t.steps[step - 1].exit.as_mut().unwrap();
    let (slot, cap) = exit
        .caps
        .iter_mut()
        .find(|(_, c)| matches!(c.cap, CapProj::Endpoint { .. }))
        .expect("an endpoint cap");
    let slot = *slot;
    if let CapProj::Endpoint { badge, .. } = &mut cap.cap {
        *badge ^= 0x40;
    }
    let d = replay(&t).unwrap_err();
    assert_eq!(d.step, step, "{d}");
    assert!(
        d.diff.contains(&format!("slot {:#x}[{}]", slot.0, slot.1)),
        "{d}"
    );

    // A thread that entered the kernel other than the one the spec runs.
    let mut t = record_fixed(BADGES);
    t.steps[3].entry.thread ^= 0x800;
    let d = replay(&t).unwrap_err();
    assert_eq!(d.step, 4, "{d}");
    assert!(d.diff.contains("thread entering the kernel"), "{d}");
}

/// Every word the kernel writes into memory user level reads (message words, an unwrapped
/// badge) and every range it clears (an untyped reset) is in the trace, between an entry
/// and its exit, and the spec must write the same: a changed, missing or extra write is a
/// divergence at that step.
#[test]
fn memory_the_kernel_writes_is_compared() {
    use trace_format::MemoryWrite;
    const MEMORY: &str = "memory the kernel writes";
    let t = record_fixed(MEMORY);
    replay(&t).unwrap_or_else(|d| panic!("{d}"));
    let find = |want: &dyn Fn(&MemoryWrite) -> bool| {
        t.steps
            .iter()
            .enumerate()
            .find_map(|(i, s)| s.writes.iter().position(want).map(|j| (i, j)))
    };
    // The badge 7 of the unwrapped cap, message word 8 (the fourth in the buffer), and the
    // reset's clearing.
    let badge = find(&|w| matches!(w, MemoryWrite::Word { value: 7, .. })).expect("the badge");
    let word = find(&|w| matches!(w, MemoryWrite::Word { value: 8, .. })).expect("word 8");
    let zero = find(&|w| matches!(w, MemoryWrite::Zero { .. })).expect("a reset");
    assert_eq!(
        badge.0, word.0,
        "the badge and the message arrive in one entry"
    );

    let mut bad = t.clone();
    if let MemoryWrite::Word { value, .. } = &mut bad.steps[badge.0].writes[badge.1] {
        *value = 9;
    }
    let d = replay(&bad).unwrap_err();
    assert_eq!(d.step, badge.0 + 1, "{d}");
    assert!(
        d.diff.contains("- memory word") && d.diff.contains(": 0x9"),
        "{d}"
    );

    let mut bad = t.clone();
    bad.steps[word.0].writes.remove(word.1);
    let d = replay(&bad).unwrap_err();
    assert!(d.diff.contains("not written"), "{d}");

    let mut bad = t.clone();
    bad.steps[zero.0].writes.remove(zero.1);
    let d = replay(&bad).unwrap_err();
    assert_eq!(d.step, zero.0 + 1, "{d}");
    assert!(d.diff.contains("- memory cleared"), "{d}");
}

/// The address spaces are in every exit (the ASID table, each ASID's VSpace, every table
/// reachable from them, decoded from the raw descriptors), and so are the scheduler's
/// action and every thread's time slice; a change to any of them is a divergence.
#[test]
fn address_spaces_and_the_scheduler_are_compared() {
    use trace_format::pte::PteProj;
    const FRAMES: &str = "frames mapped and unmapped";
    let t = record_fixed(FRAMES);
    // After the prelude the program's VSpace has an ASID and its four levels of tables,
    // and a frame is mapped at the fourth level (in a table the boot did not make).
    let boot_tables = &t.initial.tables;
    assert!(
        boot_tables.values().any(|tb| tb.level == 3),
        "{boot_tables:?}"
    );
    let new_page = |tb: &trace_format::TableProj| {
        tb.level == 3
            && tb
                .entries
                .values()
                .any(|p| matches!(p, PteProj::Page { .. }))
    };
    let mapped = t.steps.iter().position(|s| {
        s.exit.as_ref().is_some_and(|e| {
            e.tables
                .iter()
                .any(|(b, tb)| !boot_tables.contains_key(b) && new_page(tb))
        })
    });
    let step = mapped.expect("a step that maps a frame") + 1;
    let exit = t.steps[step - 1].exit.as_ref().unwrap();
    assert!(exit.asids.len() >= 2, "{:?}", exit.asids);
    assert!(!exit.asid_pools.is_empty());
    assert!(exit.tables.values().any(|tb| tb.level == 0));
    assert!(exit.threads.values().any(|th| th.time_slice != 0));

    // A page's rights, its executability, a table entry that is not a descriptor the kernel
    // writes: each is caught at that step, in that entry.
    let tamper = |f: &dyn Fn(&mut PteProj)| {
        let mut t = t.clone();
        let exit = t.steps[step - 1].exit.as_mut().unwrap();
        let (&base, tb) = exit
            .tables
            .iter_mut()
            .find(|(b, tb)| !boot_tables.contains_key(*b) && new_page(tb))
            .unwrap();
        let (&i, p) = tb
            .entries
            .iter_mut()
            .find(|(_, p)| matches!(p, PteProj::Page { .. }))
            .unwrap();
        f(p);
        let d = replay(&t).unwrap_err();
        assert_eq!(d.step, step, "{d}");
        assert!(
            d.diff
                .contains(&format!("table {base:#x} (level 3) entry {i}")),
            "{d}"
        );
    };
    tamper(&|p| {
        if let PteProj::Page { rights, .. } = p {
            *rights = 2;
        }
    });
    tamper(&|p| {
        if let PteProj::Page { executable, .. } = p {
            *executable = !*executable;
        }
    });
    tamper(&|p| *p = PteProj::Other { descriptor: 1 });

    // An ASID that names another VSpace; the scheduler's action; a time slice.
    let mut t2 = t.clone();
    let e = t2.steps[step - 1].exit.as_mut().unwrap();
    *e.asids.values_mut().last().unwrap() ^= 0x1000;
    let d = replay(&t2).unwrap_err();
    assert!(d.step == step && d.diff.contains("ASID"), "{d}");
    let mut t2 = t.clone();
    t2.steps[step - 1].exit.as_mut().unwrap().sched_action = 1;
    let d = replay(&t2).unwrap_err();
    assert!(d.step == step && d.diff.contains("scheduler action"), "{d}");
    let mut t2 = t.clone();
    let e = t2.steps[step - 1].exit.as_mut().unwrap();
    e.threads.values_mut().next().unwrap().time_slice += 1;
    let d = replay(&t2).unwrap_err();
    assert!(d.step == step && d.diff.contains("time slice"), "{d}");
}

/// A long deletion stopped by a pending interrupt: the kernel (on the simulated machine,
/// with an interrupt pending) leaves a zombie after its first check; the trace says which
/// check stopped it, and the spec, given that, must stop at the same place with the same
/// zombie, then agree on the restarted syscall that finishes the job. Then the same for a
/// revoke, stopped between children.
#[test]
fn deletes_and_revokes_stopped_by_an_interrupt_agree_with_the_spec() {
    use refinement_tests::host::{TRACING, boot_both};
    use sel4_abi::{InvocationLabel as L, ObjectType, Syscall, init_cap};
    TRACING.set(true);
    let (mut k, _, _, u1, e) = boot_both();
    let cn = init_cap::INIT_THREAD_CNODE;
    fn call(
        k: &mut refinement_tests::host::Kernel,
        cptr: u64,
        label: L,
        words: &[u64],
        caps: &[u64],
    ) {
        k.syscall(Syscall::Call, cptr, label as u64, words, caps);
    }
    let ut = u1 - 1;
    // A CNode of 256 slots, filled with 256 endpoints.
    call(
        &mut k,
        ut,
        L::UntypedRetype,
        &[ObjectType::CapTable as u64, 8, 0, 0, e, 1],
        &[cn],
    );
    let ep = ObjectType::Endpoint as u64;
    call(&mut k, ut, L::UntypedRetype, &[ep, 0, e, 64, 0, 256], &[cn]);
    // A second CNode, and a copy of an endpoint cap into each of its slots... (children of
    // one endpoint, for the revoke).
    call(
        &mut k,
        ut,
        L::UntypedRetype,
        &[ep, 0, 0, 0, e + 1, 1],
        &[cn],
    );
    for i in 0..150 {
        call(
            &mut k,
            cn,
            L::CNodeCopy,
            &[e + 2 + i, 64, e + 1, 64, 0xf],
            &[cn],
        );
    }
    // Delete the full CNode with an interrupt pending: stopped; then again without.
    k.m.pending = true;
    call(&mut k, cn, L::CNodeDelete, &[e, 64], &[]);
    assert!(
        matches!(k.cap(k_root(&k), e), kernel::model::Cap::Zombie { .. }),
        "the kernel left a zombie: {:?}",
        k.cap(k_root(&k), e)
    );
    k.m.pending = false;
    call(&mut k, cn, L::CNodeDelete, &[e, 64], &[]);
    // Revoke the endpoint's 150 copies: stopped after the first check, then finished.
    k.m.pending = true;
    call(&mut k, cn, L::CNodeRevoke, &[e + 1, 64], &[]);
    k.m.pending = false;
    call(&mut k, cn, L::CNodeRevoke, &[e + 1, 64], &[]);
    let words = k.m.trace.clone().expect("a trace");
    let t = decode(&bytes(&words)).unwrap();
    let stopped = t
        .steps
        .iter()
        .filter(|s| s.exit.as_ref().is_some_and(|x| x.preempted_at != 0))
        .count();
    assert_eq!(stopped, 2, "both long operations were stopped once");
    replay(&t).unwrap_or_else(|d| panic!("{d}"));
}

fn k_root(k: &refinement_tests::host::Kernel) -> u64 {
    use kernel::model::tcb::slot;
    match k.root.cap(&k.m, slot::CTABLE) {
        kernel::model::Cap::CNode { ptr, .. } => ptr,
        c => panic!("{c:?}"),
    }
}
