//! The two systems side by side: the kernel's portable core on a simulated machine and the
//! spec, booted in the same layout, and the kernel's side of a syscall as the exception
//! entry would hand it over.

use kernel::api::Event;
use kernel::kernel::boot::{self, BootParams, elf::testelf, regions::Region, regions::RegionList};
use kernel::kernel::thread::lookup_ipc_buffer;
use kernel::machine::sim::SimMachine;
use kernel::machine::{Machine, Memory};
use kernel::model::KernelState;
use kernel::model::tcb::{field, reg};
use kernel::model::{Cap as KCap, Slot, Tcb};
use kernel::trace::handle_event;
use sel4_abi::ipc_buffer::offset as buf;
use sel4_abi::registers::{
    CAP_REGISTER, MSG_INFO_REGISTER as INFO_REGISTER, MSG_REGISTERS, SYSCALL_REGISTER,
};
use sel4_abi::{BootInfo, MessageInfo, Syscall};
use spec::harness::Sim;
use spec::kernel::boot::{BootConfig, BootLayout};
use spec::model::cap::Cap as SCap;
use std::cell::Cell;
use std::mem::offset_of;

pub const RAM: Region = Region::new(0x4000_0000, 0x4400_0000);
pub const KERNEL: Region = Region::new(0x4020_0000, 0x4030_0000);
pub const ELF_AT: u64 = 0x4030_0000;
/// Slots of the root CNode the generated programs work in (after the untypeds).
pub const WINDOW: u64 = 40;
pub const DEPTH: u64 = 64;
/// The highest interrupt line of the simulated interrupt controller (a GIC with 1024).
pub const MAX_IRQ: u64 = 1023;
/// ESR_EL1 for `svc #0` from AArch64: class 0x15, a 32-bit instruction.
pub const SVC_SYNDROME: u64 = 0x15 << 26 | 1 << 25;

/// The kernel's portable core on a simulated machine, and the root task's thread.
pub struct Kernel {
    pub m: SimMachine,
    pub ks: KernelState,
    pub root: Tcb,
}

/// A kernel cap in the trace's terms: every field seL4 keeps (`kernel::trace::project`).
pub fn kproj(c: &KCap) -> trace_format::CapProj {
    kernel::trace::project(c)
}

/// A spec cap in the same terms (`replay::cap_proj`).
pub fn sproj(c: &SCap) -> trace_format::CapProj {
    crate::replay::cap_proj(c)
}

/// Boots the kernel's core and the spec in the same layout; returns both, the untyped slots
/// the programs use (one device untyped, then every RAM untyped) and where the free slots
/// start.
pub fn boot_both() -> (Kernel, Sim, u64, u64, u64) {
    let mut m = SimMachine::new(RAM.start, RAM.len() as usize);
    let image = testelf::build(
        0x40_0000,
        &[
            (0x40_0000, &[0x1f; 3000], 3000),
            (0x40_2000, &[0; 16], 0x2000),
        ],
    );
    for (i, b) in image.iter().enumerate() {
        m.write_byte(ELF_AT + i as u64, *b);
    }
    let mut ram = RegionList::new();
    ram.add(RAM).unwrap();
    let params = BootParams {
        ram,
        kernel_image: KERNEL,
        dtb: Region::sized(0x4000_0000, 0x100),
        root_elf: ELF_AT,
        kernel_devices: RegionList::new(),
    };
    let mut ks = KernelState::new();
    let r = boot::init(&mut ks, &mut m, &params).expect("boot");
    // The kernel's IRQ node and timer, as the arch layer sets them, inside the kernel image.
    kernel::kernel::interrupt::init_irqs(&mut ks, MAX_IRQ, KERNEL.start + 0x1_0000);
    m.mask_irq(sel4_abi::config::KERNEL_TIMER_IRQ, false);
    // The trace starts here, as on the target: every entry the programs make is recorded
    // and replayed on a spec booted from the trace alone (`check`).
    if TRACING.get() {
        m.trace = Some(Vec::new());
        // No arch layer here: no RESTORE records.
        kernel::trace::boot(&mut ks, &mut m, &r, KERNEL.start, false);
    }

    let bi = r.layout.boot_info;
    let word = |off: usize| m.read_word(bi + off as u64);
    let (u_start, u_end) = (
        word(offset_of!(BootInfo, untyped)),
        word(offset_of!(BootInfo, untyped) + 8),
    );
    let untypeds = (0..u_end - u_start)
        .map(|i| {
            let d = bi + offset_of!(BootInfo, untyped_list) as u64 + i * 16;
            let w = m.read_word(d + 8);
            (m.read_word(d), (w & 0xff) as u8, (w >> 8) & 1 == 1)
        })
        .collect();
    let cfg = BootConfig {
        untypeds,
        cnode_bits: 12,
        ipc_buffer_vaddr: word(offset_of!(BootInfo, ipc_buffer)),
        bootinfo_vaddr: r.tcb.reg(&m, reg::X0),
        entry: r.tcb.reg(&m, reg::PC),
        max_irq: MAX_IRQ,
        timer_irq: sel4_abi::config::KERNEL_TIMER_IRQ,
        layout: Some(BootLayout {
            cnode: r.layout.cnode,
            vspace: r.layout.vspace,
            asid_pool: r.layout.asid_pool,
            ipc_buffer: r.layout.ipc_buffer,
            bootinfo: r.layout.boot_info,
            tcb: r.tcb.0,
            idle: KERNEL.start,
            irq_node: KERNEL.start + 0x1_0000,
        }),
        first_untyped_slot: u_start,
        // The image's page tables and frames, so the spec holds the boot page tables the
        // kernel built (as the replay of a recorded boot does).
        image_caps: (sel4_abi::init_cap::NUM_INITIAL_CAPS..u_start)
            .filter_map(|i| crate::replay::image_cap(&kproj(&Slot::of(r.layout.cnode, i).cap(&m))))
            .collect(),
        ..BootConfig::default()
    };
    let first_ram = cfg
        .untypeds
        .iter()
        .position(|u| !u.2)
        .expect("RAM untypeds") as u64;
    let sim = Sim::boot(&cfg);
    let empty = word(offset_of!(BootInfo, empty));
    // Programs retype from every RAM untyped and from the last device untyped before them
    // (a 2^39-byte region above RAM: frames and untypeds can be made there, nothing else).
    let first = (u_start + first_ram).saturating_sub(1).max(u_start);
    (Kernel { m, ks, root: r.tcb }, sim, first, u_end, empty)
}

impl Kernel {
    /// The root task makes a syscall, as the exception entry would hand it to the kernel.
    /// The current thread makes a syscall, as the exception entry would hand it over.
    pub fn syscall(&mut self, sys: Syscall, cptr: u64, label: u64, words: &[u64], caps: &[u64]) {
        let t = self.ks.current.expect("a thread to make the syscall");
        let info = MessageInfo::new(label, 0, caps.len() as u64, words.len() as u64);
        // x0..x7 as the spec's syscall event gives them: unused message registers are 0.
        for r in 0..8 {
            t.set_reg(&mut self.m, r, 0);
        }
        t.set_reg(&mut self.m, CAP_REGISTER, cptr);
        t.set_reg(&mut self.m, INFO_REGISTER, info.to_word());
        t.set_reg(&mut self.m, SYSCALL_REGISTER, sys.word());
        let b = lookup_ipc_buffer(&self.m, t, false);
        for (i, &w) in words.iter().enumerate() {
            match (MSG_REGISTERS.get(i), b) {
                (Some(&r), _) => t.set_reg(&mut self.m, r, w),
                (None, Some(b)) => self.m.write_word(b + buf::msg(i), w),
                (None, None) => {}
            }
        }
        for (i, &c) in caps.iter().enumerate() {
            if let Some(b) = b {
                self.m.write_word(b + buf::caps_or_badges(i), c);
            }
        }
        // The thread is at its `svc`: the exception returns after it, and seL4's FaultIP
        // (the restart pc) is the `svc` itself, as the arch entry sets them.
        let pc = t.reg(&self.m, reg::PC);
        t.set_reg(&mut self.m, reg::PC, pc.wrapping_add(4));
        t.set(&mut self.m, field::FAULT_IP, pc);
        self.exception(SVC_SYNDROME, 0);
    }

    /// The current thread makes an `svc` with syscall number `number` in x7 and its other
    /// registers as they are.
    pub fn raw_syscall(&mut self, number: u64) {
        let t = self.ks.current.expect("a thread to make the syscall");
        t.set_reg(&mut self.m, SYSCALL_REGISTER, number);
        let pc = t.reg(&self.m, reg::PC);
        t.set_reg(&mut self.m, reg::PC, pc.wrapping_add(4));
        t.set(&mut self.m, field::FAULT_IP, pc);
        self.exception(SVC_SYNDROME, 0);
    }

    /// The current thread takes a synchronous exception with syndrome `esr` and fault
    /// address `far` at its pc (an `svc` has advanced the pc already): the arch layer's
    /// decoding, then the kernel.
    pub fn exception(&mut self, esr: u64, far: u64) {
        if let Some(t) = self.ks.current
            && (esr >> 26) & 0x3f != kernel::machine::esr::EC_SVC64
        {
            // seL4's FaultIP for an exception: the instruction that took it.
            let pc = t.reg(&self.m, reg::PC);
            t.set(&mut self.m, field::FAULT_IP, pc);
        }
        self.m.exception = (esr, far);
        let event = kernel::api::event::decode_exception(esr, far);
        handle_event(&mut self.ks, &mut self.m, event);
    }

    /// Line `irq` fires: if the interrupt controller lets it through, the kernel takes it
    /// (the interrupted thread's restart pc is where it was). Returns whether it did.
    pub fn interrupt(&mut self, irq: u64) -> bool {
        if !self.m.unmasked_irqs.contains(&irq) {
            return false;
        }
        if irq == sel4_abi::config::KERNEL_TIMER_IRQ {
            self.tick();
        } else {
            self.interrupted();
            handle_event(&mut self.ks, &mut self.m, Event::Interrupt(irq));
        }
        true
    }

    /// The timer ticks while the current thread runs, then the kernel handles the tick.
    pub fn tick(&mut self) {
        self.interrupted();
        handle_event(&mut self.ks, &mut self.m, Event::TimerTick);
    }

    /// An interrupt arrives: the arch entry records where the running thread was as its
    /// restart pc (seL4's FaultIP).
    fn interrupted(&mut self) {
        if let Some(t) = self.ks.current {
            let pc = t.reg(&self.m, reg::PC);
            t.set(&mut self.m, field::FAULT_IP, pc);
        }
    }

    /// What thread `t` sees: the message label and words in its registers and buffer.
    pub fn reply(&self, t: Tcb) -> (u64, Vec<u64>) {
        let info = MessageInfo::from_word_clamped(t.reg(&self.m, INFO_REGISTER));
        // Without an IPC buffer (its frame cap revoked) a message is only the registers.
        let b = lookup_ipc_buffer(&self.m, t, true);
        let n = match b {
            Some(_) => info.length as usize,
            None => (info.length as usize).min(MSG_REGISTERS.len()),
        };
        let words = (0..n)
            .map(|i| match (MSG_REGISTERS.get(i), b) {
                (Some(&r), _) => t.reg(&self.m, r),
                (None, Some(b)) => self.m.read_word(b + buf::msg(i)),
                (None, None) => 0,
            })
            .collect();
        (info.label, words)
    }

    pub fn cap(&self, cnode: u64, i: u64) -> KCap {
        Slot::of(cnode, i).cap(&self.m)
    }
}

thread_local! {
    /// Whether the kernel records its trace and `check` replays it (on unless a test,
    /// such as the mutant run, turns it off for speed).
    pub static TRACING: Cell<bool> = const { Cell::new(true) };
}
