//! Encoding then decoding gives back every record; damaged traces are refused with the
//! place and the reason.

use trace_format::pte::PteProj;
use trace_format::*;

#[derive(Default)]
struct Words(Vec<u64>);
impl Sink for Words {
    fn word(&mut self, w: u64) {
        self.0.push(w);
    }
}
impl Words {
    fn bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|w| w.to_le_bytes()).collect()
    }
}

fn every_cap() -> Vec<CapProj> {
    use CapProj as C;
    vec![
        C::Null,
        C::Untyped {
            ptr: 0x4100_0000,
            size_bits: 24,
            is_device: true,
            free_index: 4096,
        },
        C::Endpoint {
            ptr: 0x1000,
            badge: u64::MAX,
            rights: 15,
        },
        C::Notification {
            ptr: 0x2000,
            badge: 7,
            rights: 3,
        },
        C::Reply {
            tcb: 0x3000,
            master: true,
            can_grant: false,
        },
        C::Reply {
            tcb: 0x3000,
            master: false,
            can_grant: true,
        },
        C::CNode {
            ptr: 0x4000,
            radix: 12,
            guard_size: 52,
            guard: 0x1234,
        },
        C::Thread { tcb: 0x5000 },
        C::IrqControl,
        C::IrqHandler { irq: 1023 },
        C::Zombie {
            ptr: 0x6000,
            is_tcb: true,
            radix: 4,
            number: 9,
        },
        C::Domain,
        C::Frame {
            base: 0x7000,
            size_bits: 21,
            rights: 3,
            is_device: false,
            mapping: Some((511, 0xffff_f000)),
        },
        C::Frame {
            base: 0x7000,
            size_bits: 12,
            rights: 1,
            is_device: true,
            mapping: Some((0, 0)),
        },
        C::Frame {
            base: 0x7000,
            size_bits: 30,
            rights: 2,
            is_device: false,
            mapping: None,
        },
        C::PageTable {
            base: 0x8000,
            mapping: Some((1, 0x1000_0000)),
        },
        C::PageTable {
            base: 0x8000,
            mapping: None,
        },
        C::VSpace {
            base: 0x9000,
            asid: Some(0),
        },
        C::VSpace {
            base: 0x9000,
            asid: None,
        },
        C::AsidControl,
        C::AsidPool {
            base: 0xa000,
            asid_base: 512,
        },
        C::SgiSignal { irq: 15, target: 7 },
    ]
}

fn sample() -> (Words, Trace) {
    let mut w = Words::default();
    encode_header(&mut w);
    let facts = BootFacts {
        cnode_bits: 12,
        ipc_buffer_vaddr: 0x7000_0000,
        bootinfo_vaddr: 0x7000_1000,
        entry: 0x40_0000,
        max_irq: 1023,
        timer_irq: 27,
        first_untyped_slot: 20,
        restores: true,
        objects: [1, 2, 3, 4, 5, 6, 7, 8],
    };
    let untypeds = vec![(0x4100_0000, 24, false), (0x900_0000, 12, true)];
    encode_boot(&mut w, &facts, untypeds.len() as u64);
    for &(p, b, d) in &untypeds {
        encode_untyped(&mut w, p, b, d);
    }
    let bootinfo: Vec<u64> = (0..512).map(|i| i * 7).collect();
    encode_bootinfo(&mut w, bootinfo.iter().copied());
    encode_exit(&mut w, 0x5000, 0, false);
    encode_end(&mut w);
    encode_restore(&mut w, &RESTORE_A);
    let mut context = [0; CONTEXT_WORDS];
    for (i, c) in context.iter_mut().enumerate() {
        *c = i as u64 * 3;
    }
    let buffer: Vec<(usize, u64)> = (0..BUFFER_WORDS).map(|i| (i, 3 * i as u64)).collect();
    let encoded: Vec<(u64, u64)> = buffer.iter().map(|&(i, w)| (i as u64, w)).collect();
    encode_entry(
        &mut w,
        EventKind::Syscall,
        0x5000,
        &context,
        0x40_0010,
        42,
        (0x5600_0000, 0),
        true,
        &encoded,
    );
    // What the first entry wrote: a word, a cleared range, the word again.
    let writes = vec![
        MemoryWrite::Word {
            pa: 0x4000_0040,
            value: 9,
        },
        MemoryWrite::Zero {
            pa: 0x4100_0000,
            len: 0x1000,
        },
        MemoryWrite::Word {
            pa: 0x4000_0040,
            value: 10,
        },
    ];
    for &x in &writes {
        encode_write(&mut w, x);
    }
    // And a word it read from another thread's buffer.
    encode_read(&mut w, 0x4200_0028, 77);
    encode_exit(&mut w, 0x5000, 2, true);
    let thread = ThreadProj {
        tcb: 0x5000,
        state: state::BLOCKED_ON_SEND,
        object: 0x1000,
        badge: 9,
        flags: flags::IS_CALL | flags::CAN_GRANT,
        priority: 255,
        mcp: 254,
        fault_handler: 3,
        ipc_buffer: 0x7000_0000,
        bound_notification: 0x2000,
        fault_ip: 0x40_0010,
        time_slice: 3,
        tcb_flags: 1,
        context,
    };
    thread.encode(&mut w);
    for (i, c) in every_cap().into_iter().enumerate() {
        encode_cap(
            &mut w,
            0x4000,
            i as u64,
            c,
            0x4000 + 32 * (i as u64 + 1),
            i as u64 & 3,
        );
    }
    encode_endpoint(
        &mut w,
        0x1000,
        object_state::SEND_OR_WAITING,
        &[0x5000, 0x6000],
    );
    encode_notification(
        &mut w,
        0x2000,
        object_state::RECV_OR_ACTIVE,
        0x5,
        0x5000,
        &[],
    );
    encode_ready(&mut w, 100, &[0x7000, 0x8000]);
    encode_irq(&mut w, 27, irq::TIMER, true, false);
    encode_irq(&mut w, 33, irq::SIGNAL, false, true);
    encode_sched(&mut w, 0x6000);
    // Lines 27 and 33 enabled, line 5 active.
    encode_controller(&mut w, [1 << 27 | 1 << (32 + 5), 1 << 1].into_iter());
    // An ASID pool with ASID 1's VSpace, whose root points to a level-1 table that maps a
    // 1 GiB block read-only and executable, and holds one descriptor no kernel writes.
    let block = 0x4000_0000 | 0b01 | 3 << 6 | 2 << 2 | 3 << 8 | 1 << 10 | 1 << 11 | 1 << 53;
    encode_asid_pool(&mut w, 0, 0x9000, 1);
    encode_asid(&mut w, 1, 0xa000);
    encode_page_table(&mut w, 0xa000, 0, 1);
    encode_pte(&mut w, 0, 0xb000 | 0b11);
    encode_page_table(&mut w, 0xb000, 1, 2);
    encode_pte(&mut w, 1, block);
    encode_pte(&mut w, 7, 0x10);
    encode_end(&mut w);
    encode_restore(&mut w, &RESTORE_B);
    encode_restore(&mut w, &RESTORE_A);
    let kinds = [
        EventKind::UserException { esr: 0x0200_0000 },
        EventKind::VmFault {
            addr: 0xdead_0000,
            fsr: 0x9200_0007,
            instruction: true,
        },
        EventKind::Timer,
        EventKind::Interrupt { irq: 33 },
    ];
    // The exits after it keep everything but the running thread: SAME items carry the
    // thread, the chunk of caps and both objects from one exit to the next.
    for k in kinds {
        encode_entry(
            &mut w,
            k,
            0,
            &[0; CONTEXT_WORDS],
            0,
            0,
            (0x9200_0007, 0xdead_0000),
            false,
            &[],
        );
        encode_exit(&mut w, 0, 0, false);
        encode_same_thread(&mut w, 0x5000);
        encode_same_caps(&mut w, 0x4000, 0, 1);
        encode_same_object(&mut w, 0x1000);
        encode_same_object(&mut w, 0x2000);
        encode_asid_pool(&mut w, 0, 0x9000, 1);
        encode_asid(&mut w, 1, 0xa000);
        encode_same_table(&mut w, 0xa000, 0);
        encode_same_table(&mut w, 0xb000, 1);
        encode_end(&mut w);
    }
    // The machine halted in the last entry: no exit.
    encode_entry(
        &mut w,
        EventKind::Syscall,
        0x5000,
        &context,
        4,
        99,
        (0x5600_0000, 0),
        false,
        &[(1, 2)],
    );

    let mut exit = Exit {
        lines_enabled: vec![],
        lines_active: vec![],
        current: 0x5000,
        preempted_at: 2,
        fastpath: true,
        threads: Default::default(),
        caps: Default::default(),
        objects: Default::default(),
        ready: Default::default(),
        irqs: Default::default(),
        sched_action: 0,
        asid_pools: [(0, 0x9000)].into(),
        asids: [(1, 0xa000)].into(),
        tables: [
            (
                0xa000,
                TableProj {
                    level: 0,
                    entries: [(0, PteProj::Table { table: 0xb000 })].into(),
                },
            ),
            (
                0xb000,
                TableProj {
                    level: 1,
                    entries: [
                        (
                            1,
                            PteProj::Page {
                                frame: 0x4000_0000,
                                size_bits: 30,
                                rights: 2,
                                executable: true,
                                cacheable: true,
                            },
                        ),
                        (7, PteProj::Other { descriptor: 0x10 }),
                    ]
                    .into(),
                },
            ),
        ]
        .into(),
    };
    exit.threads.insert(0x5000, thread);
    for (i, c) in every_cap().into_iter().enumerate() {
        let slot = SlotProj {
            cap: c,
            mdb_next: 0x4000 + 32 * (i as u64 + 1),
            mdb_flags: i as u64 & 3,
        };
        exit.caps.insert((0x4000, i as u64), slot);
    }
    exit.objects.insert(
        0x1000,
        ObjectProj::Endpoint {
            state: object_state::SEND_OR_WAITING,
            queue: vec![0x5000, 0x6000],
        },
    );
    exit.objects.insert(
        0x2000,
        ObjectProj::Notification {
            state: object_state::RECV_OR_ACTIVE,
            badge: 5,
            bound: 0x5000,
            queue: vec![],
        },
    );
    // The unchanged parts the later exits carry over (the ready queues and IRQ states are
    // written in full each time: these exits have none).
    let mut carried = exit.clone();
    carried.current = 0;
    carried.preempted_at = 0;
    carried.fastpath = false;
    exit.ready.insert(100, vec![0x7000, 0x8000]);
    exit.irqs.insert(
        27,
        IrqProj {
            state: irq::TIMER,
            enabled: true,
            edge: false,
        },
    );
    exit.irqs.insert(
        33,
        IrqProj {
            state: irq::SIGNAL,
            enabled: false,
            edge: true,
        },
    );
    exit.sched_action = 0x6000;
    exit.lines_enabled = vec![27, 33];
    exit.lines_active = vec![5];
    let mut steps = vec![Step {
        entry: Entry {
            kind: EventKind::Syscall,
            thread: 0x5000,
            context,
            fault_ip: 0x40_0010,
            work_units: 42,
            exception: (0x5600_0000, 0),
            fpu: true,
            buffer,
        },
        writes,
        reads: vec![(0x4200_0028, 77)],
        exit: Some(exit),
        restores: vec![RESTORE_B, RESTORE_A],
    }];
    for k in kinds {
        steps.push(Step {
            entry: Entry {
                kind: k,
                thread: 0,
                context: [0; CONTEXT_WORDS],
                fault_ip: 0,
                work_units: 0,
                exception: (0x9200_0007, 0xdead_0000),
                fpu: false,
                buffer: vec![],
            },
            writes: vec![],
            reads: vec![],
            exit: Some(carried.clone()),
            restores: vec![],
        });
    }
    steps.push(Step {
        entry: Entry {
            kind: EventKind::Syscall,
            thread: 0x5000,
            context,
            fault_ip: 4,
            work_units: 99,
            exception: (0x5600_0000, 0),
            fpu: false,
            buffer: vec![(1, 2)],
        },
        writes: vec![],
        reads: vec![],
        exit: None,
        restores: vec![],
    });
    (
        w,
        Trace {
            boot: Boot {
                facts,
                untypeds,
                bootinfo,
            },
            initial: Exit {
                current: 0x5000,
                preempted_at: 0,
                fastpath: false,
                threads: Default::default(),
                caps: Default::default(),
                objects: Default::default(),
                ready: Default::default(),
                irqs: Default::default(),
                sched_action: 0,
                asid_pools: Default::default(),
                asids: Default::default(),
                tables: Default::default(),
                lines_enabled: vec![],
                lines_active: vec![],
            },
            initial_restores: vec![RESTORE_A],
            steps,
        },
    )
}

/// Returns to user level: one into a VSpace with ASID 3 and the FP/SIMD unit on, one into
/// the empty VSpace.
const RESTORE_A: Restore = Restore {
    thread: 0x5000,
    ttbr0: 3 << 48 | 0x4100_0000,
    empty_vspace: 0x4020_9000,
    fpu: true,
    spsr: 0x140,
};
const RESTORE_B: Restore = Restore {
    thread: 0x6000,
    ttbr0: 0x4020_9000,
    empty_vspace: 0x4020_9000,
    fpu: false,
    spsr: 0x3c5,
};

#[test]
fn a_trace_decodes_to_what_was_encoded() {
    let (w, expected) = sample();
    assert_eq!(decode(&w.bytes()).unwrap(), expected);
}

#[test]
fn every_cap_survives_its_encoding() {
    for c in every_cap() {
        assert_eq!(CapProj::from_words(c.to_words()), Some(c), "{c:?}");
    }
    assert_eq!(CapProj::from_words([17, 0, 0, 0, 0]), None);
}

#[test]
fn damaged_traces_are_refused_with_the_place_and_reason() {
    let (w, _) = sample();
    let bytes = w.bytes();

    let e = decode(&bytes[..bytes.len() - 3]).unwrap_err();
    assert!(e.what.contains("not a whole number of words"), "{e}");

    let e = decode(&bytes[8..]).unwrap_err();
    assert_eq!(e.at, 0);
    assert!(e.what.contains("not a kernel trace"), "{e}");

    let mut v = w.0.clone();
    v[1] = VERSION + 1;
    let e = decode(&Words(v).bytes()).unwrap_err();
    assert!(e.what.contains("record the trace again"), "{e}");

    // Cut inside the BootInfo frame.
    let e = decode(&bytes[..8 * 250]).unwrap_err();
    assert!(e.what.contains("BootInfo"), "{e}");

    // Cut inside the first exit: it never reaches END.
    let e = decode(&bytes[..8 * 750]).unwrap_err();
    assert!(e.what.contains("ends inside"), "{e}");

    let mut v = w.0.clone();
    // Header, boot record (tag, 8 facts, 8 objects, count, 2 untypeds, the BootInfo frame),
    // the initial exit (tag, current, preempted_at, fastpath, END), its restore.
    let first_entry = 2 + 9 + 8 + 1 + 6 + 514 + 5 + 6;
    assert_eq!(v[first_entry], tag::ENTRY);
    v[first_entry + 1] = 99;
    let e = decode(&Words(v).bytes()).unwrap_err();
    assert!(e.what.contains("unknown event kind 99"), "{e}");

    // A restore record cut short.
    let e = decode(&Words(w.0[..first_entry - 2].to_vec()).bytes()).unwrap_err();
    assert!(e.what.contains("a restore record"), "{e}");

    let mut v = w.0.clone();
    v[first_entry] = tag::CAP;
    let e = decode(&Words(v).bytes()).unwrap_err();
    assert_eq!(e.at, first_entry);
    assert!(e.what.contains("expected an entry"), "{e}");
}

#[test]
fn the_hash_sees_a_word_move_between_any_two_places() {
    // The same cap word in one slot of a chunk, then in another: every pair of places, and
    // words whose bits sit high, low or everywhere.
    for w in [0xa000_0000_0000_0000u64, 1, 0x8000_0000_0000_0001, u64::MAX] {
        let hashes: Vec<u64> = (0..128)
            .map(|at| {
                let mut words = [0u64; 128];
                words[at] = w;
                hash_words(HASH_START, &words)
            })
            .collect();
        let mut sorted = hashes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), hashes.len(), "a collision for {w:#x}");
    }
}

#[test]
fn a_cut_trace_reads_up_to_its_last_whole_step() {
    let (w, expected) = sample();
    let bytes = w.bytes();
    let (t, cut) = decode_prefix(&bytes).unwrap();
    assert_eq!((t, cut), (expected.clone(), None));
    // Cut one word short: the last step is dropped, and the cut is named.
    let (t, cut) = decode_prefix(&bytes[..bytes.len() - 8]).unwrap();
    let cut = cut.expect("a cut is reported");
    assert!(cut.what.contains("ends inside"), "{cut}");
    assert_eq!(t.steps.len(), expected.steps.len() - 1);
    assert_eq!(t.steps[..], expected.steps[..expected.steps.len() - 1]);
    // A cut inside a word reads the whole words before it.
    let (t, cut) = decode_prefix(&bytes[..bytes.len() - 3]).unwrap();
    assert!(cut.unwrap().what.contains("not a whole number of words"));
    assert_eq!(t.steps.len(), expected.steps.len() - 1);
    // Without the initial state there is nothing to read.
    assert!(decode_prefix(&bytes[..8 * 26]).is_err());
    assert!(decode_prefix(&bytes[..8 * 300]).is_err());
    // Cut inside the first exit: the initial state is all there is.
    let (t, cut) = decode_prefix(&bytes[..8 * 750]).unwrap();
    assert!(t.steps.is_empty() && cut.is_some());
}

/// Writes reduce to their effect: cleared ranges merged, a word's last value kept, a word
/// cleared after it was written gone.
#[test]
fn memory_writes_reduce_to_their_effect() {
    use MemoryWrite::{Word, Zero};
    let e = MemoryEffect::of(&[
        Word {
            pa: 0x100,
            value: 1,
        },
        Word {
            pa: 0x108,
            value: 2,
        },
        Zero { pa: 0x100, len: 8 },
        Zero { pa: 0x108, len: 8 },
        Zero { pa: 0x200, len: 16 },
        Word {
            pa: 0x100,
            value: 3,
        },
        Word {
            pa: 0x300,
            value: 4,
        },
        Word {
            pa: 0x300,
            value: 5,
        },
    ]);
    assert_eq!(e.cleared, vec![(0x100, 0x110), (0x200, 0x210)]);
    assert_eq!(
        e.words.into_iter().collect::<Vec<_>>(),
        vec![(0x100, 3), (0x300, 5)]
    );
    // The order of clears does not matter; a missing one does.
    let a = MemoryEffect::of(&[Zero { pa: 0, len: 256 }, Zero { pa: 256, len: 256 }]);
    let b = MemoryEffect::of(&[Zero { pa: 256, len: 256 }, Zero { pa: 0, len: 256 }]);
    assert_eq!(a, b);
    assert_ne!(a, MemoryEffect::of(&[Zero { pa: 0, len: 256 }]));
}
