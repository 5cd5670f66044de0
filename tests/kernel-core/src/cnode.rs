//! CNode invocations: Copy, Mint, Move, Mutate, Rotate, Delete, Revoke, their errors, and a
//! multi-level CSpace.

use sel4::abi::CapType as Tag;
use sel4::abi::init_cap;
use sel4::cap_type::{
    CNode, Endpoint, IrqControl, Notification, SgiSignal, SmallPage, Tcb, Unspecified,
};
use sel4::{CNodeCapData, Cap, CapRights, Error, LookupFailure, Message, ObjectType};

use crate::env::{Context, Env, Outcome, Test, root};
use crate::{ensure, expect_eq};

pub const TESTS: &[Test] = &[
    ("cnode copy with reduced rights", copy_reduced_rights),
    ("cnode mint badges a notification", mint_badge),
    (
        "cnode mint from a badged cap is IllegalOperation",
        mint_from_badged,
    ),
    ("cnode move empties the source", move_empties),
    (
        "cnode mutate of an endpoint is IllegalOperation",
        mutate_endpoint,
    ),
    (
        "cnode mutate of a CNode cap sets its guard",
        mutate_cnode_guard,
    ),
    ("cnode rotate moves three slots", rotate),
    ("cnode delete empties the slot", delete),
    ("cnode revoke deletes copies and keeps the original", revoke),
    (
        "cnode copy into an occupied slot is DeleteFirst",
        copy_into_occupied,
    ),
    (
        "cnode copy from an empty slot is FailedLookup",
        copy_from_empty,
    ),
    ("cnode depth 0 is RangeError 1..64", depth_0),
    (
        "cnode guard mismatch in a cptr argument is FailedLookup",
        guard_mismatch,
    ),
    (
        "cnode copy of an untyped with children is RevokeFirst",
        copy_untyped_with_children,
    ),
    (
        "cnode copy of IRQControl is IllegalOperation",
        copy_irq_control,
    ),
    (
        "irq IssueSGISignal checks its arguments; the cap sends, copies, and is revoked",
        sgi_signal,
    ),
    ("cnode multi-level CSpace resolves at depth 64", multi_level),
    (
        "cnode rights cannot be regained by a later copy",
        rights_not_regained,
    ),
    (
        "cnode mint of a CNode cap keeps guard_size bits of the guard",
        guard_masked,
    ),
    (
        "cnode mint of a CNode guard longer than the word is IllegalOperation",
        guard_too_long,
    ),
    (
        "cnode move into an occupied slot is DeleteFirst",
        move_into_occupied,
    ),
    (
        "cnode move from an empty slot is FailedLookup",
        move_from_empty,
    ),
    (
        "cnode copy without its source CNode cap is TruncatedMessage",
        copy_truncated,
    ),
    (
        "cnode Retype label on a CNode is IllegalOperation",
        wrong_label,
    ),
    (
        "cnode Call through the null cap is InvalidCapability 0",
        call_null,
    ),
    (
        "cnode rotate with pivot equal to source or destination is IllegalOperation",
        rotate_errors,
    ),
    (
        "cnode deleting an untyped leaves the objects made from it",
        delete_untyped_keeps_objects,
    ),
    (
        "cnode error replies carry exactly their payload words",
        error_lengths,
    ),
    (
        "cnode revoking a badged cap keeps a cap minted apart with the same badge",
        revoke_badged_keeps_sibling,
    ),
    (
        "cnode revoke reaches a child moved to another slot",
        revoke_reaches_moved_cap,
    ),
    (
        "cnode deleting the last child of an untyped resets it",
        delete_last_child_resets,
    ),
    (
        "cnode deleting a non-final CNode cap keeps its contents",
        delete_non_final_cnode,
    ),
];

fn slot(s: u64) -> sel4::AbsoluteCPtr {
    root().relative_bits(s, 64)
}

fn identify(s: u64) -> Option<Tag> {
    Cap::<Unspecified>::from_cptr(s).debug_identify()
}

fn copy_reduced_rights(env: &Env) -> Outcome {
    let n = env.alloc::<Notification>()?;
    let read_only = env.slot();
    slot(read_only)
        .copy(&root().relative(n), CapRights::CAN_READ)
        .ctx("copy")?;
    expect_eq!(identify(read_only), Some(Tag::Notification), "copy");
    // Signal through the copy without Write is dropped; through the original it counts.
    Cap::<Notification>::from_cptr(read_only).signal();
    expect_eq!(
        n.poll(),
        0,
        "poll after signalling through the read-only copy"
    );
    // Copy of an endpoint without Write: Call is InvalidCapability 0.
    let ep = env.alloc::<Endpoint>()?;
    let no_write = env.slot();
    slot(no_write)
        .copy(&root().relative(ep), CapRights::NO_WRITE)
        .ctx("copy ep")?;
    expect_eq!(
        sel4::invoke(Cap::<Endpoint>::from_cptr(no_write), &Message::new(0)).map(drop),
        Err(Error::InvalidCapability { index: 0 }),
        "Call through the copy without Write"
    );
    Ok(())
}

fn mint_badge(env: &Env) -> Outcome {
    let n = env.alloc::<Notification>()?;
    let b = env.slot();
    slot(b)
        .mint(&root().relative(n), CapRights::ALL_RIGHTS, 0x55)
        .ctx("mint")?;
    Cap::<Notification>::from_cptr(b).signal();
    expect_eq!(n.poll(), 0x55, "poll after signalling the badged cap");
    Ok(())
}

fn mint_from_badged(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    let (b, c) = (env.slot(), env.slot());
    slot(b)
        .mint(&root().relative(ep), CapRights::ALL_RIGHTS, 7)
        .ctx("mint")?;
    expect_eq!(
        slot(c).mint(&slot(b), CapRights::ALL_RIGHTS, 9),
        Err(Error::IllegalOperation),
        "re-badge 9"
    );
    expect_eq!(
        slot(c).mint(&slot(b), CapRights::ALL_RIGHTS, 0),
        Err(Error::IllegalOperation),
        "re-badge 0"
    );
    expect_eq!(identify(c), None, "destination");
    // A plain Copy of the badged cap is fine.
    slot(c)
        .copy(&slot(b), CapRights::ALL_RIGHTS)
        .ctx("copy of the badged cap")?;
    Ok(())
}

fn move_empties(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    let d = env.slot();
    slot(d).move_(&root().relative(ep)).ctx("move")?;
    expect_eq!(identify(ep.cptr()), None, "source");
    expect_eq!(identify(d), Some(Tag::Endpoint), "destination");
    Ok(())
}

fn mutate_endpoint(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    let d = env.slot();
    expect_eq!(
        slot(d).mutate(&root().relative(ep), 5),
        Err(Error::IllegalOperation),
        "badge 5"
    );
    expect_eq!(
        slot(d).mutate(&root().relative(ep), 0),
        Err(Error::IllegalOperation),
        "badge 0"
    );
    expect_eq!(identify(ep.cptr()), Some(Tag::Endpoint), "source kept");
    Ok(())
}

fn mutate_cnode_guard(env: &Env) -> Outcome {
    let cn = env.alloc_cnode(4)?;
    let g = env.slot();
    // Guard 0 of 60 bits + radix 4: the CNode alone resolves a 64-bit cptr.
    slot(g)
        .mutate(&root().relative(cn), CNodeCapData::new(0, 60).to_word())
        .ctx("mutate")?;
    expect_eq!(identify(cn.cptr()), None, "source");
    let guarded = Cap::<CNode>::from_cptr(g);
    let ep = env.alloc::<Endpoint>()?;
    guarded
        .relative_bits(5, 64)
        .copy(&root().relative(ep), CapRights::ALL_RIGHTS)
        .ctx("copy into (guarded, 5, 64)")?;
    let back = env.slot();
    slot(back)
        .copy(&guarded.relative_bits(5, 64), CapRights::ALL_RIGHTS)
        .ctx("copy back")?;
    expect_eq!(identify(back), Some(Tag::Endpoint), "copied back");
    // Depth 4 no longer covers the guard.
    expect_eq!(
        slot(env.slot()).copy(&guarded.relative_bits(5, 4), CapRights::ALL_RIGHTS),
        Err(Error::FailedLookup {
            source: true,
            failure: LookupFailure::GuardMismatch {
                bits_left: 4,
                guard_found: 0,
                guard_size: 60
            }
        }),
        "depth 4"
    );
    Ok(())
}

fn rotate(env: &Env) -> Outcome {
    let dest = env.slot();
    let pivot = env.alloc::<Tcb>()?;
    let src = env.alloc::<SmallPage>()?;
    slot(dest)
        .rotate(0, &root().relative(pivot), 0, &root().relative(src))
        .ctx("rotate")?;
    expect_eq!(
        identify(dest),
        Some(Tag::Thread),
        "dest holds the pivot's cap"
    );
    expect_eq!(
        identify(pivot.cptr()),
        Some(Tag::Frame),
        "pivot holds the source's cap"
    );
    expect_eq!(identify(src.cptr()), None, "source");
    // dest == src: a swap.
    slot(dest)
        .rotate(0, &root().relative(pivot), 0, &slot(dest))
        .ctx("swap")?;
    expect_eq!(identify(dest), Some(Tag::Frame), "swapped dest");
    expect_eq!(identify(pivot.cptr()), Some(Tag::Thread), "swapped pivot");
    Ok(())
}

fn delete(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    let c = env.slot();
    slot(c)
        .copy(&root().relative(ep), CapRights::ALL_RIGHTS)
        .ctx("copy")?;
    slot(c).delete().ctx("delete")?;
    expect_eq!(identify(c), None, "deleted slot");
    expect_eq!(identify(ep.cptr()), Some(Tag::Endpoint), "original");
    slot(c).delete().ctx("delete of an empty slot")?;
    Ok(())
}

fn revoke(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    let (c, m, cc) = (env.slot(), env.slot(), env.slot());
    slot(c)
        .copy(&root().relative(ep), CapRights::ALL_RIGHTS)
        .ctx("copy")?;
    slot(m)
        .mint(&root().relative(ep), CapRights::ALL_RIGHTS, 3)
        .ctx("mint")?;
    slot(cc)
        .copy(&slot(m), CapRights::ALL_RIGHTS)
        .ctx("copy of the minted cap")?;
    root().relative(ep).revoke().ctx("revoke")?;
    expect_eq!(identify(c), None, "copy");
    expect_eq!(identify(m), None, "badged copy");
    expect_eq!(identify(cc), None, "copy of the badged copy");
    expect_eq!(identify(ep.cptr()), Some(Tag::Endpoint), "original");
    Ok(())
}

fn copy_into_occupied(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    let n = env.alloc::<Notification>()?;
    expect_eq!(
        root()
            .relative(n)
            .copy(&root().relative(ep), CapRights::ALL_RIGHTS),
        Err(Error::DeleteFirst),
        "copy onto a notification"
    );
    expect_eq!(
        identify(n.cptr()),
        Some(Tag::Notification),
        "destination kept"
    );
    Ok(())
}

fn copy_from_empty(env: &Env) -> Outcome {
    let (e, d) = (env.slot(), env.slot());
    expect_eq!(
        slot(d).copy(&slot(e), CapRights::ALL_RIGHTS),
        Err(Error::FailedLookup {
            source: true,
            failure: LookupFailure::MissingCapability { bits_left: 64 }
        }),
        "depth 64"
    );
    // In a CNode without a guard, depth 4 names a slot; bits left is again the depth.
    let cn = env.alloc_cnode(4)?;
    expect_eq!(
        slot(d).copy(&cn.relative_bits(3, 4), CapRights::ALL_RIGHTS),
        Err(Error::FailedLookup {
            source: true,
            failure: LookupFailure::MissingCapability { bits_left: 4 }
        }),
        "depth 4 in a radix-4 CNode"
    );
    Ok(())
}

fn depth_0(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    let d = env.slot();
    expect_eq!(
        root()
            .relative_bits(d, 0)
            .copy(&root().relative(ep), CapRights::ALL_RIGHTS),
        Err(Error::RangeError { min: 1, max: 64 }),
        "destination depth 0"
    );
    expect_eq!(
        root().relative_bits(d, 65).delete(),
        Err(Error::RangeError { min: 1, max: 64 }),
        "delete at depth 65"
    );
    expect_eq!(
        slot(d).copy(&root().relative_bits(ep.cptr(), 0), CapRights::ALL_RIGHTS),
        Err(Error::RangeError { min: 1, max: 64 }),
        "source depth 0"
    );
    Ok(())
}

fn guard_mismatch(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    let d = env.slot();
    expect_eq!(
        slot(d).copy(&slot(1 << 63 | ep.cptr()), CapRights::ALL_RIGHTS),
        Err(Error::FailedLookup {
            source: true,
            failure: LookupFailure::GuardMismatch {
                bits_left: 64,
                guard_found: 0,
                guard_size: 52
            }
        }),
        "source with bit 63 set"
    );
    expect_eq!(
        slot(1 << 40 | d).copy(&root().relative(ep), CapRights::ALL_RIGHTS),
        Err(Error::FailedLookup {
            source: false,
            failure: LookupFailure::GuardMismatch {
                bits_left: 64,
                guard_found: 0,
                guard_size: 52
            }
        }),
        "destination with bit 40 set"
    );
    Ok(())
}

fn copy_untyped_with_children(env: &Env) -> Outcome {
    let ut = env.alloc_untyped(12)?;
    let d = env.slot();
    slot(d)
        .copy(&root().relative(ut), CapRights::ALL_RIGHTS)
        .ctx("copy of a childless untyped")?;
    let ut2 = env.alloc_untyped(12)?;
    let child = env.slot();
    ut2.untyped_retype(ObjectType::Endpoint, 0, &root().itself(), child, 1)
        .ctx("retype")?;
    expect_eq!(
        slot(env.slot()).copy(&root().relative(ut2), CapRights::ALL_RIGHTS),
        Err(Error::RevokeFirst),
        "copy of an untyped with a child"
    );
    Ok(())
}

fn copy_irq_control(env: &Env) -> Outcome {
    let d = env.slot();
    expect_eq!(
        slot(d).copy(&slot(init_cap::IRQ_CONTROL), CapRights::ALL_RIGHTS),
        Err(Error::IllegalOperation),
        "copy IRQControl"
    );
    expect_eq!(identify(d), None, "destination");
    Ok(())
}

fn sgi_signal(env: &Env) -> Outcome {
    let control = Cap::<IrqControl>::from_cptr(init_cap::IRQ_CONTROL);
    let (d, copy) = (env.slot(), env.slot());
    expect_eq!(
        control.irq_control_issue_sgi_signal(16, 0, &slot(d)),
        Err(Error::RangeError { min: 0, max: 15 }),
        "SGI 16"
    );
    expect_eq!(
        control.irq_control_issue_sgi_signal(1, 8, &slot(d)),
        Err(Error::InvalidArgument { index: 1 }),
        "target 8 on a GICv2"
    );
    expect_eq!(
        control.irq_control_issue_sgi_signal(1, 0, &slot(init_cap::INIT_THREAD_TCB)),
        Err(Error::DeleteFirst),
        "occupied destination"
    );
    control
        .irq_control_issue_sgi_signal(1, 0, &slot(d))
        .ctx("IssueSGISignal")?;
    expect_eq!(identify(d), Some(Tag::SgiSignal), "the new cap");
    slot(copy)
        .copy(&slot(d), CapRights::ALL_RIGHTS)
        .ctx("copy of an SGI signal cap")?;
    // Sending SGI 1 to this core: the kernel takes it (no handler: nothing more) and
    // carries on.
    Cap::<SgiSignal>::from_cptr(copy)
        .sgi_signal_generate()
        .ctx("generate through the copy")?;
    Cap::<SgiSignal>::from_cptr(d)
        .sgi_signal_generate()
        .ctx("generate")?;
    slot(d).revoke().ctx("revoke the SGI cap")?;
    expect_eq!(identify(copy), None, "the copy went with the revoke");
    slot(d).delete().ctx("delete")?;
    Ok(())
}

fn multi_level(env: &Env) -> Outcome {
    // top: 16 slots, no guard; child: 16 slots behind a 56-bit guard in top[1].
    // Path of a 64-bit cptr from top: 4 bits (index 1), 56 guard bits (0), 4 bits.
    let top = env.alloc_cnode(4)?;
    let child = env.alloc_cnode(4)?;
    top.relative_bits(1, 4)
        .mint(
            &root().relative(child),
            CapRights::ALL_RIGHTS,
            CNodeCapData::new(0, 56).to_word(),
        )
        .ctx("mint the child into top[1] with a guard")?;
    let ep = env.alloc::<Endpoint>()?;
    child
        .relative_bits(2, 4)
        .copy(&root().relative(ep), CapRights::ALL_RIGHTS)
        .ctx("copy into child[2]")?;
    let cptr = 1 << 60 | 2;
    let back = env.slot();
    slot(back)
        .copy(&top.relative_bits(cptr, 64), CapRights::ALL_RIGHTS)
        .ctx("copy from (top, 1<<60|2, 64)")?;
    expect_eq!(
        identify(back),
        Some(Tag::Endpoint),
        "reached through two levels"
    );
    expect_eq!(
        slot(env.slot()).copy(
            &top.relative_bits(cptr | 1 << 20, 64),
            CapRights::ALL_RIGHTS
        ),
        Err(Error::FailedLookup {
            source: true,
            failure: LookupFailure::GuardMismatch {
                bits_left: 60,
                guard_found: 0,
                guard_size: 56
            }
        }),
        "guard bit 20 set"
    );
    expect_eq!(
        slot(env.slot()).copy(&top.relative_bits(1 << 60 | 3, 64), CapRights::ALL_RIGHTS),
        Err(Error::FailedLookup {
            source: true,
            failure: LookupFailure::MissingCapability { bits_left: 64 }
        }),
        "empty child[3]"
    );
    // Depth 8 from top reaches the child cap with 4 bits left, fewer than its guard.
    ensure!(
        matches!(
            slot(env.slot()).copy(&top.relative_bits(0x12, 8), CapRights::ALL_RIGHTS),
            Err(Error::FailedLookup {
                source: true,
                failure: LookupFailure::GuardMismatch { .. }
            })
        ),
        "depth 8 stops at the child's guard"
    );
    Ok(())
}

fn rights_not_regained(env: &Env) -> Outcome {
    let n = env.alloc::<Notification>()?;
    let (r, all) = (env.slot(), env.slot());
    slot(r)
        .copy(&root().relative(n), CapRights::CAN_READ)
        .ctx("copy read-only")?;
    slot(all)
        .copy(&slot(r), CapRights::ALL_RIGHTS)
        .ctx("copy with all rights")?;
    Cap::<Notification>::from_cptr(all).signal();
    expect_eq!(n.poll(), 0, "signal through the second copy");
    Ok(())
}

fn guard_masked(env: &Env) -> Outcome {
    let cn = env.alloc_cnode(4)?;
    let g = env.slot();
    // Guard 0xff of 4 bits keeps 0xf.
    slot(g)
        .mint(
            &root().relative(cn),
            CapRights::ALL_RIGHTS,
            CNodeCapData::new(0xff, 4).to_word(),
        )
        .ctx("mint")?;
    let ep = env.alloc::<Endpoint>()?;
    let guarded = Cap::<CNode>::from_cptr(g);
    guarded
        .relative_bits(0xf3, 8)
        .copy(&root().relative(ep), CapRights::ALL_RIGHTS)
        .ctx("copy to (guarded, 0xf3, 8)")?;
    let back = env.slot();
    slot(back)
        .copy(&cn.relative_bits(3, 4), CapRights::ALL_RIGHTS)
        .ctx("copy back")?;
    expect_eq!(identify(back), Some(Tag::Endpoint), "slot 3");
    Ok(())
}

fn guard_too_long(env: &Env) -> Outcome {
    let cn = env.alloc_cnode(4)?;
    expect_eq!(
        slot(env.slot()).mint(
            &root().relative(cn),
            CapRights::ALL_RIGHTS,
            CNodeCapData::new(0, 61).to_word()
        ),
        Err(Error::IllegalOperation),
        "guard 61 + radix 4"
    );
    Ok(())
}

fn move_into_occupied(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    let n = env.alloc::<Notification>()?;
    expect_eq!(
        root().relative(n).move_(&root().relative(ep)),
        Err(Error::DeleteFirst),
        "move"
    );
    expect_eq!(identify(ep.cptr()), Some(Tag::Endpoint), "source kept");
    Ok(())
}

fn move_from_empty(env: &Env) -> Outcome {
    let (e, d) = (env.slot(), env.slot());
    expect_eq!(
        slot(d).move_(&slot(e)),
        Err(Error::FailedLookup {
            source: true,
            failure: LookupFailure::MissingCapability { bits_left: 64 }
        }),
        "move"
    );
    Ok(())
}

fn copy_truncated(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    let d = env.slot();
    let m = Message::with_words(
        sel4::InvocationLabel::CNodeCopy.word(),
        &[d, 64, ep.cptr(), 64, CapRights::ALL_RIGHTS.bits()],
    );
    expect_eq!(
        sel4::invoke(root(), &m).map(drop),
        Err(Error::TruncatedMessage),
        "no cap"
    );
    let mut m = Message::with_words(
        sel4::InvocationLabel::CNodeCopy.word(),
        &[d, 64, ep.cptr(), 64],
    );
    m.push_cap(root());
    expect_eq!(
        sel4::invoke(root(), &m).map(drop),
        Err(Error::TruncatedMessage),
        "4 words"
    );
    Ok(())
}

fn wrong_label(_: &Env) -> Outcome {
    let m = Message::with_words(
        sel4::InvocationLabel::UntypedRetype.word(),
        &[2, 0, 0, 0, 0, 1],
    );
    expect_eq!(
        sel4::invoke(root(), &m).map(drop),
        Err(Error::IllegalOperation),
        "Retype on a CNode"
    );
    Ok(())
}

fn call_null(env: &Env) -> Outcome {
    expect_eq!(
        sel4::invoke(Cap::<Endpoint>::null(), &Message::new(1)).map(drop),
        Err(Error::InvalidCapability { index: 0 }),
        "slot 0"
    );
    expect_eq!(
        sel4::invoke(Cap::<Endpoint>::from_cptr(env.slot()), &Message::new(1)).map(drop),
        Err(Error::InvalidCapability { index: 0 }),
        "an empty slot"
    );
    Ok(())
}

fn rotate_errors(env: &Env) -> Outcome {
    let a = env.alloc::<Tcb>()?;
    let b = env.alloc::<SmallPage>()?;
    let c = env.alloc::<Tcb>()?;
    let d = env.slot();
    expect_eq!(
        slot(d).rotate(0, &root().relative(a), 0, &root().relative(a)),
        Err(Error::IllegalOperation),
        "pivot == source"
    );
    expect_eq!(
        slot(d).rotate(0, &slot(d), 0, &root().relative(a)),
        Err(Error::IllegalOperation),
        "pivot == destination"
    );
    expect_eq!(
        root()
            .relative(c)
            .rotate(0, &root().relative(a), 0, &root().relative(b)),
        Err(Error::DeleteFirst),
        "occupied destination"
    );
    Ok(())
}

fn delete_untyped_keeps_objects(env: &Env) -> Outcome {
    let ut = env.alloc_untyped(12)?;
    let s = env.slot();
    ut.untyped_retype(ObjectType::Endpoint, 0, &root().itself(), s, 1)
        .ctx("retype")?;
    root().relative(ut).delete().ctx("delete the untyped")?;
    expect_eq!(identify(ut.cptr()), None, "untyped slot");
    expect_eq!(identify(s), Some(Tag::Endpoint), "its endpoint");
    Ok(())
}

fn error_lengths(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    let cases: [(Message, u64, usize); 5] = [
        // IllegalOperation: no payload.
        (
            sel4::invocation::request::cnode_copy(
                &slot(env.slot()),
                &slot(init_cap::IRQ_CONTROL),
                CapRights::ALL_RIGHTS,
            ),
            3,
            0,
        ),
        // RangeError: min, max.
        (
            sel4::invocation::request::cnode_delete(&root().relative_bits(5, 0)),
            4,
            2,
        ),
        // FailedLookup with MissingCapability: source flag, type, bits left.
        (
            sel4::invocation::request::cnode_copy(
                &slot(env.slot()),
                &slot(env.slot()),
                CapRights::ALL_RIGHTS,
            ),
            6,
            3,
        ),
        // FailedLookup with GuardMismatch: source flag, type, bits left, guard, guard size.
        (
            sel4::invocation::request::cnode_copy(
                &slot(env.slot()),
                &slot(1 << 63),
                CapRights::ALL_RIGHTS,
            ),
            6,
            5,
        ),
        // DeleteFirst: no payload.
        (
            sel4::invocation::request::cnode_copy(
                &root().relative(ep),
                &root().relative(ep),
                CapRights::ALL_RIGHTS,
            ),
            8,
            0,
        ),
    ];
    for (i, (req, label, len)) in cases.iter().enumerate() {
        let r = sel4::ipc::call(root(), req);
        expect_eq!((r.label(), r.len()), (*label, *len), i);
    }
    Ok(())
}

fn revoke_badged_keeps_sibling(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    let (b, b_copy, c) = (env.slot(), env.slot(), env.slot());
    slot(b)
        .mint(&root().relative(ep), CapRights::ALL_RIGHTS, 5)
        .ctx("mint b")?;
    slot(b_copy)
        .copy(&slot(b), CapRights::ALL_RIGHTS)
        .ctx("copy b")?;
    slot(c)
        .mint(&root().relative(ep), CapRights::ALL_RIGHTS, 5)
        .ctx("mint c, same badge")?;
    slot(b).revoke().ctx("revoke b")?;
    expect_eq!(identify(b), Some(Tag::Endpoint), "b");
    expect_eq!(identify(b_copy), None, "copy of b");
    expect_eq!(
        identify(c),
        Some(Tag::Endpoint),
        "c, minted separately with the same badge"
    );
    Ok(())
}

fn revoke_reaches_moved_cap(env: &Env) -> Outcome {
    let ut = env.alloc_untyped(12)?;
    let (s, moved) = (env.slot(), env.slot());
    ut.untyped_retype(ObjectType::Endpoint, 0, &root().itself(), s, 1)
        .ctx("retype")?;
    slot(moved).move_(&slot(s)).ctx("move the child")?;
    root().relative(ut).revoke().ctx("revoke the untyped")?;
    expect_eq!(identify(moved), None, "moved child");
    Ok(())
}

fn delete_last_child_resets(env: &Env) -> Outcome {
    let ut = env.alloc_untyped(12)?;
    let (v, p) = (env.slot(), env.slot());
    ut.untyped_retype(ObjectType::Untyped, 11, &root().itself(), v, 1)
        .ctx("child untyped")?;
    expect_eq!(
        ut.untyped_retype(ObjectType::SmallPage, 0, &root().itself(), p, 1),
        Err(Error::NotEnoughMemory { bytes_left: 2048 }),
        "page beside the child untyped"
    );
    slot(v).delete().ctx("delete the child")?;
    ut.untyped_retype(ObjectType::SmallPage, 0, &root().itself(), p, 1)
        .ctx("page once the untyped has no children")?;
    Ok(())
}

fn delete_non_final_cnode(env: &Env) -> Outcome {
    let cn = env.alloc_cnode(4)?;
    let cn2 = env.slot();
    slot(cn2)
        .copy(&root().relative(cn), CapRights::ALL_RIGHTS)
        .ctx("copy the CNode cap")?;
    let ep = env.alloc::<Endpoint>()?;
    cn.relative_bits(7, 4)
        .copy(&root().relative(ep), CapRights::ALL_RIGHTS)
        .ctx("endpoint into the CNode")?;
    root().relative(cn).delete().ctx("delete one CNode cap")?;
    let back = env.slot();
    slot(back)
        .copy(
            &Cap::<CNode>::from_cptr(cn2).relative_bits(7, 4),
            CapRights::ALL_RIGHTS,
        )
        .ctx("copy out through the other CNode cap")?;
    expect_eq!(identify(back), Some(Tag::Endpoint), "contents kept");
    Ok(())
}
