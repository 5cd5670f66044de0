//! Address spaces and frames, checked from user level: every mapping error seL4 reports,
//! physical addresses, isolation between VSpaces with VM faults delivered to a handler
//! (which maps the page and restarts the thread), read-only and execute-never mappings,
//! unmapping when a frame cap is deleted, ASID pool exhaustion and reuse, cache operations.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering};
use sel4::cap_type::{Endpoint, Notification, PageTable, SmallPage, Untyped, VSpace};
use sel4::fault::Fault;
use sel4::{
    BootInfo, Cap, CapRights, Error, LookupFailure, Message, ObjectType, VmAttributes, println,
};
use sel4_root_task::Allocator;
use sel4_root_task::thread::spawn;
use sel4_root_task::vspace::{map, map_image, new_vspace};

sel4_root_task::main!(main);

struct Checks {
    passed: u32,
    failed: u32,
}

impl Checks {
    fn check(&mut self, name: &str, ok: bool) {
        println!("{} {name}", if ok { "ok  " } else { "FAIL" });
        if ok {
            self.passed += 1
        } else {
            self.failed += 1
        }
    }
}

/// What a probe thread saw (written by it, read by the root task after it blocks).
static SEEN: AtomicU64 = AtomicU64::new(0);
/// A notification nobody signals: probes wait on it when done.
static PARK: AtomicU64 = AtomicU64::new(0);

fn park() -> ! {
    let n: Cap<Notification> = Cap::from_cptr(PARK.load(Ordering::Relaxed));
    loop {
        n.wait();
    }
}

/// Reads the word at `addr`, records it, parks.
extern "C" fn reader(addr: u64) -> ! {
    // SAFETY: the address may be unmapped on purpose: the kernel turns the access into a
    // VM fault for this thread's handler; no Rust reference is made.
    let v = unsafe { core::ptr::read_volatile(addr as *const u64) };
    SEEN.store(v, Ordering::Relaxed);
    park()
}

/// Writes to `addr` (a read-only page), then parks.
extern "C" fn writer(addr: u64) -> ! {
    // SAFETY: as for `reader`: the write faults; no reference is made.
    unsafe { core::ptr::write_volatile(addr as *mut u64, 1) };
    SEEN.store(1, Ordering::Relaxed);
    park()
}

/// Calls the code at `addr` (a `ret`), records 1 if it returned, parks.
extern "C" fn caller(addr: u64) -> ! {
    // SAFETY: the page holds a single `ret` (or is execute-never, and the fetch faults);
    // calling it changes nothing.
    let f: extern "C" fn() = unsafe { core::mem::transmute(addr as usize) };
    f();
    SEEN.store(1, Ordering::Relaxed);
    park()
}

/// A frame of ours, mapped read-write in our own VSpace at `vaddr`, for writing contents.
fn own_page(a: &mut Allocator, vaddr: u64) -> Result<Cap<SmallPage>, Error> {
    let f: Cap<SmallPage> = a.make(ObjectType::SmallPage, 0)?;
    map(
        a,
        sel4::init_thread_vspace(),
        f,
        vaddr,
        CapRights::all(),
        VmAttributes::DEFAULT,
    )?;
    Ok(f)
}

/// A copy of `f` in a new slot (a frame cap maps in one place; a copy maps elsewhere).
fn copy(a: &mut Allocator, f: Cap<SmallPage>) -> Result<Cap<SmallPage>, Error> {
    let slot = a.slot();
    let cn = sel4::init_thread_cnode();
    cn.relative_bits(slot, 64)
        .copy(&cn.relative_bits(f.cptr(), 64), CapRights::all())?;
    Ok(Cap::from_cptr(slot))
}

const OWN: u64 = 0x1_0000_0000; // where the root task maps pages it fills
const PROBE: u64 = 0x2_0000_0000; // where pages go in the second VSpace

fn missing(bits: u64) -> Result<(), Error> {
    Err(Error::FailedLookup {
        source: false,
        failure: LookupFailure::MissingCapability { bits_left: bits },
    })
}

/// Starts `entry(arg)` in `vs` with fault endpoint `ep`, waits for its fault.
fn probe(
    bi: &BootInfo,
    a: &mut Allocator,
    vs: Cap<VSpace>,
    ep: Cap<Endpoint>,
    entry: extern "C" fn(u64) -> !,
    arg: u64,
) -> Result<(Fault, Message), Error> {
    let t = spawn(bi, a, entry, arg, 100, ep.cptr())?;
    t.tcb_set_space(
        ep.cptr(),
        sel4::init_thread_cnode(),
        sel4::CNodeCapData::new(0, 0),
        vs,
        0,
    )?;
    let (msg, _) = ep.recv();
    Ok((Fault::from_message(&msg), msg))
}

/// Lets the probes (priority 100) run until they stop: the root task drops below them for
/// a moment (setting its own priority makes the scheduler choose again).
fn let_probes_run() -> Result<(), Error> {
    let me = sel4::init_thread_tcb();
    me.tcb_set_priority(me, 50)?;
    me.tcb_set_priority(me, 255)
}

fn main(bi: &BootInfo) -> Result<(), &'static str> {
    match run(bi) {
        Ok(0) => Ok(()),
        Ok(_) => Err("some checks failed"),
        Err(e) => {
            println!("error: {e}");
            Err("a setup step failed")
        }
    }
}

fn run(bi: &BootInfo) -> Result<u32, Error> {
    let mut c = Checks {
        passed: 0,
        failed: 0,
    };
    let mut a = Allocator::new(bi);
    let park: Cap<Notification> = a.make(ObjectType::Notification, 0)?;
    PARK.store(park.cptr(), Ordering::Relaxed);
    let vs = new_vspace(&mut a)?;
    map_image(bi, &mut a, vs)?;
    let f: Cap<SmallPage> = a.make(ObjectType::SmallPage, 0)?;
    let rw = CapRights::all();
    let dflt = VmAttributes::DEFAULT;

    // Mapping errors, in seL4's order.
    let unassigned: Cap<VSpace> = a.make(ObjectType::VSpace, 0)?;
    c.check(
        "map into a VSpace without an ASID: InvalidCapability 1",
        f.frame_map(unassigned, PROBE, rw, dflt) == Err(Error::InvalidCapability { index: 1 }),
    );
    c.check(
        "misaligned address: AlignmentError",
        f.frame_map(vs, PROBE + 0x800, rw, dflt) == Err(Error::AlignmentError),
    );
    c.check(
        "above the user range: InvalidArgument 0",
        f.frame_map(vs, 0x8000_0000_0000, rw, dflt) == Err(Error::InvalidArgument { index: 0 }),
    );
    c.check(
        "no level-1 table: FailedLookup, 39 bits left",
        f.frame_map(vs, 0x80_0000_0000, rw, dflt) == missing(39),
    );
    c.check(
        "no level-2 table: FailedLookup, 30 bits left",
        f.frame_map(vs, PROBE, rw, dflt) == missing(30),
    );
    let l2: Cap<PageTable> = a.make(ObjectType::PageTable, 0)?;
    l2.page_table_map(vs, PROBE, dflt)?;
    c.check(
        "no level-3 table: FailedLookup, 21 bits left",
        f.frame_map(vs, PROBE, rw, dflt) == missing(21),
    );
    c.check(
        "a mapped page table cannot map again: InvalidCapability 0",
        l2.page_table_map(vs, PROBE + 0x4000_0000, dflt)
            == Err(Error::InvalidCapability { index: 0 }),
    );
    let l3: Cap<PageTable> = a.make(ObjectType::PageTable, 0)?;
    l3.page_table_map(vs, PROBE, dflt)?;
    let l3b: Cap<PageTable> = a.make(ObjectType::PageTable, 0)?;
    c.check(
        "every level present: PageTable map is DeleteFirst",
        l3b.page_table_map(vs, PROBE, dflt) == Err(Error::DeleteFirst),
    );
    c.check("map a frame", f.frame_map(vs, PROBE, rw, dflt).is_ok());
    c.check(
        "the same frame elsewhere: InvalidArgument 0",
        f.frame_map(vs, PROBE + 0x1000, rw, dflt) == Err(Error::InvalidArgument { index: 0 }),
    );
    c.check(
        "remap in place with fewer rights",
        f.frame_map(vs, PROBE, CapRights::READ, dflt).is_ok(),
    );
    let g: Cap<SmallPage> = a.make(ObjectType::SmallPage, 0)?;
    c.check(
        "another frame over a mapped page replaces it",
        g.frame_map(vs, PROBE, rw, dflt).is_ok(),
    );
    c.check("page table unmap with other caps to it: RevokeFirst", {
        let slot = a.slot();
        let cn = sel4::init_thread_cnode();
        cn.relative_bits(slot, 64)
            .copy(&cn.relative_bits(l3.cptr(), 64), rw)?;
        let r = l3.page_table_unmap();
        cn.relative_bits(slot, 64).delete()?;
        r == Err(Error::RevokeFirst)
    });

    // A 2 MiB frame maps as a level-2 block, where no level-3 table is; a 4 KiB map into
    // its range then finds the block instead of a table.
    let large: Cap<sel4::cap_type::LargePage> = a.make(ObjectType::LargePage, 0)?;
    let big_va = PROBE + 0x4000_0000;
    c.check(
        "a 2 MiB frame needs its level-2 table: FailedLookup, 30 bits left",
        large.frame_map(vs, big_va, rw, dflt) == missing(30),
    );
    let l2b: Cap<PageTable> = a.make(ObjectType::PageTable, 0)?;
    l2b.page_table_map(vs, big_va, dflt)?;
    c.check(
        "a 2 MiB frame misaligned to 2 MiB: AlignmentError",
        large.frame_map(vs, big_va + 0x1000, rw, dflt) == Err(Error::AlignmentError),
    );
    c.check(
        "a 2 MiB frame maps as a block",
        large.frame_map(vs, big_va, rw, dflt).is_ok(),
    );
    let small: Cap<SmallPage> = a.make(ObjectType::SmallPage, 0)?;
    c.check(
        "a 4 KiB map inside the block: FailedLookup, 21 bits left",
        small.frame_map(vs, big_va + 0x1000, rw, dflt) == missing(21),
    );
    c.check(
        "a 2 MiB frame's address is 2 MiB aligned",
        large.frame_get_address()? % (2 << 20) == 0,
    );

    // Physical addresses: consecutive frames from one untyped.
    let u: Cap<Untyped> = a.make(ObjectType::Untyped, 16)?;
    let (p1, p2) = {
        let s = a.slot();
        u.untyped_retype(
            ObjectType::SmallPage,
            0,
            &sel4::init_thread_cnode().itself(),
            s,
            2,
        )?;
        a.slot();
        let (x, y): (Cap<SmallPage>, Cap<SmallPage>) = (Cap::from_cptr(s), Cap::from_cptr(s + 1));
        (x.frame_get_address()?, y.frame_get_address()?)
    };
    c.check(
        "GetAddress: page aligned, consecutive frames 4 KiB apart",
        p1 % 4096 == 0 && p2 == p1 + 4096,
    );

    // Cache operations.
    let h: Cap<SmallPage> = a.make(ObjectType::SmallPage, 0)?;
    c.check(
        "clean an unmapped frame: IllegalOperation",
        h.frame_clean_data(0, 64) == Err(Error::IllegalOperation),
    );
    map(&mut a, vs, h, PROBE + 0x2000, rw, dflt)?;
    c.check(
        "clean, invalidate, clean+invalidate, unify a mapped frame",
        h.frame_clean_data(0, 64).is_ok()
            && h.frame_invalidate_data(64, 128).is_ok()
            && h.frame_clean_invalidate_data(0, 4096).is_ok()
            && h.frame_unify_instruction(0, 4096).is_ok(),
    );
    c.check(
        "empty range: InvalidArgument 1",
        h.frame_clean_data(64, 64) == Err(Error::InvalidArgument { index: 1 }),
    );
    c.check(
        "range past the frame: InvalidArgument 0",
        h.frame_clean_data(0, 4097) == Err(Error::InvalidArgument { index: 0 }),
    );
    c.check(
        "VSpace clean of a mapped range",
        vs.vspace_clean_data(PROBE + 0x2000, PROBE + 0x2100).is_ok(),
    );
    c.check(
        "VSpace clean across a page boundary: RangeError",
        matches!(
            vs.vspace_clean_data(PROBE + 0x2f00, PROBE + 0x3100),
            Err(Error::RangeError { .. })
        ),
    );

    // Cache operations on a device frame above RAM (outside the kernel's window onto
    // physical memory): nothing is cached there, and the kernel must not touch it.
    let high = bi
        .untyped_caps()
        .find(|(_, d)| d.is_device != 0 && d.paddr >= 1 << 32 && d.size_bits >= 12);
    if let Some((dev, _)) = high {
        let s = a.slot();
        dev.untyped_retype(
            ObjectType::SmallPage,
            0,
            &sel4::init_thread_cnode().itself(),
            s,
            1,
        )?;
        let d: Cap<SmallPage> = Cap::from_cptr(s);
        map(&mut a, vs, d, PROBE + 0x4000, rw, dflt)?;
        c.check(
            "clean, invalidate, unify a mapped device frame above RAM (and the kernel lives)",
            d.frame_clean_data(0, 4096).is_ok()
                && d.frame_clean_invalidate_data(0, 4096).is_ok()
                && d.frame_unify_instruction(0, 64).is_ok()
                && vs.vspace_clean_data(PROBE + 0x4000, PROBE + 0x4100).is_ok(),
        );
    } else {
        c.check("a device untyped above 4 GiB in BootInfo", false);
    }

    // Isolation: a thread in the second VSpace reads an address that is mapped in ours
    // (our BootInfo) but not in its own: a VM fault. The handler maps a page holding a
    // known value there and replies; the thread restarts and reads it.
    let ep: Cap<Endpoint> = a.make(ObjectType::Endpoint, 0)?;
    let bi_addr = bi as *const BootInfo as u64;
    let (fault, _) = probe(bi, &mut a, vs, ep, reader, bi_addr)?;
    let vm = match fault {
        Fault::VmFault(v) => Some(v),
        _ => None,
    };
    c.check(
        "reading another VSpace's page is a VM fault at that address",
        vm.is_some_and(|v| v.addr == bi_addr && !v.prefetch_fault),
    );
    let page = own_page(&mut a, OWN)?;
    // SAFETY: OWN is mapped read-write in our VSpace just above.
    unsafe { core::ptr::write_volatile(OWN as *mut u64, 0x5eed) };
    let page2 = copy(&mut a, page)?;
    map(&mut a, vs, page2, bi_addr, rw, dflt)?;
    sel4::ipc::reply(&Message::new(0));
    let_probes_run()?;
    c.check(
        "the handler maps the page, replies, and the thread reads it",
        SEEN.load(Ordering::Relaxed) == 0x5eed,
    );

    // Read-only: writing is a permission fault, with the write bit in the syndrome.
    let ro = a.make::<SmallPage>(ObjectType::SmallPage, 0)?;
    map(&mut a, vs, ro, PROBE + 0x10000, CapRights::READ, dflt)?;
    let (fault, _) = probe(bi, &mut a, vs, ep, writer, PROBE + 0x10000)?;
    let perm = match fault {
        Fault::VmFault(v) => {
            (v.fsr & 0x3c) == 0x0c && v.fsr & (1 << 6) != 0 && v.addr == PROBE + 0x10000
        }
        _ => false,
    };
    c.check(
        "writing a read-only page is a permission fault (WnR set)",
        perm,
    );

    // Execute-never: a page holding `ret` runs when executable, faults when not.
    let code = own_page(&mut a, OWN + 0x1000)?;
    // SAFETY: OWN + 0x1000 is mapped read-write in our VSpace just above.
    unsafe { core::ptr::write_volatile((OWN + 0x1000) as *mut u32, 0xd65f_03c0) }; // ret
    code.frame_unify_instruction(0, 4)?;
    let code_xn = copy(&mut a, code)?;
    map(
        &mut a,
        vs,
        code_xn,
        PROBE + 0x20000,
        rw,
        dflt | VmAttributes::EXECUTE_NEVER,
    )?;
    let (fault, _) = probe(bi, &mut a, vs, ep, caller, PROBE + 0x20000)?;
    c.check(
        "executing an execute-never page is an instruction fault",
        matches!(fault, Fault::VmFault(v) if v.prefetch_fault && v.addr == PROBE + 0x20000),
    );
    let code_x = copy(&mut a, code)?;
    map(&mut a, vs, code_x, PROBE + 0x30000, rw, dflt)?;
    SEEN.store(0, Ordering::Relaxed);
    let t = spawn(bi, &mut a, caller, PROBE + 0x30000, 100, ep.cptr())?;
    t.tcb_set_space(
        ep.cptr(),
        sel4::init_thread_cnode(),
        sel4::CNodeCapData::new(0, 0),
        vs,
        0,
    )?;
    let_probes_run()?;
    c.check(
        "the same code in an executable page runs",
        SEEN.load(Ordering::Relaxed) == 1,
    );

    // Deleting a frame cap unmaps the frame: a thread reading it afterwards faults.
    let gone = own_page(&mut a, OWN + 0x2000)?;
    let gone_copy = copy(&mut a, gone)?;
    map(&mut a, vs, gone_copy, PROBE + 0x40000, rw, dflt)?;
    sel4::init_thread_cnode()
        .relative_bits(gone_copy.cptr(), 64)
        .delete()?;
    let (fault, _) = probe(bi, &mut a, vs, ep, reader, PROBE + 0x40000)?;
    c.check(
        "a deleted frame cap's mapping is gone",
        matches!(fault, Fault::VmFault(v) if v.addr == PROBE + 0x40000),
    );

    // ASID pools: every free block of ASIDs becomes a pool, then there are no more.
    let big: Cap<Untyped> = a.make(ObjectType::Untyped, 20)?;
    let cn = sel4::init_thread_cnode();
    let mut pools = 0;
    let mut last = None;
    loop {
        let ut_slot = a.slot();
        big.untyped_retype(ObjectType::Untyped, 12, &cn.itself(), ut_slot, 1)?;
        let pool_slot = a.slot();
        match sel4::asid_control()
            .asid_control_make_pool(Cap::from_cptr(ut_slot), &cn.relative_bits(pool_slot, 64))
        {
            Ok(()) => {
                pools += 1;
                last = Some(pool_slot);
            }
            Err(e) => {
                c.check(
                    "ASID control: 127 more pools, then DeleteFirst",
                    pools == 127 && e == Error::DeleteFirst,
                );
                break;
            }
        }
        if pools > 200 {
            c.check("ASID control stops making pools", false);
            break;
        }
    }
    // One pool holds 512 ASIDs; the 513th VSpace finds none, until one is given back.
    let pool: Cap<sel4::cap_type::AsidPool> = Cap::from_cptr(last.unwrap_or(0));
    let vs_ut: Cap<Untyped> = a.make(ObjectType::Untyped, 22)?;
    let first = a.slot();
    for _ in 1..513 {
        a.slot();
    }
    vs_ut.untyped_retype(ObjectType::VSpace, 0, &cn.itself(), first, 256)?;
    vs_ut.untyped_retype(ObjectType::VSpace, 0, &cn.itself(), first + 256, 256)?;
    let extra = a.slot();
    vs_ut.untyped_retype(ObjectType::VSpace, 0, &cn.itself(), extra, 1)?;
    let assigned = (first..first + 512)
        .filter(|&s| pool.asid_pool_assign(Cap::from_cptr(s)).is_ok())
        .count();
    c.check("a pool assigns 512 ASIDs", assigned == 512);
    c.check(
        "the 513th: DeleteFirst",
        pool.asid_pool_assign(Cap::from_cptr(extra)) == Err(Error::DeleteFirst),
    );
    cn.relative_bits(first + 7, 64).delete()?;
    c.check(
        "deleting a VSpace gives its ASID back for reuse",
        pool.asid_pool_assign(Cap::from_cptr(extra)).is_ok(),
    );

    println!("{} passed, {} failed", c.passed, c.failed);
    Ok(c.failed)
}
