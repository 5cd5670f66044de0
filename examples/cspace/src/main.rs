//! Capabilities and the CSpace: every CNode operation on a small window of the root CNode
//! (mint, copy, move, mutate, rotate, revoke, delete), the window printed after each step,
//! then a two-level CSpace whose second level is reached through a guard.
//!
//! A capability pointer (cptr) names a slot by the bits that lead to it. The root task's
//! root CNode has 2^12 slots and a 52-bit guard of zeros, so a cptr of the root task is
//! simply a slot number. CNode operations name a slot as (CNode cap, index, depth): an
//! `AbsoluteCPtr`. The kernel does not tell user level a cap's badge, so this program
//! remembers the badges it minted and checks them by signalling (a badge arrives with the
//! signal).
#![no_std]
#![no_main]

use sel4::cap_type::{CNode, Notification};
use sel4::{AbsoluteCPtr, BootInfo, CNodeCapData, Cap, CapRights, Error, ObjectType, println};
use sel4_root_task::Allocator;

sel4_root_task::main!(main);

/// Slots of the root CNode this example works in.
const WINDOW: usize = 8;

/// The window: its first root slot, and what the program knows of each slot's badge.
struct Window {
    base: u64,
    badges: [Option<u64>; WINDOW],
}

impl Window {
    /// Slot `i` of the window as a cptr of the root task.
    fn cptr(&self, i: usize) -> u64 {
        self.base + i as u64
    }

    /// Slot `i` as a CNode-operation address: (root CNode, slot, 64 bits).
    fn slot(&self, i: usize) -> AbsoluteCPtr {
        sel4::init_thread_cnode().relative_bits(self.cptr(i), 64)
    }

    /// Prints every non-empty slot: its type as the kernel reports it
    /// (DebugCapIdentify), and the badge the program gave it.
    fn show(&self, step: &str) {
        if !step.is_empty() {
            println!("{step}");
        }
        for i in 0..WINDOW {
            let ty = sel4::syscall::debug_cap_identify(self.cptr(i));
            let Some(name) = sel4::abi::CapType::from_word(ty) else {
                println!("  [{i}] cap type {ty}");
                continue;
            };
            if name == sel4::abi::CapType::Null {
                continue;
            }
            match self.badges[i] {
                Some(b) => println!("  [{i}] {name:?}, badge {b:#x}"),
                None => println!("  [{i}] {name:?}"),
            }
        }
    }
}

/// What a notification has been signalled with: signals through `send`, then polls
/// `recv` (the badge of the sending cap arrives ORed into the notification word).
fn signal_and_poll(send: u64, recv: u64) -> u64 {
    Cap::<Notification>::from_cptr(send).signal();
    Cap::<Notification>::from_cptr(recv).poll()
}

fn main(bi: &BootInfo) -> Result<(), Error> {
    let mut alloc = Allocator::new(bi);
    println!(
        "cspace: the root CNode has {} slots; a cptr is a slot number",
        1u64 << bi.cnode_size_bits()
    );
    let base = alloc.slot();
    for _ in 1..WINDOW {
        alloc.slot();
    }
    let mut w = Window {
        base,
        badges: [None; WINDOW],
    };
    println!(
        "cspace: the window [0..{WINDOW}] is root slots {}..{}",
        base,
        base + WINDOW as u64
    );

    // Retype makes the original cap of a new object: here a notification in [0].
    let ut = alloc.untyped();
    let root = sel4::init_thread_cnode();
    ut.untyped_retype(ObjectType::Notification, 0, &root.itself(), w.cptr(0), 1)?;
    w.badges[0] = Some(0);
    w.show("1. retype: a notification in [0] (unbadged, all rights)");

    // Mint: a copy with a badge (and possibly fewer rights). Whoever signals through [1]
    // is identified by 0x10.
    w.slot(1).mint(&w.slot(0), CapRights::ALL_RIGHTS, 0x10)?;
    w.badges[1] = Some(0x10);
    // A second badged copy, for the OR-ing below.
    w.slot(2).mint(&w.slot(0), CapRights::ALL_RIGHTS, 0x3)?;
    w.badges[2] = Some(0x3);
    w.show("2. mint: [1] = [0] with badge 0x10, [2] = [0] with badge 0x3");
    println!(
        "   signal via [1], poll via [0]: {:#x}",
        signal_and_poll(w.cptr(1), w.cptr(0))
    );
    Cap::<Notification>::from_cptr(w.cptr(1)).signal();
    println!(
        "   signal via [1] and [2], poll via [0]: {:#x} (badges OR together)",
        signal_and_poll(w.cptr(2), w.cptr(0))
    );
    // Minting again from a badged cap is refused: a badge, once set, is permanent.
    match w.slot(3).mint(&w.slot(1), CapRights::ALL_RIGHTS, 0x20) {
        Err(e) => println!("   mint [3] from badged [1]: {e}"),
        Ok(()) => println!("   mint [3] from badged [1]: accepted (seL4 refuses it)"),
    }

    // Copy: the same cap (same badge), with rights intersected. Without Write a
    // notification cap cannot signal: the Send is silently dropped.
    w.slot(3).copy(&w.slot(1), CapRights::READ)?;
    w.badges[3] = Some(0x10);
    w.show("3. copy: [3] = [1] with Read only");
    println!(
        "   signal via [3], poll via [0]: {:#x} (no Write right, nothing sent)",
        signal_and_poll(w.cptr(3), w.cptr(0))
    );

    // Move: the cap leaves [2] for [4]; the derivation stays the same.
    w.slot(4).move_(&w.slot(2))?;
    w.badges[4] = w.badges[2].take();
    w.show("4. move: [2] -> [4]");

    // Mutate moves a cap and changes its data at once. For a CNode cap the data is the
    // guard; for endpoints and notifications seL4 refuses it (badges come from Mint).
    ut.untyped_retype(ObjectType::CapTable, 4, &root.itself(), w.cptr(5), 1)?;
    w.slot(6)
        .mutate(&w.slot(5), CNodeCapData::new(0x5, 3).to_word())?;
    w.show("5. mutate: a 16-slot CNode made in [5] moves to [6] with guard 0b101 (3 bits)");
    match w.slot(2).mutate(&w.slot(4), 0) {
        Err(e) => println!("   mutate of the notification [4]: {e}"),
        Ok(()) => println!("   mutate of the notification [4]: accepted (seL4 refuses it)"),
    }

    // Rotate moves two caps at once: src -> pivot and pivot -> dest. With dest == src it
    // swaps them. Here a page-table cap in [5] and the CNode in [6] change places.
    ut.untyped_retype(ObjectType::PageTable, 0, &root.itself(), w.cptr(5), 1)?;
    w.show("6. rotate, before: a page table made in [5]");
    w.slot(5).rotate(
        CNodeCapData::new(0x5, 3).to_word(),
        &w.slot(6),
        0,
        &w.slot(5),
    )?;
    w.show("   rotate, after: [5] and [6] swapped");

    // Revoke deletes every cap derived from [0] (its badged children and their copies)
    // and keeps [0] itself.
    w.slot(0).revoke()?;
    for b in &mut w.badges[1..5] {
        *b = None;
    }
    w.show("7. revoke [0]: its children [1], [3], [4] are gone");

    // Delete empties a slot. [0] was the last cap to the notification, so the
    // notification itself is destroyed (its memory returns to the untyped on a revoke
    // of the untyped).
    w.slot(0).delete()?;
    w.slot(6).delete()?;
    w.badges[0] = None;
    w.show("8. delete [0] and [6]");

    two_level(&w, &mut alloc)?;
    println!("cspace: done");
    Ok(())
}

/// Where L1 keeps the second-level CNode, and that CNode's guard.
const L1_SLOT: u64 = 3;
const GUARD: u64 = 0b101;
const GUARD_BITS: u64 = 3;
/// Bits of index of each level (both CNodes have 16 slots).
const RADIX: u64 = 4;

/// The 11-bit address, from L1, of slot `slot` of the second level with guard `guard`:
/// L1 index, then the guard, then the second-level index.
fn path(guard: u64, slot: u64) -> u64 {
    (((L1_SLOT << GUARD_BITS) | guard) << RADIX) | slot
}

/// A two-level CSpace. The CNode in [5] (16 slots, guard 0b101) goes to slot 3 of a new
/// top-level CNode L1 (16 slots, no guard). A lookup from L1 consumes 4 bits of index,
/// then the 3 guard bits (which must equal the guard), then 4 bits of index in the second
/// level: 11 bits in all.
fn two_level(w: &Window, alloc: &mut Allocator) -> Result<(), Error> {
    let l1: Cap<CNode> = alloc.make(ObjectType::CapTable, RADIX)?;
    l1.relative_bits(L1_SLOT, RADIX).move_(&w.slot(5))?;
    println!("9. two levels: L1 (16 slots) holds in its slot 3 the CNode of [5], guard 0b101");

    // Retype straight into the second level. The destination CNode is named by where its
    // cap is: L1 index 3, depth 4 (the lookup stops at that slot; the guard is consumed
    // only by a lookup that goes through the cap). The object goes to its slot 9.
    let l2 = l1.relative_bits(L1_SLOT, RADIX);
    alloc
        .untyped()
        .untyped_retype(ObjectType::Endpoint, 0, &l2, 9, 1)?;
    let depth = RADIX + GUARD_BITS + RADIX;
    println!(
        "   an endpoint retyped into L2 slot 9, address {:#x} (depth {depth}) from L1",
        path(GUARD, 9)
    );

    // The cap is out of reach of our cptrs (the root CNode resolves all 64 bits), but a
    // CNode operation from L1 reaches it. Copy it back into the window to look at it.
    w.slot(1).copy(
        &l1.relative_bits(path(GUARD, 9), depth),
        CapRights::ALL_RIGHTS,
    )?;
    println!(
        "   copied back from L1 address {:#x} into [1]:",
        path(GUARD, 9)
    );
    w.show("");

    // A wrong guard stops the lookup: the kernel reports the bits still to resolve and
    // the guard it found.
    let wrong = path(0b100, 9);
    match w
        .slot(2)
        .copy(&l1.relative_bits(wrong, depth), CapRights::ALL_RIGHTS)
    {
        Err(e) => println!("   address {wrong:#x} (guard 0b100): {e}"),
        Ok(()) => println!("   address {wrong:#x} (guard 0b100): found (it should not be)"),
    }
    // A depth that ends inside the guard does not fit the CNode.
    match w.slot(2).copy(
        &l1.relative_bits(path(GUARD, 9) >> 2, depth - 2),
        CapRights::ALL_RIGHTS,
    ) {
        Err(e) => println!("   depth {} instead of {depth}: {e}", depth - 2),
        Ok(()) => println!("   depth {}: found (it should not be)", depth - 2),
    }
    // An empty slot of the second level.
    match w.slot(2).copy(
        &l1.relative_bits(path(GUARD, 10), depth),
        CapRights::ALL_RIGHTS,
    ) {
        Err(e) => println!("   L2 slot 10: {e}"),
        Ok(()) => println!("   L2 slot 10: found (it should be empty)"),
    }
    Ok(())
}
