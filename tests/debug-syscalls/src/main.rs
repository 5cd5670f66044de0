//! Checks the debug syscalls and the syscall register contract from user level, printing
//! one line per check and a closing `N passed, M failed`; fails the run if any check fails.
#![no_std]
#![no_main]

extern crate alloc;

use sel4::abi::{CapType, Syscall, init_cap};
use sel4::syscall::{self, Regs};
use sel4::{BootInfo, println};

// A smaller stack than the default and a 64 KiB heap, to check both options.
sel4_root_task::main!(main, stack = 128 * 1024, heap = 64 * 1024);

struct Checks {
    passed: u32,
    failed: u32,
}

impl Checks {
    fn check(&mut self, name: &str, ok: bool) {
        println!("{} {name}", if ok { "ok  " } else { "FAIL" });
        if ok {
            self.passed += 1;
        } else {
            self.failed += 1;
        }
    }
}

fn main(bi: &BootInfo) -> Result<(), &'static str> {
    let mut c = Checks {
        passed: 0,
        failed: 0,
    };
    let identify = syscall::debug_cap_identify;

    // Every fixed slot holds the cap seL4 puts there (non-MCS, no SMMU, no SMC).
    let expected = [
        (init_cap::NULL, CapType::Null),
        (init_cap::INIT_THREAD_TCB, CapType::Thread),
        (init_cap::INIT_THREAD_CNODE, CapType::CNode),
        (init_cap::INIT_THREAD_VSPACE, CapType::VSpace),
        (init_cap::IRQ_CONTROL, CapType::IrqControl),
        (init_cap::ASID_CONTROL, CapType::AsidControl),
        (init_cap::INIT_THREAD_ASID_POOL, CapType::AsidPool),
        (init_cap::IO_PORT_CONTROL, CapType::Null),
        (init_cap::IO_SPACE, CapType::Null),
        (init_cap::BOOT_INFO_FRAME, CapType::Frame),
        (init_cap::INIT_THREAD_IPC_BUFFER, CapType::Frame),
        (init_cap::DOMAIN, CapType::Domain),
        (init_cap::SMMU_SID_CONTROL, CapType::Null),
        (init_cap::SMMU_CB_CONTROL, CapType::Null),
        (init_cap::INIT_THREAD_SC, CapType::Null),
        (init_cap::SMC, CapType::Null),
    ];
    let all_fixed = expected.iter().all(|&(slot, t)| identify(slot) == t as u64);
    c.check("initial slots 0..16 hold seL4's caps", all_fixed);
    let kinds =
        |r: sel4::abi::SlotRegion, t: CapType| (r.start..r.end).all(|s| identify(s) == t as u64);
    c.check(
        "userImagePaging slots hold page tables",
        kinds(bi.user_image_paging(), CapType::PageTable),
    );
    c.check(
        "extraBIPages slots hold frames",
        kinds(bi.extra_bi_pages(), CapType::Frame),
    );
    c.check(
        "userImageFrames slots hold frames",
        kinds(bi.user_image_frames(), CapType::Frame),
    );
    c.check(
        "untyped slots hold untypeds",
        kinds(bi.untyped(), CapType::Untyped),
    );
    c.check(
        "empty slots are empty",
        identify(bi.empty().start) == 0 && identify(bi.empty().end - 1) == 0,
    );
    let regions_in_order = bi.user_image_paging().start == init_cap::NUM_INITIAL_CAPS
        && bi.extra_bi_pages().start == bi.user_image_paging().end
        && bi.user_image_frames().start == bi.extra_bi_pages().end
        && bi.untyped().start == bi.user_image_frames().end
        && bi.empty().start == bi.untyped().end
        && bi.empty().end == 1 << bi.cnode_size_bits();
    c.check(
        "BootInfo slot regions follow each other as in seL4",
        regions_in_order,
    );

    // A pointer whose high bits do not match the root CNode's zero guard resolves nothing.
    c.check(
        "a cptr with a guard mismatch identifies as null",
        identify(1 << 63 | 1) == 0,
    );
    c.check(
        "a cptr past the CNode identifies as null",
        identify(1 << bi.cnode_size_bits()) == 0,
    );

    syscall::debug_name_thread(init_cap::INIT_THREAD_TCB, "debug-syscalls");
    syscall::debug_dump_scheduler();

    syscall::set_tls_base(0x1234_5678_9abc_def0);
    let tls: u64;
    // SAFETY: reading TPIDR_EL0, a user-accessible register, has no side effects.
    unsafe { core::arch::asm!("mrs {}, tpidr_el0", out(reg) tls) };
    c.check("SetTLSBase sets TPIDR_EL0", tls == 0x1234_5678_9abc_def0);

    syscall::yield_now();
    c.check("Yield returns to the only thread", true);

    // A syscall preserves every register it does not return in.
    let (x6, x8, x9, x18, x28): (u64, u64, u64, u64, u64);
    // SAFETY: a Yield syscall clobbers nothing but x0..x5 per the kernel's ABI; every
    // register written here is declared as an output.
    unsafe {
        core::arch::asm!(
            "mov x6, #0x66", "mov x8, #0x88", "mov x9, #0x99", "mov x18, #0x18", "mov x28, #0x28",
            "svc #0",
            in("x7") Syscall::Yield.word(),
            lateout("x0") _, lateout("x1") _, lateout("x2") _, lateout("x3") _, lateout("x4") _, lateout("x5") _,
            out("x6") x6, out("x8") x8, out("x9") x9, out("x18") x18, out("x28") x28,
        )
    };
    c.check(
        "a syscall preserves x6, x8, x9, x18, x28",
        (x6, x8, x9, x18, x28) == (0x66, 0x88, 0x99, 0x18, 0x28),
    );

    let r = syscall::raw(
        Syscall::DebugSnapshot,
        Regs {
            x0: 7,
            x1: 8,
            mr: [1, 2, 3, 4],
        },
    );
    c.check(
        "DebugSnapshot returns with registers intact",
        r == Regs {
            x0: 7,
            x1: 8,
            mr: [1, 2, 3, 4],
        },
    );

    // The FP/SIMD unit is usable at EL0 (user programs are built with it).
    let f: u64;
    // SAFETY: moves between general and SIMD registers only; both are declared.
    unsafe {
        core::arch::asm!("fmov d0, {x}", "fmov {y}, d0", x = in(reg) 0x4045_0000_0000_0000u64, y = out(reg) f, out("d0") _)
    };
    c.check("FP/SIMD registers work at EL0", f == 0x4045_0000_0000_0000);

    // The heap: vectors grow, shrink and are freed; a large allocation fails cleanly.
    let mut v: alloc::vec::Vec<u64> = alloc::vec::Vec::new();
    for i in 0..2000 {
        v.push(i);
    }
    let sum: u64 = v.iter().sum();
    drop(v);
    let boxed = alloc::boxed::Box::new([7u8; 1000]);
    let too_big = alloc::vec::Vec::<u8>::new().try_reserve(1 << 20).is_err();
    c.check(
        "the heap: a 2000-element vector, a box, and a refused 1 MiB",
        sum == 1_999_000 && boxed[999] == 7 && too_big,
    );
    println!("{} passed, {} failed", c.passed, c.failed);
    if c.failed == 0 {
        Ok(())
    } else {
        Err("debug syscall checks failed")
    }
}
