//! Invocation sweep: thousands of invocations with pseudo-random (fixed seed) labels,
//! argument words, message lengths, extra caps and cptrs — the caps the root task holds,
//! empty slots and garbage — through Call and NBSend. The kernel must answer each (or drop
//! it) and the root task must stay alive; the program ends with a summary of the error
//! labels the Calls got back.
//!
//! What is kept out so the root task keeps running (and nothing else):
//! - Suspend, WriteRegisters, CopyRegisters, Configure, SetSpace, SetIPCBuffer, the
//!   priority calls and SetFlags on its own TCB;
//! - CopyRegisters whose source is its own TCB (it may suspend the source);
//! - Delete, Revoke, Move, Mutate and Rotate naming a slot below the first empty one (its
//!   TCB, CNode, VSpace, IPC buffer, image frames and page tables, BootInfo untypeds);
//! - Map and Unmap on the frames and page tables of its own image (any cap below the first
//!   empty slot);
//! - Call through a cptr that does not resolve (a cap fault with no handler would suspend
//!   it), and Call on an endpoint (nobody receives, so it would block for good): those go
//!   through NBSend, which drops both silently;
//! - DebugHalt (no debug syscalls at all).
#![no_std]
#![no_main]

use sel4::abi::CapType as Tag;
use sel4::cap_type::{Endpoint, Tcb, Untyped};
use sel4::syscall::debug_cap_identify;
use sel4::{BootInfo, Cap, CapRights, Message, ObjectType, println};

sel4_root_task::main!(main);

const INVOCATIONS: u32 = 6000;
const SEED: u64 = 0x5eed_5eed_0123_4567;

/// xorshift64*: small, fixed-seed, good enough to spread the choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The caps the sweep aims at, and where the empty slots are.
struct World {
    caps: [u64; 40],
    n_caps: usize,
    empty: (u64, u64),
    protected_end: u64,
    slots: u64,
}

impl World {
    fn cptr(&self, rng: &mut Rng) -> u64 {
        match rng.below(100) {
            0..50 => self.caps[rng.below(self.n_caps as u64) as usize],
            50..70 => rng.below(self.slots),
            70..85 => self.empty.0 + rng.below(self.empty.1 - self.empty.0),
            _ => rng.next(),
        }
    }

    fn word(&self, rng: &mut Rng) -> u64 {
        match rng.below(100) {
            0..30 => rng.below(64),
            30..55 => self.cptr(rng) & (self.slots - 1),
            55..70 => rng.pick(&[0, 1, 4, 12, 64, 255, 256, 4095]),
            _ => rng.next(),
        }
    }
}

fn main(bi: &'static BootInfo) -> Result<(), &'static str> {
    let world = setup(bi).map_err(|_| "setup failed")?;
    let mut rng = Rng(SEED);
    let me = sel4::init_thread_tcb().cptr();
    let mut errors = [0u32; 11];
    let (mut calls, mut nbsends, mut other_labels, mut skipped) = (0u32, 0u32, 0u32, 0u32);

    for _ in 0..INVOCATIONS {
        let target = world.cptr(&mut rng);
        let label = match rng.below(100) {
            0..55 => label_for(debug_cap_identify(target), &mut rng),
            55..92 => rng.below(56),
            _ => rng.next() >> 12,
        };
        let len = match rng.below(100) {
            0..80 => rng.below(8),
            80..95 => rng.below(13),
            _ => rng.below(121),
        } as usize;
        let mut msg = Message::new(label);
        for _ in 0..len {
            msg.push(world.word(&mut rng));
        }
        let n_caps = rng.below(4);
        for _ in 0..n_caps {
            msg.push_cptr(world.cptr(&mut rng));
        }

        if !allowed(&world, me, target, &mut msg) {
            skipped += 1;
            continue;
        }

        let resolves = |c: u64| c < world.slots;
        let must_not_block = debug_cap_identify(target) == Tag::Endpoint as u64;
        let can_call = resolves(target) && msg.caps().iter().all(|&c| resolves(c));
        if can_call && !must_not_block && rng.chance(65) {
            calls += 1;
            let reply = sel4::ipc::call(Cap::<Endpoint>::from_cptr(target), &msg);
            match errors.get_mut(reply.label() as usize) {
                Some(n) => *n += 1,
                None => other_labels += 1,
            }
        } else {
            nbsends += 1;
            sel4::ipc::nb_send(Cap::<Endpoint>::from_cptr(target), &msg);
        }
    }

    println!(
        "sweep: {} invocations: {calls} Call, {nbsends} NBSend, {skipped} kept out",
        calls + nbsends
    );
    println!(
        "sweep: Call replies by label: ok {}, InvalidArgument {}, InvalidCapability {}, \
         IllegalOperation {}, RangeError {}, AlignmentError {}, FailedLookup {}, \
         TruncatedMessage {}, DeleteFirst {}, RevokeFirst {}, NotEnoughMemory {}, other {other_labels}",
        errors[0],
        errors[1],
        errors[2],
        errors[3],
        errors[4],
        errors[5],
        errors[6],
        errors[7],
        errors[8],
        errors[9],
        errors[10]
    );
    let intact = debug_cap_identify(1) == Tag::Thread as u64
        && debug_cap_identify(2) == Tag::CNode as u64
        && debug_cap_identify(3) == Tag::VSpace as u64;
    println!(
        "sweep: root task alive, initial caps {}",
        if intact { "intact" } else { "CHANGED" }
    );
    if intact {
        Ok(())
    } else {
        Err("the sweep changed the root task's own caps")
    }
}

/// A label among the invocations of a cap of type `tag` (any label for other types).
fn label_for(tag: u64, rng: &mut Rng) -> u64 {
    let (lo, hi) = match tag {
        t if t == Tag::Untyped as u64 => (1, 1),
        t if t == Tag::Thread as u64 => (2, 16),
        t if t == Tag::CNode as u64 => (17, 25),
        t if t == Tag::IrqControl as u64 => (26, 26),
        t if t == Tag::IrqHandler as u64 => (27, 29),
        t if t == Tag::Domain as u64 => (30, 30),
        t if t == Tag::VSpace as u64 => (33, 36),
        t if t == Tag::PageTable as u64 => (38, 39),
        t if t == Tag::Frame as u64 => (40, 46),
        t if t == Tag::AsidControl as u64 => (47, 47),
        t if t == Tag::AsidPool as u64 => (48, 48),
        _ => (0, 55),
    };
    lo + rng.below(hi - lo + 1)
}

/// Whether the sweep may make this invocation (see the module docs); may rewrite slot
/// words of a destructive CNode operation so they miss the protected slots.
fn allowed(world: &World, me: u64, target: u64, msg: &mut Message) -> bool {
    use sel4::InvocationLabel as L;
    let label = msg.label();
    let is = |l: L| label == l.word();
    let kind = debug_cap_identify(target);
    if target == me || kind == Tag::Thread as u64 && same_object(target, me) {
        let forbidden = [
            L::TcbSuspend,
            L::TcbWriteRegisters,
            L::TcbCopyRegisters,
            L::TcbConfigure,
            L::TcbSetSpace,
            L::TcbSetIpcBuffer,
            L::TcbSetPriority,
            L::TcbSetMcPriority,
            L::TcbSetSchedParams,
            L::TcbSetFlags,
        ];
        if forbidden.into_iter().any(is) {
            return false;
        }
    }
    // CopyRegisters with the root task as its source can suspend it.
    let is_me =
        |c: u64| c == me || debug_cap_identify(c) == Tag::Thread as u64 && same_object(c, me);
    if is(L::TcbCopyRegisters) && msg.caps().iter().any(|&c| is_me(c)) {
        return false;
    }
    // Unmapping (or remapping) a frame or page table of its own image would pull the code
    // from under the root task.
    let mapping = [
        L::ArmPageTableMap,
        L::ArmPageTableUnmap,
        L::ArmPageMap,
        L::ArmPageUnmap,
    ];
    if target < world.protected_end && mapping.into_iter().any(is) {
        return false;
    }
    let destructive = [
        L::CNodeRevoke,
        L::CNodeDelete,
        L::CNodeMove,
        L::CNodeMutate,
        L::CNodeRotate,
    ];
    if kind == Tag::CNode as u64 && destructive.into_iter().any(is) {
        let mut words = [0u64; 120];
        let n = msg.len();
        words[..n].copy_from_slice(msg.words());
        for w in &mut words[..n] {
            if *w < world.protected_end {
                *w += world.protected_end;
            }
        }
        let caps = msg.caps().iter().copied().collect::<Caps>();
        *msg = Message::with_words(label, &words[..n]);
        for &c in caps.as_slice() {
            msg.push_cptr(c);
        }
    }
    true
}

/// Whether two TCB caps name the same thread: a copy of the root task's TCB cap counts as
/// the root task (identified by reading registers: only its own read is IllegalOperation).
fn same_object(tcb: u64, _me: u64) -> bool {
    matches!(
        Cap::<Tcb>::from_cptr(tcb).tcb_read_registers(false, 0, 1),
        Err(sel4::Error::IllegalOperation)
    )
}

/// Up to three cap words.
#[derive(Default)]
struct Caps {
    c: [u64; 3],
    n: usize,
}

impl Caps {
    fn as_slice(&self) -> &[u64] {
        &self.c[..self.n]
    }
}

impl FromIterator<u64> for Caps {
    fn from_iter<I: IntoIterator<Item = u64>>(it: I) -> Self {
        let mut caps = Caps::default();
        for c in it.into_iter().take(3) {
            caps.c[caps.n] = c;
            caps.n += 1;
        }
        caps
    }
}

/// Makes the objects the sweep aims at from a 1 MiB untyped of its own.
fn setup(bi: &BootInfo) -> sel4::Result<World> {
    let root = sel4::init_thread_cnode();
    let (big, _) = bi
        .untyped_caps()
        .filter(|(_, d)| d.is_device == 0)
        .max_by_key(|(_, d)| d.size_bits)
        .expect("no RAM untyped");
    let mut w = World {
        caps: [0; 40],
        n_caps: 0,
        empty: (0, 0),
        protected_end: bi.empty().start,
        slots: 1 << bi.cnode_size_bits(),
    };
    let mut next = bi.empty().start;
    let ut = Cap::<Untyped>::from_cptr(next);
    next += 1;
    big.untyped_retype(ObjectType::Untyped, 20, &root.itself(), ut.cptr(), 1)?;
    let objects = [
        (ObjectType::Notification, 0, 3),
        (ObjectType::Endpoint, 0, 3),
        (ObjectType::Tcb, 0, 2),
        (ObjectType::CapTable, 4, 2),
        (ObjectType::Untyped, 12, 2),
        (ObjectType::SmallPage, 0, 2),
        (ObjectType::PageTable, 0, 1),
    ];
    for (t, bits, count) in objects {
        for _ in 0..count {
            ut.untyped_retype(t, bits, &root.itself(), next, 1)?;
            w.caps[w.n_caps] = next;
            w.n_caps += 1;
            next += 1;
        }
    }
    // A badged notification and a badged endpoint (the first of each made above).
    for (src, badge) in [(w.caps[0], 0x88), (w.caps[3], 0x77)] {
        root.relative_bits(next, 64).mint(
            &root.relative_bits(src, 64),
            CapRights::ALL_RIGHTS,
            badge,
        )?;
        w.caps[w.n_caps] = next;
        w.n_caps += 1;
        next += 1;
    }
    // The untyped itself and the initial caps (1..=11) are invoked too.
    let more = [ut.cptr(), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    for c in more {
        w.caps[w.n_caps] = c;
        w.n_caps += 1;
    }
    w.empty = (next, next + 64);
    Ok(w)
}
