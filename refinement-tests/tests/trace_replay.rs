//! The trace layer: the kernel records every entry (on the simulated machine, exactly as it
//! does under QEMU), and the spec, booted from the trace alone, replays it step by step.
//! A faithful trace replays to the end; a tampered one diverges, with the step, the event
//! and a readable diff (`tests/trace_mutants.rs`: so does a mutant kernel's).

use refinement_tests::host::{fixed_programs, program, record};
use refinement_tests::replay::replay;
use trace_format::{CapProj, Trace, decode};

fn bytes(words: &[u64]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

fn fixed(name: &str) -> Trace {
    let words = record(|_, u1, e, b| {
        fixed_programs(u1, e, b)
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| p)
            .expect("a fixed program of that name")
    });
    decode(&bytes(&words)).expect("the kernel writes a trace the decoder reads")
}

const BADGES: &str = "badges and grants through an endpoint";

#[test]
fn every_fixed_program_replays_from_its_trace_alone() {
    for (name, _) in fixed_programs(1, 0, 0) {
        let t = fixed(name);
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
    let mut t = fixed(BADGES);
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
    let mut t = fixed(BADGES);
    t.steps[3].entry.thread ^= 0x800;
    let d = replay(&t).unwrap_err();
    assert_eq!(d.step, 4, "{d}");
    assert!(d.diff.contains("thread entering the kernel"), "{d}");
}
