//! Kernel entry points from assembly: boot (`kernel_main`), exceptions from user level
//! (`el0_exception`), exceptions in the kernel, and the panic handler.

use super::gic::Gic;
use super::machine::{DEFAULT_UART, KernelMachine};
use super::{KERNEL_WINDOW, cpu, fpu, power, timer, vectors};
use crate::api::Event;
use crate::kernel::boot::{self, BootParams, dtb, regions::Region};
use crate::kernel::interrupt::init_irqs;
use crate::kernel::vspace::find_vspace_for_asid;
use crate::kprintln;
use crate::machine::{Machine, Memory, esr, exit_status};
use crate::model::KernelState;
use crate::model::pte::ATTR_NORMAL;
use crate::model::tcb::{self, slot as tcb_slot};
use crate::model::{Fault, Tcb};

/// Where QEMU puts the device tree for an ELF kernel on `virt`: the start of RAM.
const DTB_PA: u64 = 0x4000_0000;

unsafe extern "C" {
    static __kernel_start: u8;
    static __kernel_end: u8;
    static mut boot_l1_high: [u64; 512];
    static empty_vspace: u8;
}

/// The kernel's global state and machine. Only the entry functions below reach them, once
/// per kernel entry, through [`globals`].
static mut STATE: KernelState = KernelState::new();

/// The kernel's CNode of IRQ notification caps (seL4's intStateIRQNode): one slot per line.
/// Mutable: the core writes its slots through the kernel window.
#[repr(C, align(32))]
struct IrqNode([[u64; 4]; crate::model::MAX_IRQS]);
static mut IRQ_NODE: IrqNode = IrqNode([[0; 4]; crate::model::MAX_IRQS]);
static mut MACHINE: Option<KernelMachine> = None;

/// The global state and machine, for one kernel entry.
fn globals() -> (&'static mut KernelState, &'static mut KernelMachine) {
    // SAFETY: one core; the kernel runs with interrupts masked, so kernel entries never
    // nest, and each entry function calls this once and drops the borrows before it leaves
    // the kernel (returning to user level does not return here).
    unsafe {
        let m = &mut *core::ptr::addr_of_mut!(MACHINE);
        (
            &mut *core::ptr::addr_of_mut!(STATE),
            m.get_or_insert_with(|| KernelMachine::new(Some(DEFAULT_UART))),
        )
    }
}

/// [`globals`] for an entry from user level: boot has set the machine up by then.
#[inline(always)]
fn user_entry_globals() -> (&'static mut KernelState, &'static mut KernelMachine) {
    // SAFETY: as for `globals`; and `kernel_main` stored the machine (its first `globals`
    // call) before the first return to user level, so an exception from user level finds
    // it Some, and nothing ever sets it back to None.
    unsafe {
        (
            &mut *core::ptr::addr_of_mut!(STATE),
            (*core::ptr::addr_of_mut!(MACHINE))
                .as_mut()
                .unwrap_unchecked(),
        )
    }
}

fn symbol_pa(sym: &u8) -> u64 {
    sym as *const u8 as u64 - KERNEL_WINDOW
}

/// Physical range of the kernel image.
fn symbol_range() -> core::ops::Range<u64> {
    // SAFETY: linker-defined symbols; only their addresses are used.
    unsafe { symbol_pa(&__kernel_start)..symbol_pa(&__kernel_end) }
}

/// Maps every gigabyte of RAM into the kernel window (boot mapped only the kernel's own).
fn map_ram(m: &mut KernelMachine, ram: &boot::regions::RegionList) {
    const NORMAL_BLOCK: u64 = 1 | ATTR_NORMAL << 2 | 3 << 8 | 1 << 10 | 1 << 54;
    for r in ram.iter() {
        for g in (r.start >> 30)..=((r.end - 1) >> 30) {
            if (1..512).contains(&g) {
                // SAFETY: boot_l1_high is the live level-1 table of the kernel window; this
                // adds block entries for RAM and changes no existing mapping of RAM.
                unsafe {
                    (*core::ptr::addr_of_mut!(boot_l1_high))[g as usize] = g << 30 | NORMAL_BLOCK
                };
                m.window.add(g);
            }
        }
    }
    cpu::flush_tlb();
}

/// Boot: called by `_start` on the kernel stack with the MMU on.
#[unsafe(no_mangle)]
extern "C" fn kernel_main(entry_el: u64) -> ! {
    let (ks, m) = globals();
    let header = m.bytes(DTB_PA, 8);
    if header[..4] != [0xd0, 0x0d, 0xfe, 0xed] {
        panic!("no device tree at {DTB_PA:#x}; boot the kernel as an ELF on QEMU's virt board");
    }
    let total = u32::from_be_bytes(header[4..8].try_into().unwrap()) as u64;
    let platform = match dtb::parse(m.bytes(DTB_PA, total)) {
        Ok(p) => p,
        Err(e) => panic!("cannot read the device tree: {e:?}"),
    };
    *m = KernelMachine::new(platform.uart);
    power::set_psci(platform.psci);
    map_ram(m, &platform.ram);
    // SAFETY: the device tree's GIC frames lie in the device gigabyte mapped at boot, and
    // the kernel is the GIC's only driver.
    let gic = unsafe { Gic::init(platform.gic_v3, platform.gic_regs) };
    gic.enable(timer::IRQ);
    init_irqs(
        ks,
        gic.lines() - 1,
        &raw mut IRQ_NODE as u64 - KERNEL_WINDOW,
    );
    m.gic = Some(gic);
    timer::rearm();
    kprintln!(
        m,
        "kernel: seL4 16.0.0 ABI kernel for AArch64 (non-MCS), entered at EL{entry_el}, running at EL1"
    );
    kprintln!(
        m,
        "kernel: {} MiB of RAM, GICv{}, console PL011 at {:#x}",
        platform.ram.total() >> 20,
        if platform.gic_v3 { 3 } else { 2 },
        platform.uart.unwrap_or(0)
    );
    let core::ops::Range { start, end } = symbol_range();
    let params = BootParams {
        ram: platform.ram,
        kernel_image: Region::new(start, end),
        dtb: Region::sized(DTB_PA, platform.size),
        root_elf: end, // the loader puts it right after the kernel (kernel/link.ld)
        kernel_devices: platform.gic,
    };
    let r = match boot::init(ks, m, &params) {
        Ok(r) => r,
        Err(e) => {
            kprintln!(m, "kernel: refusing root task: {e}");
            m.halt(exit_status::BAD_ROOT_TASK)
        }
    };
    kprintln!(
        m,
        "kernel: root task image {:#x}..{:#x}, {} untypeds ({} MiB RAM, {} MiB device){}",
        r.image.start,
        r.image.end,
        r.untyped_count,
        r.ram_bytes >> 20,
        r.device_bytes >> 20,
        if r.untyped_dropped > 0 {
            " [some memory left out: BootInfo full]"
        } else {
            ""
        }
    );
    // The idle thread has no TCB here: the trace names it 0.
    #[cfg(feature = "trace")]
    {
        crate::trace::boot(ks, m, &r, 0, true);
        if m.trace.bad_mutant {
            kprintln!(
                m,
                "kernel: the command line names a mutant this kernel does not have (build it with the mutants feature; names are in kernel/src/mutant.rs)"
            );
            m.halt(exit_status::KERNEL_PANIC)
        }
        #[cfg(feature = "mutants")]
        if let Some(mutant) = crate::mutant::active() {
            kprintln!(m, "kernel: mutant {} planted for this run", mutant.name());
        }
    }
    return_to_user(ks, m)
}

/// One kernel entry: seL4's handleEvent, recorded when this is the trace kernel.
fn handle_event(ks: &mut KernelState, m: &mut KernelMachine, event: Event) {
    #[cfg(feature = "trace")]
    crate::trace::handle_event(ks, m, event);
    #[cfg(not(feature = "trace"))]
    crate::api::handle_event(ks, m, event);
}

/// Leaves the kernel: resumes the current thread, or idles if there is none.
fn return_to_user(ks: &mut KernelState, m: &mut KernelMachine) -> ! {
    // Recording an entry can take longer than a tick period (the projection walks every
    // reachable slot). A tick already due would be taken before the thread runs a single
    // instruction, every time, and user level would never progress: the trace kernel gives
    // it a full period instead.
    #[cfg(feature = "trace")]
    if timer::expired() {
        timer::rearm();
    }
    let Some(t) = ks.current else { idle(ks, m) };
    match t.slot(tcb_slot::VTABLE).raw(m).vspace() {
        // The ASID must still name this VSpace (it is dropped when the VSpace's last cap
        // goes, or its pool's).
        Some((base, Some(asid))) if find_vspace_for_asid(ks, m, asid) == Some(base) => {
            let asid = if crate::mutant::on(crate::mutant::Mutant::WrongAsidOnExit) {
                asid ^ 1
            } else {
                asid
            };
            cpu::set_user_vspace(base, asid)
        }
        // A thread without a valid VSpace runs in an empty one: every access faults.
        _ if crate::mutant::on(crate::mutant::Mutant::EmptyVSpaceSkipped) => {}
        _ => cpu::set_user_vspace(empty_vspace_pa(), 0),
    }
    // The FP/SIMD registers hold this thread's state only if it owns them; otherwise its
    // first FP instruction traps (see `take_fpu`).
    fpu::set_el0_access(ks.fpu_owner == t.0 && !fpu_disabled(m, t));
    // What the eret is about to give the thread: TTBR0 and the FP/SIMD trap read back from
    // the hardware, the SPSR from the context the eret restores.
    #[cfg(feature = "trace")]
    crate::trace::restore(
        m,
        &trace_format::Restore {
            thread: t.0,
            ttbr0: cpu::ttbr0(),
            empty_vspace: empty_vspace_pa(),
            fpu: fpu::el0_access(),
            spsr: t.reg(m, tcb::reg::SPSR),
        },
    );
    // SAFETY: t is a live TCB; its context area holds a complete user context (boot or the
    // entry path wrote it) with an EL0 SPSR, so the eret goes to user level.
    unsafe { vectors::restore_user_context(KERNEL_WINDOW + t.context()) }
}

/// The kernel's empty VSpace, where a thread without a valid VSpace runs.
fn empty_vspace_pa() -> u64 {
    // SAFETY: linker-defined symbol; only its address is used.
    unsafe { symbol_pa(&empty_vspace) }
}

/// TCB_SetFlags fpuDisabled: the thread may not use the FP/SIMD unit.
fn fpu_disabled(m: &KernelMachine, t: Tcb) -> bool {
    t.get(m, tcb::field::FLAGS) & sel4_abi::tcb::TCB_FLAG_FPU_DISABLED != 0
}

/// An FP/SIMD instruction trapped: the current thread takes the registers over (its own
/// state is loaded, the previous owner's saved), unless FP is disabled for it, which makes
/// the access a user exception, as in seL4.
fn take_fpu(ks: &mut KernelState, m: &mut KernelMachine, t: Tcb, syndrome: u64) -> Option<Event> {
    if fpu_disabled(m, t) {
        return Some(Event::Fault(Fault::UserException {
            number: syndrome,
            code: 0,
        }));
    }
    let owner = (ks.fpu_owner != 0).then_some(ks.fpu_owner);
    fpu::switch(owner, t.0);
    ks.fpu_owner = t.0;
    None
}

/// No thread can run: wait for interrupts (the idle thread). If no interrupt can wake a
/// thread (no handler's notification has one waiting), the system is finished.
fn idle(ks: &mut KernelState, m: &mut KernelMachine) -> ! {
    loop {
        if !crate::kernel::interrupt::interrupt_can_wake(ks, m) {
            kprintln!(
                m,
                "kernel: no thread can run and no interrupt can wake one; halting"
            );
            m.halt(exit_status::ALL_THREADS_STOPPED)
        }
        // The refinement tests' generated programs run where no device raises a line:
        // idle would last forever. Asked to, the trace kernel stops there instead, once
        // the interrupts already pending (an SGI a thread sent) are taken.
        #[cfg(feature = "trace")]
        if m.trace.idle_halts {
            handle_interrupts(ks, m);
            if ks.current.is_some() {
                return_to_user(ks, m);
            }
            kprintln!(m, "kernel: idle, and idle=halt asks to stop here; halting");
            m.halt(exit_status::IDLE_HALT)
        }
        // WFI wakes on a pending interrupt even with IRQs masked; the kernel then takes it
        // from the GIC itself.
        cpu::wait_for_interrupt();
        handle_interrupts(ks, m);
        if ks.current.is_some() {
            return_to_user(ks, m);
        }
    }
}

/// Takes every pending interrupt: the tick drives the scheduler; others go to user level.
fn handle_interrupts(ks: &mut KernelState, m: &mut KernelMachine) {
    while let Some(irq) = m.gic.as_ref().and_then(Gic::ack) {
        if irq == timer::IRQ {
            // seL4's order: the tick, then the next period (timerTick, resetTimer). On the
            // trace kernel, recording the tick can take longer than a period: rearmed
            // before it, the timer would be due again at once and the kernel would take
            // tick after tick without ever returning to user level.
            handle_event(ks, m, Event::TimerTick);
            timer::rearm();
        } else {
            handle_event(ks, m, Event::Interrupt(irq as u64));
        }
        if let Some(g) = &m.gic {
            g.eoi(irq);
        }
    }
}

/// A syscall (`svc` from user level; the vector sorts them out): its restart pc is the
/// `svc`.
#[unsafe(no_mangle)]
extern "C" fn el0_syscall() -> ! {
    let (ks, m) = user_entry_globals();
    if let Some(t) = ks.current {
        let pc = t.reg(m, tcb::reg::PC);
        t.set(m, tcb::field::FAULT_IP, pc - 4);
        #[cfg(not(feature = "trace"))]
        {
            crate::api::event::handle_syscall_event(ks, m, t);
            return_to_user(ks, m)
        }
    }
    handle_event(ks, m, Event::Syscall);
    return_to_user(ks, m)
}

/// Any other exception from user level; `kind` 0 sync, 1 IRQ, 2 FIQ, 3 SError.
#[unsafe(no_mangle)]
extern "C" fn el0_exception(kind: u64) -> ! {
    let (ks, m) = user_entry_globals();
    if let Some(t) = ks.current {
        // seL4's FaultIP: the restart pc. An exception restarts at the instruction that
        // took it, an interrupted thread where it was. (Syscalls go to `el0_syscall`.)
        let pc = t.reg(m, tcb::reg::PC);
        t.set(m, tcb::field::FAULT_IP, pc);
    }
    if kind == 0 {
        let syndrome = cpu::esr();
        let event = match esr::class(syndrome) {
            esr::EC_FP => match ks.current.and_then(|t| take_fpu(ks, m, t, syndrome)) {
                Some(e) => e,
                None => return_to_user(ks, m),
            },
            _ => crate::api::event::decode_exception(syndrome, cpu::far()),
        };
        handle_event(ks, m, event);
    } else if kind == 1 {
        handle_interrupts(ks, m);
    } else {
        // An SError or FIQ from user level is a machine error; the thread carries on.
        kprintln!(
            m,
            "kernel: ignoring unexpected {} from user level",
            ["", "IRQ", "FIQ", "SError"][kind as usize & 3]
        );
    }
    return_to_user(ks, m)
}

/// A synchronous exception inside the kernel: a kernel bug, unless it is the semihosting
/// `hlt` trapping because QEMU runs without semihosting.
#[unsafe(no_mangle)]
extern "C" fn kernel_exception() -> ! {
    let (syndrome, pc) = (cpu::esr(), cpu::elr());
    let (_, m) = globals();
    let pa = pc.wrapping_sub(KERNEL_WINDOW);
    let kernel_text = symbol_range();
    let instruction = kernel_text
        .contains(&pa)
        .then(|| u32::from_le_bytes(m.bytes(pa, 4).try_into().unwrap()));
    if esr::class(syndrome) == esr::EC_UNKNOWN && instruction == Some(power::HLT_SEMIHOSTING) {
        kprintln!(
            m,
            "kernel: semihosting is off (run QEMU with -semihosting-config enable=on); powering off, exit status lost"
        );
        power::system_off();
    }
    panic!(
        "kernel exception: {} (ESR {syndrome:#x}) at pc {pc:#x}, address {:#x}",
        esr::class_name(syndrome),
        cpu::far()
    );
}

/// An exception through a vector the kernel never expects.
#[unsafe(no_mangle)]
extern "C" fn kernel_bad_exception() -> ! {
    panic!(
        "unexpected exception vector (ESR {:#x}, pc {:#x})",
        cpu::esr(),
        cpu::elr()
    );
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let mut m = KernelMachine::new(Some(DEFAULT_UART));
    kprintln!(&mut m, "kernel: panic: {info}");
    m.halt(exit_status::KERNEL_PANIC)
}
