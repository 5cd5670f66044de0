//! Property tests: random event sequences never panic and never break an invariant, and
//! targeted properties of revoke, retype and badges.

#[path = "rules/common.rs"]
#[allow(dead_code, unused_imports)] // shared with the rules tests; not every helper is used here
mod common;

use common::*;
use proptest::prelude::*;
use spec::api::Event;

/// Capability pointers worth trying: initial caps, the objects, free slots, and junk.
fn cptr() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..20,
        100u64..106,
        200u64..206,
        Just(1u64 << 63),
        any::<u64>(),
    ]
}

/// Message words worth trying: small numbers, slot numbers, depths, types, junk.
fn word() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..16,
        Just(64u64),
        100u64..106,
        200u64..206,
        Just(0x7100_0000u64),
        Just(0x1000_0000u64),
        any::<u64>(),
    ]
}

fn syscall() -> impl Strategy<Value = u64> {
    prop_oneof![
        8 => (0usize..8).prop_map(|i| Syscall::ALL[i].word()),
        1 => (0usize..Syscall::ALL.len()).prop_map(|i| Syscall::ALL[i].word()),
        1 => any::<u64>(),
    ]
}

#[derive(Clone, Debug)]
enum Step {
    Sys {
        number: u64,
        cptr: u64,
        label: u64,
        mrs: Vec<u64>,
        caps: Vec<u64>,
    },
    Tick,
    Irq(u64),
    Exception(u64),
    VmFault(u64, bool),
    /// A supervisor resumes both threads (as TCB Resume by a third thread would).
    ResumeAll,
}

/// A well-formed call (so that random runs get past decoding and change the state).
fn invoke(cptr: u64, label: u64, mrs: Vec<u64>, caps: Vec<u64>) -> Step {
    Step::Sys {
        number: Syscall::Call.word(),
        cptr,
        label,
        mrs,
        caps,
    }
}

/// Slots that usually hold something in `world()`.
fn live_cap() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(ROOT_CNODE),
        Just(FIRST_UNTYPED),
        Just(TCB2),
        Just(sel4_abi::init_cap::INIT_THREAD_TCB),
        Just(EP),
        Just(NTFN),
        Just(CN),
        Just(FRAME),
        Just(sel4_abi::init_cap::INIT_THREAD_VSPACE),
        Just(sel4_abi::init_cap::IRQ_CONTROL),
        Just(sel4_abi::init_cap::ASID_CONTROL),
        200u64..210,
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        // Anything at all.
        3 => (syscall(), cptr(), 0u64..52, prop::collection::vec(word(), 0..10), prop::collection::vec(cptr(), 0..4))
            .prop_map(|(number, cptr, label, mrs, caps)| Step::Sys { number, cptr, label, mrs, caps }),
        // Retype into the free slots 200..210.
        3 => (0u64..10, 0u64..14, 200u64..210, 1u64..3)
            .prop_map(|(t, size, dest, n)| invoke(FIRST_UNTYPED, L::UntypedRetype.word(), vec![t, size, 0, 0, dest, n], vec![ROOT_CNODE])),
        // CNode operations between live slots and free slots, with root-CNode depths.
        4 => (17u64..26, live_cap(), live_cap(), 0u64..16, 0u64..4)
            .prop_map(|(label, dest, src, rights, badge)| invoke(ROOT_CNODE, label, vec![dest, 64, src, 64, rights, badge, src, 64], vec![ROOT_CNODE, ROOT_CNODE])),
        // Any label on a live cap with plausible words and caps.
        4 => (live_cap(), 0u64..52, prop::collection::vec(word(), 0..8), prop::collection::vec(live_cap(), 0..3))
            .prop_map(|(c, label, mrs, caps)| invoke(c, label, mrs, caps)),
        // IPC on the endpoint, the notification, or copies of them.
        6 => ((0usize..8).prop_map(|i| Syscall::ALL[i].word()), prop_oneof![Just(EP), Just(NTFN), 200u64..206], 0u64..4, prop::collection::vec(word(), 0..6), prop::collection::vec(live_cap(), 0..3))
            .prop_map(|(number, cptr, label, mrs, caps)| Step::Sys { number, cptr, label, mrs, caps }),
        2 => Just(Step::Tick),
        1 => (0u64..40).prop_map(Step::Irq),
        1 => any::<u64>().prop_map(Step::Exception),
        1 => (any::<u64>(), any::<bool>()).prop_map(|(a, i)| Step::VmFault(a, i)),
        3 => Just(Step::ResumeAll),
    ]
}

fn run(m: &mut Sim, s: Step) {
    match s {
        Step::Sys {
            number,
            cptr,
            label,
            mrs,
            caps,
        } => {
            let info = sel4_abi::MessageInfo::new(label, 0, caps.len() as u64, mrs.len() as u64);
            let mut regs = [0; 8];
            regs[0] = cptr;
            regs[1] = info.to_word();
            for (i, &w) in mrs.iter().take(4).enumerate() {
                regs[2 + i] = w;
            }
            regs[7] = number;
            let mut buffer: Vec<(usize, u64)> = mrs
                .iter()
                .enumerate()
                .skip(4)
                .map(|(i, &w)| (1 + i, w))
                .collect();
            buffer.extend(
                caps.iter()
                    .enumerate()
                    .map(|(i, &c)| (spec::harness::cap_word(i), c)),
            );
            m.event(Event::Syscall { regs, buffer });
        }
        Step::Tick => {
            m.event(Event::TimerTick);
        }
        Step::Irq(irq) => {
            m.event(Event::Interrupt { irq });
        }
        Step::Exception(esr) => {
            m.event(Event::UserException { esr });
        }
        Step::ResumeAll => {
            let ts: Vec<u64> =
                m.s.threads()
                    .map(|(t, _)| t)
                    .filter(|&t| t != m.s.idle)
                    .collect();
            for t in ts {
                spec::kernel::thread::restart(&mut m.s, t);
            }
            m.event(Event::TimerTick);
        }
        Step::VmFault(addr, instruction) => {
            m.event(Event::VmFault {
                addr,
                fsr: 0,
                instruction,
            });
        }
    }
}

/// A system with two runnable threads, an endpoint, a notification, an IRQ handler.
fn world() -> Sim {
    let mut m = with_objects();
    start_second(&mut m, 255, 0x7100_0000);
    assert_ok(&m.call(
        sel4_abi::init_cap::IRQ_CONTROL,
        L::IrqIssueIrqHandler,
        &[7, 205, 64],
        &[ROOT_CNODE],
    ));
    assert_ok(&m.call(205, L::IrqSetIrqHandler, &[], &[NTFN]));
    m
}

/// 128 cases by default (a debug run stays fast); PROPTEST_CASES asks for more.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        max_global_rejects: 1 << 20,
        ..ProptestConfig::default()
    })]

    /// Any sequence of events keeps every invariant (`Sim::event` checks after each one).
    #[test]
    fn random_events_keep_the_invariants(steps in prop::collection::vec(step(), 1..40)) {
        let mut m = world();
        for s in steps {
            run(&mut m, s);
        }
    }

    /// Revoke deletes exactly the descendants of the slot and nothing else.
    #[test]
    fn revoke_removes_exactly_the_descendants(
        ops in prop::collection::vec((0u64..6, 0u64..6, 0u64..4, 0u64..3), 1..12),
        target in 0u64..6,
    ) {
        let mut m = with_objects();
        // Build a derivation tree among slots 200..206 from EP and NTFN.
        let srcs = [EP, NTFN, 200, 201, 202, 203, 204, 205];
        for (src, dest, badge, kind) in ops {
            let src = srcs[src as usize];
            let dest = 200 + dest;
            if kind == 0 {
                copy(&mut m, src, dest, CapRights::ALL_RIGHTS);
            } else {
                mint(&mut m, src, dest, CapRights::ALL_RIGHTS, badge);
            }
        }
        let slot = srcs[target as usize];
        let desc = m.s.descendants(m.root_slot(slot));
        let before: Vec<u64> = m.s.slots.iter().filter(|(_, c)| !c.cap.is_null()).map(|(a, _)| *a).collect();
        revoke(&mut m, slot);
        let after: Vec<u64> = m.s.slots.iter().filter(|(_, c)| !c.cap.is_null()).map(|(a, _)| *a).collect();
        let expected: Vec<u64> = before.into_iter().filter(|a| !desc.contains(a)).collect();
        prop_assert_eq!(after, expected);
    }

    /// Retype, revoke, retype gives the same addresses.
    #[test]
    fn retype_revoke_retype_reuses_addresses(t in 0usize..8, n in 1u64..8) {
        // Every type that fits the 16 MiB test untyped several times over.
        let ty = ObjectType::ALL
            .into_iter()
            .filter(|t| !matches!(t, ObjectType::HugePage | ObjectType::LargePage))
            .nth(t)
            .unwrap();
        let size = match ty { ObjectType::Untyped => 8, ObjectType::CapTable => 2, _ => 0 };
        let mut m = Sim::default();
        assert_ok(&m.retype(FIRST_UNTYPED, ty, size, 300, n));
        let first: Vec<_> = (300..300 + n).map(|i| m.root_cap(i).region()).collect();
        assert_ok(&revoke(&mut m, FIRST_UNTYPED));
        assert_ok(&m.retype(FIRST_UNTYPED, ty, size, 300, n));
        let second: Vec<_> = (300..300 + n).map(|i| m.root_cap(i).region()).collect();
        prop_assert_eq!(first, second);
    }

    /// The badge a receiver sees is the badge minted into the sender's cap.
    #[test]
    fn a_minted_badge_is_the_badge_received(badge in 1u64.., label in 0u64..1000) {
        let mut m = with_objects();
        start_second(&mut m, 10, 0x7100_0000);
        let root = m.s.current;
        assert_ok(&mint(&mut m, EP, 200, CapRights::ALL_RIGHTS, badge));
        m.syscall(Syscall::Recv, EP, 0, &[], &[]);
        m.syscall(Syscall::Send, 200, label, &[1], &[]);
        let r = m.reply_of(root);
        prop_assert_eq!((r.badge, r.label), (badge, label));
    }

    /// An invocation that fails changes nothing but the caller's registers and IPC buffer:
    /// decoding is checked before anything is done.
    #[test]
    fn failed_invocations_change_nothing(
        prefix in prop::collection::vec(step(), 0..20),
        cap in prop_oneof![
            Just(ROOT_CNODE), Just(FIRST_UNTYPED), Just(TCB2), Just(CN), Just(FRAME),
            Just(sel4_abi::init_cap::INIT_THREAD_TCB), Just(sel4_abi::init_cap::INIT_THREAD_VSPACE),
            Just(sel4_abi::init_cap::IRQ_CONTROL), Just(sel4_abi::init_cap::ASID_CONTROL),
        ],
        label in 0u64..52,
        mrs in prop::collection::vec(word(), 0..8),
        caps in prop::collection::vec(live_cap(), 0..3),
    ) {
        let mut m = world();
        for s in prefix {
            run(&mut m, s);
        }
        if m.s.current == m.s.idle {
            run(&mut m, Step::ResumeAll);
        }
        let me = m.s.current;
        prop_assume!(me != m.s.idle);
        let invoked = spec::kernel::cspace::lookup_cap_and_slot(&m.s, me, cap).map(|(c, _)| c);
        prop_assume!(matches!(invoked, Ok(c) if !matches!(c, Cap::Endpoint { .. } | Cap::Notification { .. } | Cap::Reply { .. } | Cap::Null)));
        let before = m.s.clone();
        let r = m.call_raw(cap, label, &mrs, &caps);
        prop_assume!(r.label != 0 && m.s.is_tcb(me) && m.s.tcb(me).state == ThreadState::Running);
        prop_assert_eq!(&m.s.slots, &before.slots);
        prop_assert_eq!(&m.s.ready, &before.ready);
        prop_assert_eq!(m.s.current, before.current);
        for (a, o) in &before.objects {
            if *a != me {
                prop_assert_eq!(m.s.objects.get(a), Some(o));
            }
        }
        prop_assert_eq!(m.s.objects.len(), before.objects.len());
    }

    /// A message arrives word for word (cut to 120), with the sender's label and badge, and
    /// a Call's reply comes back the same way.
    #[test]
    fn messages_arrive_intact(
        words in prop::collection::vec(any::<u64>(), 0..127),
        reply in prop::collection::vec(any::<u64>(), 0..127),
        badge in 1u64..,
        label in 0u64..(1 << 20),
    ) {
        let mut m = with_objects();
        start_second(&mut m, 10, 0x7100_0000);
        let root = m.s.current;
        let client = tcb_at(&m, TCB2);
        assert_ok(&mint(&mut m, EP, 200, CapRights::ALL_RIGHTS, badge));
        m.syscall(Syscall::Recv, EP, 0, &[], &[]);
        m.syscall(Syscall::Call, 200, label, &words, &[]);
        let got = m.reply_of(root);
        prop_assert_eq!((got.badge, got.label), (badge, label));
        prop_assert_eq!(&got.words[..], &words[..words.len().min(120)]);
        m.syscall(Syscall::Reply, 0, label + 1, &reply, &[]);
        let back = m.reply_of(client);
        prop_assert_eq!((back.badge, back.label), (0, label + 1));
        prop_assert_eq!(&back.words[..], &reply[..reply.len().min(120)]);
    }
}
