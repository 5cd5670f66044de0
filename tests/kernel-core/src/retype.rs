//! Untyped Retype: every object type this kernel makes, each error in seL4's order, the
//! watermark and the reset of an untyped without children.

use sel4::abi::CapType as Tag;
use sel4::cap_type::{Endpoint, Notification, SmallPage, Untyped};
use sel4::{Cap, Error, InvocationLabel, Message, ObjectType};

use crate::env::{Context, Env, Outcome, Test, root};
use crate::{ensure, expect_eq};

pub const TESTS: &[Test] = &[
    ("retype Endpoint", |e| {
        made(e, ObjectType::Endpoint, 0, Tag::Endpoint)
    }),
    ("retype Notification", |e| {
        made(e, ObjectType::Notification, 0, Tag::Notification)
    }),
    ("retype Tcb", |e| made(e, ObjectType::Tcb, 0, Tag::Thread)),
    ("retype CapTable radix 4", |e| {
        made(e, ObjectType::CapTable, 4, Tag::CNode)
    }),
    ("retype Untyped 2^12", |e| {
        made(e, ObjectType::Untyped, 12, Tag::Untyped)
    }),
    ("retype SmallPage", |e| {
        made(e, ObjectType::SmallPage, 0, Tag::Frame)
    }),
    ("retype LargePage", |e| {
        made(e, ObjectType::LargePage, 0, Tag::Frame)
    }),
    ("retype PageTable", |e| {
        made(e, ObjectType::PageTable, 0, Tag::PageTable)
    }),
    ("retype VSpace", |e| {
        made(e, ObjectType::VSpace, 0, Tag::VSpace)
    }),
    ("retype several objects in one call", several),
    ("retype bad type is InvalidArgument 0", bad_type),
    ("retype CNode radix 0 is InvalidArgument 1", cnode_radix_0),
    (
        "retype Untyped below 2^4 is InvalidArgument 1",
        untyped_too_small,
    ),
    ("retype size_bits 64 is RangeError 0..47", size_bits_64),
    (
        "retype offset past the CNode is RangeError 0..4095",
        offset_past_cnode,
    ),
    ("retype window 0 is RangeError 1..256", window_0),
    ("retype window 257 is RangeError 1..256", window_257),
    (
        "retype window past the CNode end is RangeError",
        window_past_end,
    ),
    ("retype into an occupied slot is DeleteFirst", occupied),
    (
        "retype too big is NotEnoughMemory with the bytes left",
        not_enough_memory,
    ),
    (
        "retype device untyped into a TCB is InvalidArgument 1",
        device_tcb,
    ),
    ("retype device untyped into a frame works", device_frame),
    (
        "retype into a CNode named by a depth-64 lookup",
        into_looked_up_cnode,
    ),
    (
        "retype destination not a CNode is FailedLookup",
        dest_not_cnode,
    ),
    ("retype watermark gives the remainder", watermark),
    ("retype after revoke resets the untyped", reset_after_revoke),
    (
        "retype from an untyped whose copy exists is NotEnoughMemory 0",
        copied_untyped_is_full,
    ),
    ("retype 256 objects in one call", fan_out_256),
    ("retype with a short message is TruncatedMessage", truncated),
    (
        "retype deleting a CNode deletes the caps in it",
        delete_cnode_frees_children,
    ),
    (
        "retype revoking an untyped destroys a CNode holding a cap to itself",
        self_referencing_cnode,
    ),
    (
        "retype sizes above 2^47 are RangeError 0..47",
        too_big_sizes,
    ),
];

/// Retypes one object of type `t` and checks what the slot holds.
fn made(env: &Env, t: ObjectType, bits: u64, want: Tag) -> Outcome {
    let s = env.slot();
    env.ut
        .untyped_retype(t, bits, &root().itself(), s, 1)
        .ctx("retype")?;
    expect_eq!(
        Cap::<Untyped>::from_cptr(s).debug_identify(),
        Some(want),
        "slot holds"
    );
    Ok(())
}

fn several(env: &Env) -> Outcome {
    let s = env.slots(5);
    env.ut
        .untyped_retype_fixed::<Notification>(&root().itself(), s, 5)
        .ctx("retype 5")?;
    for i in 0..5 {
        expect_eq!(
            Cap::<Notification>::from_cptr(s + i).debug_identify(),
            Some(Tag::Notification),
            "object"
        );
    }
    Ok(())
}

/// A raw Retype request with any type number.
fn raw_retype(ut: Cap<Untyped>, ty: u64, bits: u64, offset: u64, window: u64) -> sel4::Result<()> {
    let mut m = Message::invocation(InvocationLabel::UntypedRetype);
    m.push(ty)
        .push(bits)
        .push(0)
        .push(0)
        .push(offset)
        .push(window)
        .push_cap(root());
    sel4::invoke(ut, &m).map(drop)
}

fn bad_type(env: &Env) -> Outcome {
    let s = env.slot();
    expect_eq!(
        raw_retype(env.ut, 10, 0, s, 1),
        Err(Error::InvalidArgument { index: 0 }),
        "type 10"
    );
    Ok(())
}

fn cnode_radix_0(env: &Env) -> Outcome {
    let s = env.slot();
    expect_eq!(
        env.ut
            .untyped_retype(ObjectType::CapTable, 0, &root().itself(), s, 1),
        Err(Error::InvalidArgument { index: 1 }),
        "radix 0"
    );
    Ok(())
}

fn untyped_too_small(env: &Env) -> Outcome {
    let s = env.slot();
    expect_eq!(
        env.ut
            .untyped_retype(ObjectType::Untyped, 3, &root().itself(), s, 1),
        Err(Error::InvalidArgument { index: 1 }),
        "size 3"
    );
    Ok(())
}

fn size_bits_64(env: &Env) -> Outcome {
    let s = env.slot();
    expect_eq!(
        env.ut
            .untyped_retype(ObjectType::Untyped, 64, &root().itself(), s, 1),
        Err(Error::RangeError { min: 0, max: 47 }),
        "size 64"
    );
    Ok(())
}

fn offset_past_cnode(env: &Env) -> Outcome {
    let slots = 1u64 << env.bi.cnode_size_bits();
    expect_eq!(
        env.ut
            .untyped_retype_fixed::<Endpoint>(&root().itself(), slots, 1),
        Err(Error::RangeError {
            min: 0,
            max: slots - 1
        }),
        "offset = slots"
    );
    Ok(())
}

fn window_0(env: &Env) -> Outcome {
    let s = env.slot();
    expect_eq!(
        env.ut
            .untyped_retype_fixed::<Endpoint>(&root().itself(), s, 0),
        Err(Error::RangeError { min: 1, max: 256 }),
        "window 0"
    );
    Ok(())
}

fn window_257(env: &Env) -> Outcome {
    let s = env.slot();
    expect_eq!(
        env.ut
            .untyped_retype_fixed::<Endpoint>(&root().itself(), s, 257),
        Err(Error::RangeError { min: 1, max: 256 }),
        "window 257"
    );
    Ok(())
}

fn window_past_end(env: &Env) -> Outcome {
    let slots = 1u64 << env.bi.cnode_size_bits();
    let offset = slots - 6;
    ensure!(env.bi.empty().end == slots, "the last slots are not free");
    expect_eq!(
        env.ut
            .untyped_retype_fixed::<Endpoint>(&root().itself(), offset, 10),
        Err(Error::RangeError { min: 1, max: 6 }),
        "10 objects at slots-6"
    );
    expect_eq!(
        Cap::<Endpoint>::from_cptr(offset).debug_identify(),
        None,
        "nothing made"
    );
    Ok(())
}

fn occupied(env: &Env) -> Outcome {
    // A window whose second slot is occupied: nothing is made at all.
    let s = env.slots(2);
    env.ut
        .untyped_retype_fixed::<Endpoint>(&root().itself(), s + 1, 1)
        .ctx("first")?;
    expect_eq!(
        env.ut
            .untyped_retype_fixed::<Endpoint>(&root().itself(), s, 2),
        Err(Error::DeleteFirst),
        "window over an occupied slot"
    );
    expect_eq!(
        Cap::<Endpoint>::from_cptr(s).debug_identify(),
        None,
        "first slot"
    );
    expect_eq!(
        env.ut.untyped_retype_fixed::<Endpoint>(
            &root().itself(),
            sel4::abi::init_cap::INIT_THREAD_TCB,
            1
        ),
        Err(Error::DeleteFirst),
        "into the TCB slot"
    );
    Ok(())
}

fn not_enough_memory(env: &Env) -> Outcome {
    let small = env.alloc_untyped(12)?;
    let s = env.slots(2);
    expect_eq!(
        small.untyped_retype_fixed::<SmallPage>(&root().itself(), s, 2),
        Err(Error::NotEnoughMemory { bytes_left: 4096 }),
        "two pages from 4 KiB"
    );
    expect_eq!(
        small.untyped_retype(ObjectType::Untyped, 13, &root().itself(), s, 1),
        Err(Error::NotEnoughMemory { bytes_left: 4096 }),
        "8 KiB untyped from 4 KiB"
    );
    small
        .untyped_retype_fixed::<SmallPage>(&root().itself(), s, 1)
        .ctx("one page fits")?;
    Ok(())
}

fn device_untyped(env: &Env) -> Result<Cap<Untyped>, crate::env::Why> {
    match env
        .bi
        .untyped_caps()
        .find(|(_, d)| d.is_device != 0 && d.size_bits >= 12)
    {
        Some((ut, _)) => Ok(ut),
        None => crate::fail!("no device untyped in the BootInfo"),
    }
}

fn device_tcb(env: &Env) -> Outcome {
    let dev = device_untyped(env)?;
    let s = env.slot();
    expect_eq!(
        dev.untyped_retype(ObjectType::Tcb, 0, &root().itself(), s, 1),
        Err(Error::InvalidArgument { index: 1 }),
        "TCB from device memory"
    );
    Ok(())
}

fn device_frame(env: &Env) -> Outcome {
    // The last device untyped is far from anything the tests touch.
    let Some((dev, _)) = env
        .bi
        .untyped_caps()
        .filter(|(_, d)| d.is_device != 0)
        .last()
    else {
        crate::fail!("no device untyped");
    };
    let s = env.slot();
    dev.untyped_retype_fixed::<SmallPage>(&root().itself(), s, 1)
        .ctx("frame")?;
    expect_eq!(
        Cap::<SmallPage>::from_cptr(s).debug_identify(),
        Some(Tag::Frame),
        "slot"
    );
    Ok(())
}

fn into_looked_up_cnode(env: &Env) -> Outcome {
    let cn = env.alloc_cnode(4)?;
    // Destination (root, cn, 64): the CNode cap found at that slot, offset 3.
    env.ut
        .untyped_retype_fixed::<Endpoint>(&root().relative(cn), 3, 2)
        .ctx("retype into the looked-up CNode")?;
    for i in [3, 4] {
        let back = env.slot();
        root()
            .relative_bits(back, 64)
            .copy(&cn.relative_bits(i, 4), sel4::CapRights::ALL_RIGHTS)
            .ctx("copy out")?;
        expect_eq!(
            Cap::<Endpoint>::from_cptr(back).debug_identify(),
            Some(Tag::Endpoint),
            "made"
        );
    }
    let back = env.slot();
    expect_eq!(
        root()
            .relative_bits(back, 64)
            .copy(&cn.relative_bits(5, 4), sel4::CapRights::ALL_RIGHTS),
        Err(Error::FailedLookup {
            source: true,
            failure: sel4::LookupFailure::MissingCapability { bits_left: 4 }
        }),
        "slot 5 stays empty"
    );
    Ok(())
}

fn dest_not_cnode(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    expect_eq!(
        env.ut
            .untyped_retype_fixed::<Endpoint>(&root().relative(ep), 0, 1),
        Err(Error::FailedLookup {
            source: false,
            failure: sel4::LookupFailure::MissingCapability { bits_left: 64 }
        }),
        "destination is an endpoint"
    );
    Ok(())
}

fn watermark(env: &Env) -> Outcome {
    let small = env.alloc_untyped(12)?;
    let s = env.slots(5);
    // 3 endpoints (48 bytes), then a notification aligned to 32: bytes 64..96.
    small
        .untyped_retype_fixed::<Endpoint>(&root().itself(), s, 3)
        .ctx("3 endpoints")?;
    expect_eq!(
        small.untyped_retype_fixed::<SmallPage>(&root().itself(), s + 4, 1),
        Err(Error::NotEnoughMemory {
            bytes_left: 4096 - 48
        }),
        "after 3 endpoints"
    );
    small
        .untyped_retype_fixed::<Notification>(&root().itself(), s + 3, 1)
        .ctx("notification")?;
    expect_eq!(
        small.untyped_retype_fixed::<SmallPage>(&root().itself(), s + 4, 1),
        Err(Error::NotEnoughMemory {
            bytes_left: 4096 - 96
        }),
        "after the aligned notification"
    );
    Ok(())
}

fn reset_after_revoke(env: &Env) -> Outcome {
    let small = env.alloc_untyped(12)?;
    let s = env.slots(2);
    small
        .untyped_retype_fixed::<Endpoint>(&root().itself(), s, 1)
        .ctx("endpoint")?;
    ensure!(
        small
            .untyped_retype_fixed::<SmallPage>(&root().itself(), s + 1, 1)
            .is_err(),
        "a page fitted beside the endpoint"
    );
    root().relative(small).revoke().ctx("revoke")?;
    expect_eq!(
        Cap::<Endpoint>::from_cptr(s).debug_identify(),
        None,
        "child after revoke"
    );
    small
        .untyped_retype_fixed::<SmallPage>(&root().itself(), s + 1, 1)
        .ctx("full-size page")?;
    expect_eq!(
        Cap::<SmallPage>::from_cptr(s + 1).debug_identify(),
        Some(Tag::Frame),
        "page"
    );
    Ok(())
}

fn copied_untyped_is_full(env: &Env) -> Outcome {
    let ut = env.alloc_untyped(12)?;
    let copy = env.slot();
    root()
        .relative_bits(copy, 64)
        .copy(&root().relative(ut), sel4::CapRights::ALL_RIGHTS)
        .ctx("copy the untyped")?;
    let s = env.slot();
    expect_eq!(
        ut.untyped_retype_fixed::<Endpoint>(&root().itself(), s, 1),
        Err(Error::NotEnoughMemory { bytes_left: 0 }),
        "retype from the original"
    );
    Cap::<Untyped>::from_cptr(copy)
        .untyped_retype_fixed::<SmallPage>(&root().itself(), s, 1)
        .ctx("retype a full page from the copy")?;
    Ok(())
}

fn fan_out_256(env: &Env) -> Outcome {
    let s = env.slots(256);
    env.ut
        .untyped_retype_fixed::<Endpoint>(&root().itself(), s, 256)
        .ctx("256 endpoints")?;
    for i in [0, 1, 128, 255] {
        expect_eq!(
            Cap::<Endpoint>::from_cptr(s + i).debug_identify(),
            Some(Tag::Endpoint),
            "object"
        );
    }
    Ok(())
}

fn truncated(env: &Env) -> Outcome {
    let s = env.slot();
    let mut m = Message::invocation(InvocationLabel::UntypedRetype);
    m.push(ObjectType::Endpoint.word())
        .push(0)
        .push(0)
        .push(0)
        .push(s)
        .push_cap(root());
    expect_eq!(
        sel4::invoke(env.ut, &m).map(drop),
        Err(Error::TruncatedMessage),
        "5 words"
    );
    let mut m = Message::invocation(InvocationLabel::UntypedRetype);
    m.push(ObjectType::Endpoint.word())
        .push(0)
        .push(0)
        .push(0)
        .push(s)
        .push(1);
    expect_eq!(
        sel4::invoke(env.ut, &m).map(drop),
        Err(Error::TruncatedMessage),
        "no cap"
    );
    Ok(())
}

fn delete_cnode_frees_children(env: &Env) -> Outcome {
    let small = env.alloc_untyped(12)?;
    let cn = env.alloc_cnode(4)?;
    small
        .untyped_retype_fixed::<Endpoint>(&root().relative(cn), 1, 1)
        .ctx("endpoint into the CNode")?;
    let s = env.slot();
    ensure!(
        small
            .untyped_retype_fixed::<SmallPage>(&root().itself(), s, 1)
            .is_err(),
        "a page fitted beside the endpoint"
    );
    root().relative(cn).delete().ctx("delete the CNode")?;
    small
        .untyped_retype_fixed::<SmallPage>(&root().itself(), s, 1)
        .ctx("full-size page once the CNode (and the endpoint in it) is gone")?;
    Ok(())
}

fn self_referencing_cnode(env: &Env) -> Outcome {
    let small = env.alloc_untyped(12)?;
    let cn = env.slot();
    small
        .untyped_retype(ObjectType::CapTable, 4, &root().itself(), cn, 1)
        .ctx("CNode")?;
    let cn = Cap::<sel4::cap_type::CNode>::from_cptr(cn);
    cn.relative_bits(0, 4)
        .copy(&root().relative(cn), sel4::CapRights::ALL_RIGHTS)
        .ctx("copy the CNode cap into its own slot 0")?;
    small
        .untyped_retype_fixed::<Endpoint>(&root().relative(cn), 1, 1)
        .ctx("endpoint inside")?;
    // Only the copy inside itself is left: a cycle that only the untyped can clean up.
    root().relative(cn).delete().ctx("delete the root's cap")?;
    root().relative(small).revoke().ctx("revoke the untyped")?;
    let s = env.slot();
    small
        .untyped_retype_fixed::<SmallPage>(&root().itself(), s, 1)
        .ctx("full-size page after the revoke")?;
    Ok(())
}

fn too_big_sizes(env: &Env) -> Outcome {
    let s = env.slot();
    expect_eq!(
        env.ut
            .untyped_retype(ObjectType::Untyped, 48, &root().itself(), s, 1),
        Err(Error::RangeError { min: 0, max: 47 }),
        "untyped 2^48"
    );
    expect_eq!(
        env.ut
            .untyped_retype(ObjectType::CapTable, 43, &root().itself(), s, 1),
        Err(Error::RangeError { min: 0, max: 47 }),
        "CNode radix 43 (2^48 bytes)"
    );
    let small = env.alloc_untyped(12)?;
    expect_eq!(
        small.untyped_retype(ObjectType::Untyped, 47, &root().itself(), s, 1),
        Err(Error::NotEnoughMemory { bytes_left: 4096 }),
        "untyped 2^47 from 4 KiB"
    );
    Ok(())
}
