//! The interrupt controller: GICv2 (the `virt` board's default) through its memory-mapped
//! CPU interface, or GICv3 through the ICC system registers; one core, group 1 (or the
//! only group), every interrupt routed to it.

use super::KERNEL_WINDOW;
use core::arch::asm;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_structs;
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};

register_structs! {
    /// The distributor (both versions share the parts used here).
    pub Distributor {
        (0x000 => ctlr: ReadWrite<u32>),
        (0x004 => typer: ReadOnly<u32>),
        (0x008 => _r0),
        (0x080 => igroupr: [ReadWrite<u32>; 32]),
        (0x100 => isenabler: [ReadWrite<u32>; 32]),
        (0x180 => icenabler: [ReadWrite<u32>; 32]),
        (0x200 => _r1),
        (0x300 => isactiver: [ReadOnly<u32>; 32]),
        (0x380 => _r1b),
        (0x400 => ipriorityr: [ReadWrite<u32>; 255]),
        (0x7fc => _r2),
        (0x800 => itargetsr: [ReadWrite<u32>; 255]),
        (0xbfc => _r3),
        (0xc00 => icfgr: [ReadWrite<u32>; 64]),
        (0xd00 => _r4),
        (0xf00 => sgir: WriteOnly<u32>),
        (0xf04 => @END),
    }
}

register_structs! {
    /// GICv2 CPU interface.
    pub CpuInterface {
        (0x00 => ctlr: ReadWrite<u32>),
        (0x04 => pmr: ReadWrite<u32>),
        (0x08 => bpr: ReadWrite<u32>),
        (0x0c => iar: ReadOnly<u32>),
        (0x10 => eoir: WriteOnly<u32>),
        (0x14 => @END),
    }
}

register_structs! {
    /// GICv3 redistributor: the control frame, then the SGI/PPI frame 64 KiB above it.
    pub Redistributor {
        (0x00000 => ctlr: ReadWrite<u32>),
        (0x00004 => _r0),
        (0x00014 => waker: ReadWrite<u32>),
        (0x00018 => _r1),
        (0x10080 => igroupr0: ReadWrite<u32>),
        (0x10084 => _r2),
        (0x10100 => isenabler0: ReadWrite<u32>),
        (0x10104 => _r3),
        (0x10180 => icenabler0: ReadWrite<u32>),
        (0x10184 => _r4),
        (0x10300 => isactiver0: ReadOnly<u32>),
        (0x10304 => _r4b),
        (0x10400 => ipriorityr: [ReadWrite<u32>; 8]),
        (0x10420 => @END),
    }
}

/// The value of an acknowledge that found nothing pending.
const SPURIOUS: u32 = 1020;
/// Priority of every interrupt (lower is more urgent; all equal).
const PRIORITY: u32 = 0xa0;

/// The GIC, mapped in the kernel window.
pub enum Gic {
    /// GICv2.
    V2 {
        dist: &'static Distributor,
        cpu: &'static CpuInterface,
    },
    /// GICv3.
    V3 {
        dist: &'static Distributor,
        redist: &'static Redistributor,
    },
}

impl Gic {
    /// Initialises the GIC at physical addresses `regs` (distributor, CPU interface or
    /// redistributor) with every interrupt disabled.
    ///
    /// # Safety
    /// `regs` must be the GIC's register frames from the device tree, inside the device
    /// gigabyte the kernel window maps, and nothing else may drive the GIC.
    pub unsafe fn init(v3: bool, regs: [u64; 2]) -> Gic {
        // SAFETY: the caller guarantees live, device-mapped GIC frames used only by us.
        let dist = unsafe { &*((KERNEL_WINDOW + regs[0]) as *const Distributor) };
        let lines = ((dist.typer.get() & 0x1f) as usize + 1) * 32;
        dist.ctlr.set(0);
        for i in 1..lines / 32 {
            dist.icenabler[i].set(u32::MAX);
            dist.igroupr[i].set(if v3 { u32::MAX } else { 0 });
        }
        for i in 8..lines / 4 {
            dist.ipriorityr[i].set(PRIORITY * 0x0101_0101);
            if !v3 {
                dist.itargetsr[i].set(0x0101_0101);
            }
        }
        if v3 {
            // SAFETY: as above, for the first redistributor (this core's).
            let redist = unsafe { &*((KERNEL_WINDOW + regs[1]) as *const Redistributor) };
            redist.waker.set(redist.waker.get() & !(1 << 1));
            while redist.waker.get() & (1 << 2) != 0 {}
            redist.icenabler0.set(u32::MAX);
            redist.igroupr0.set(u32::MAX);
            for p in &redist.ipriorityr {
                p.set(PRIORITY * 0x0101_0101);
            }
            dist.ctlr.set(1 << 4 | 0b11); // affinity routing, both groups
            // SAFETY: the ICC system registers exist on a GICv3 system; enabling the
            // system-register interface, the priority mask and group 1 is their intended use.
            unsafe {
                asm!(
                    "mrs {t}, S3_0_C12_C12_5", "orr {t}, {t}, #1", "msr S3_0_C12_C12_5, {t}", "isb",
                    "msr S3_0_C4_C6_0, {pmr}", "msr S3_0_C12_C12_3, xzr", "msr S3_0_C12_C12_7, {one}", "isb",
                    t = out(reg) _, pmr = in(reg) 0xf0u64, one = in(reg) 1u64, options(nostack)
                )
            };
            Gic::V3 { dist, redist }
        } else {
            // SAFETY: as above, for the CPU interface frame.
            let cpu = unsafe { &*((KERNEL_WINDOW + regs[1]) as *const CpuInterface) };
            for i in 0..8 {
                dist.ipriorityr[i].set(PRIORITY * 0x0101_0101);
            }
            dist.icenabler[0].set(u32::MAX);
            dist.ctlr.set(0b11);
            cpu.pmr.set(0xf0);
            cpu.bpr.set(0);
            cpu.ctlr.set(0b11);
            Gic::V2 { dist, cpu }
        }
    }

    /// The number of interrupt lines.
    pub fn lines(&self) -> u64 {
        let (Gic::V2 { dist, .. } | Gic::V3 { dist, .. }) = self;
        ((dist.typer.get() & 0x1f) as u64 + 1) * 32
    }

    /// Lets interrupt `irq` through to this core.
    pub fn enable(&self, irq: u32) {
        let (i, bit) = ((irq / 32) as usize, 1 << (irq % 32));
        match self {
            Gic::V3 { redist, .. } if irq < 32 => redist.isenabler0.set(bit),
            Gic::V2 { dist, .. } | Gic::V3 { dist, .. } => dist.isenabler[i].set(bit),
        }
    }

    /// Configures a shared peripheral interrupt as edge-triggered or level-sensitive (the
    /// trigger of private interrupts is fixed by the hardware).
    pub fn set_trigger(&self, irq: u32, edge: bool) {
        if irq < 32 {
            return;
        }
        let (Gic::V2 { dist, .. } | Gic::V3 { dist, .. }) = self;
        let (reg, bit) = ((irq / 16) as usize, 2 * (irq % 16) + 1);
        let v = dist.icfgr[reg].get();
        dist.icfgr[reg].set(if edge { v | 1 << bit } else { v & !(1 << bit) });
    }

    /// Whether line `irq` is enabled, and whether it is edge-triggered (a private line's
    /// trigger is reported as level: the kernel never sets it).
    #[cfg(feature = "trace")]
    pub fn line_state(&self, irq: u32) -> (bool, bool) {
        let (i, bit) = ((irq / 32) as usize, 1 << (irq % 32));
        let enabled = match self {
            Gic::V3 { redist, .. } if irq < 32 => redist.isenabler0.get() & bit != 0,
            Gic::V2 { dist, .. } | Gic::V3 { dist, .. } => dist.isenabler[i].get() & bit != 0,
        };
        let (Gic::V2 { dist, .. } | Gic::V3 { dist, .. }) = self;
        let edge =
            irq >= 32 && dist.icfgr[(irq / 16) as usize].get() & 1 << (2 * (irq % 16) + 1) != 0;
        (enabled, edge)
    }

    /// Lines `32 g .. 32 g + 32`: the enabled ones and the active ones (acknowledged and
    /// not yet ended), one bit per line. On a GICv3 the private lines are the
    /// redistributor's.
    #[cfg(feature = "trace")]
    pub fn group_state(&self, g: usize) -> (u32, u32) {
        match self {
            Gic::V3 { redist, .. } if g == 0 => (redist.isenabler0.get(), redist.isactiver0.get()),
            Gic::V2 { dist, .. } | Gic::V3 { dist, .. } => {
                (dist.isenabler[g].get(), dist.isactiver[g].get())
            }
        }
    }

    /// Stops interrupt `irq`.
    pub fn disable(&self, irq: u32) {
        let (i, bit) = ((irq / 32) as usize, 1 << (irq % 32));
        match self {
            Gic::V3 { redist, .. } if irq < 32 => redist.icenabler0.set(bit),
            Gic::V2 { dist, .. } | Gic::V3 { dist, .. } => dist.icenabler[i].set(bit),
        }
    }

    /// Whether a software-generated interrupt can target `target` (seL4's
    /// plat_SGITargetValid): one of a GICv2's 8 CPU interfaces; any affinity word on a GICv3.
    pub fn sgi_target_valid(&self, target: u64) -> bool {
        match self {
            Gic::V2 { .. } => target < 8,
            Gic::V3 { .. } => true,
        }
    }

    /// Sends software-generated interrupt `irq` to `target` (seL4's plat_sendSGI): a GICv2
    /// CPU interface, or a GICv3 affinity word (Aff0 in bits 0..4 with its range in 4..8,
    /// then Aff1, Aff2, Aff3 a byte each). (seL4 shifts Aff3 into Aff2's field of
    /// ICC_SGI1R_EL1; this puts it where the architecture has it, bit 48. One core sees no
    /// difference.)
    pub fn send_sgi(&self, irq: u64, target: u64) {
        match self {
            Gic::V2 { dist, .. } => {
                dist.sgir
                    .set(((1u32 << (target & 7)) << 16) | (irq & 0xf) as u32);
            }
            Gic::V3 { .. } => {
                let v = (irq & 0xf) << 24
                    | 1 << (target & 0xf)
                    | (target & 0xf0) << 40
                    | (target & 0xff00) << 8
                    | (target & 0xff_0000) << 16
                    | (target & 0xff00_0000) << 24;
                // SAFETY: writing ICC_SGI1R_EL1 raises the SGI; nothing else changes.
                unsafe { asm!("msr S3_0_C12_C11_5, {}", "isb", in(reg) v, options(nostack)) };
            }
        }
    }

    /// Acknowledges the highest-priority pending interrupt, if any.
    pub fn ack(&self) -> Option<u32> {
        let iar = match self {
            Gic::V2 { cpu, .. } => cpu.iar.get() & 0x3ff,
            Gic::V3 { .. } => {
                let v: u64;
                // SAFETY: reading ICC_IAR1_EL1 acknowledges an interrupt; nothing else.
                unsafe { asm!("mrs {}, S3_0_C12_C12_0", out(reg) v, options(nostack)) };
                (v & 0xffffff) as u32
            }
        };
        (iar < SPURIOUS).then_some(iar)
    }

    /// Signals the end of handling of `irq`.
    pub fn eoi(&self, irq: u32) {
        match self {
            Gic::V2 { cpu, .. } => cpu.eoir.set(irq),
            // SAFETY: writing ICC_EOIR1_EL1 ends the interrupt; nothing else.
            Gic::V3 { .. } => unsafe {
                asm!("msr S3_0_C12_C12_1, {}", in(reg) irq as u64, options(nostack))
            },
        }
    }
}
