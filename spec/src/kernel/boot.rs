//! Boot: the state seL4 hands the root task (its CNode, TCB, VSpace, IPC buffer and untypeds),
//! and the domain schedule the kernel starts with.

use std::collections::{BTreeMap, BTreeSet};

use sel4_abi::config::{IT_ASID, KERNEL_TIMER_IRQ, MAX_DOMAIN_DURATION, NUM_DOMAIN_SCHEDULES};
use sel4_abi::{
    PAGE_BITS, SLOT_BITS, TCB_BITS, WORD_BITS, context::index, init_cap, tcb::MAX_PRIO,
};

use crate::model::{
    Cap, Cte, IrqState, Mapping, Object, PAddr, PageTable, SchedulerAction, State, Tcb,
    ThreadState, VmRights,
};

use super::cspace::slot_at;
use super::thread::{TCB_BUFFER, TCB_CTABLE, TCB_VTABLE, setup_reply_master};

/// The ASID seL4 gives the root task's VSpace (`IT_ASID`).
pub const ROOT_ASID: u16 = IT_ASID;

/// What the kernel is booted with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootConfig {
    /// Untyped regions handed to the root task: (address, size bits, is device).
    pub untypeds: Vec<(PAddr, u8, bool)>,
    /// Where the kernel puts the root task's own objects (aligned to the root CNode's size).
    pub root_objects: PAddr,
    /// Root CNode size (log2 of its slots).
    pub cnode_bits: u8,
    /// The root task's IPC buffer virtual address.
    pub ipc_buffer_vaddr: u64,
    /// The BootInfo frame's virtual address (passed in x0).
    pub bootinfo_vaddr: u64,
    /// The root task's entry point.
    pub entry: u64,
    /// The highest IRQ number of the interrupt controller.
    pub max_irq: u64,
    /// The line the kernel's timer uses (not available to user level).
    pub timer_irq: u64,
    /// The kernel's own placement of the boot objects, when replaying a real boot; `None`
    /// uses the spec's layout from `root_objects`.
    pub layout: Option<BootLayout>,
    /// The root CNode slot of the first untyped cap. seL4 puts the image's page-table,
    /// extra-BootInfo and frame caps first; the spec does not model those caps, so a
    /// replay of a real boot names where the kernel's untypeds start.
    pub first_untyped_slot: u64,
    /// The caps seL4 puts between the initial caps and the untypeds when replaying a real
    /// boot: the root task image's page tables and frames, in slot order from
    /// `NUM_INITIAL_CAPS`. The spec makes their objects but does not model what the boot
    /// page tables hold (see docs/refinement.md).
    pub image_caps: Vec<Cap>,
}

impl Default for BootConfig {
    fn default() -> Self {
        BootConfig {
            untypeds: vec![(0x4100_0000, 24, false), (0x0900_0000, 12, true)],
            root_objects: 0x4080_0000,
            cnode_bits: sel4_abi::ROOT_CNODE_SIZE_BITS_DEFAULT as u8,
            ipc_buffer_vaddr: 0x7000_0000,
            bootinfo_vaddr: 0x7000_1000,
            entry: 0x40_0000,
            max_irq: 1023,
            // The generic timer's virtual-timer PPI on qemu-arm-virt.
            timer_irq: KERNEL_TIMER_IRQ,
            layout: None,
            first_untyped_slot: init_cap::NUM_INITIAL_CAPS,
            image_caps: Vec::new(),
        }
    }
}

/// seL4's create_it_address_space: the root VSpace's boot tables and mappings. Each image
/// page table goes in at the first missing level over its address, in slot order (seL4
/// makes them top down); then each frame cap with a mapping (the image's, the IPC
/// buffer's, the BootInfo's) is entered where a table of its size is. Without image
/// tables (the spec's own boots) no frame finds a table, and the VSpace stays empty.
fn boot_mappings(
    s: &mut State,
    vspace: PAddr,
    image: &[Cap],
    initial: &[(u64, Cap)],
    ipc_buffer_vaddr: u64,
) {
    use super::vspace::{lookup_pt_slot, table_mut};
    use crate::model::Pte;
    for cap in image {
        if let Cap::PageTable {
            base,
            mapping: Some(m),
        } = *cap
        {
            let (t, i, bits) = lookup_pt_slot(s, vspace, m.vaddr);
            if let Some(table) = table_mut(s, t).filter(|_| bits > PAGE_BITS) {
                table.entries.entry(i).or_insert(Pte::Table(base));
            }
        }
    }
    for cap in image.iter().chain(initial.iter().map(|(_, c)| c)) {
        if let Cap::Frame {
            base,
            size_bits,
            rights,
            mapping: Some(m),
            ..
        } = *cap
        {
            let (t, i, bits) = lookup_pt_slot(s, vspace, m.vaddr);
            if let Some(table) = table_mut(s, t).filter(|_| bits == u64::from(size_bits)) {
                // seL4's map_it_frame_cap: the image's frames are executable; the IPC
                // buffer, BootInfo and extra BootInfo frames above it are not.
                table.entries.insert(
                    i,
                    Pte::Page {
                        frame: base,
                        size_bits,
                        rights,
                        executable: m.vaddr < ipc_buffer_vaddr,
                        cacheable: true,
                    },
                );
            }
        }
    }
}

/// Where the boot objects are, so tests and scenarios can name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BootLayout {
    /// The root CNode.
    pub cnode: PAddr,
    /// The root VSpace.
    pub vspace: PAddr,
    /// The root ASID pool.
    pub asid_pool: PAddr,
    /// The IPC buffer frame.
    pub ipc_buffer: PAddr,
    /// The BootInfo frame.
    pub bootinfo: PAddr,
    /// The root TCB.
    pub tcb: PAddr,
    /// The idle thread.
    pub idle: PAddr,
    /// The IRQ node.
    pub irq_node: PAddr,
}

impl BootConfig {
    /// The addresses of the boot objects: CNode first (the largest), then the 4 KiB objects,
    /// then the TCBs, then the IRQ node.
    pub fn layout(&self) -> BootLayout {
        if let Some(l) = self.layout {
            return l;
        }
        let cnode = self.root_objects;
        let after_cnode = cnode + (1 << (u64::from(self.cnode_bits) + SLOT_BITS));
        let page = 1 << PAGE_BITS;
        let tcb = after_cnode + 4 * page;
        let idle = tcb + (1 << TCB_BITS);
        let irq_bits = irq_node_bits(self.max_irq) + SLOT_BITS;
        let irq_node = (idle + (1 << TCB_BITS) + (1 << irq_bits) - 1) & !((1 << irq_bits) - 1);
        BootLayout {
            cnode,
            vspace: after_cnode,
            asid_pool: after_cnode + page,
            ipc_buffer: after_cnode + 2 * page,
            bootinfo: after_cnode + 3 * page,
            tcb,
            idle,
            irq_node,
        }
    }
}

fn irq_node_bits(max_irq: u64) -> u64 {
    u64::from(WORD_BITS as u32 - max_irq.leading_zeros()).max(1)
}

fn root_cte(cap: Cap) -> Cte {
    Cte {
        cap,
        prev: None,
        next: None,
        revocable: true,
        first_badged: true,
    }
}

/// Domain 0's duration in the boot schedule (one domain: it never ends).
pub const BOOT_DURATION: u64 = MAX_DOMAIN_DURATION;

/// The domain schedule at boot: domain 0, then end markers (seL4's `ksDomSchedule` as the
/// default configuration builds it).
pub fn initial_schedule() -> Vec<(u64, u64)> {
    let mut v = vec![(0, 0); NUM_DOMAIN_SCHEDULES];
    v[0] = (0, BOOT_DURATION);
    v
}

/// Boot: the state in which the root task is about to run its first instruction (seL4's
/// `init_kernel` and `try_init_kernel`, step by step).
pub fn boot(cfg: &BootConfig) -> State {
    let l = cfg.layout();
    let mut s = initial_state(cfg, &l);
    create_rootserver_objects(&mut s, cfg, &l);
    create_initial_thread(&mut s, cfg, &l);
    create_idle_thread(&mut s, &l);
    s.asid_table.insert(0, l.asid_pool);
    s.irq_states.insert(cfg.timer_irq, IrqState::Timer);
    let caps = initial_caps(cfg, &l);
    for (i, cap) in caps {
        s.set_cte(slot_at(l.cnode, i), root_cte(cap));
    }
    create_image_caps(&mut s, cfg, &l);
    boot_mappings(
        &mut s,
        l.vspace,
        &cfg.image_caps,
        &caps,
        cfg.ipc_buffer_vaddr,
    );
    create_untypeds(&mut s, cfg, &l);
    install_initial_thread_caps(&mut s, &l);
    setup_reply_master(&mut s, l.tcb);
    s
}

/// seL4's `populate_bi_frame`, with the slot regions its boot fills: the words of the
/// BootInfo frame the root task finds, for the state `s` that [`boot`] made from `cfg`.
/// `extra_len` is the extra BootInfo's length in bytes (a header and the device tree the
/// machine was given, which the spec does not see); it fixes how many frames hold it.
///
/// The caps after the initial ones are, in seL4's order: the image's page tables
/// (userImagePaging), the extra BootInfo frames (extraBIPages: the smallest power of two
/// of pages that holds the extra BootInfo), the image's frames (userImageFrames), then the
/// untypeds, each described in untypedList (its address, size and whether it is device
/// memory); every slot after them is empty. No frames are shared between nodes and there
/// is no IOMMU; the root task runs on node 0 of 1, in domain 0. Every other word is zero.
pub fn boot_info_words(s: &State, cfg: &BootConfig, extra_len: u64) -> Vec<u64> {
    use core::mem::{offset_of, size_of};
    use sel4_abi::{BOOTINFO_FRAME_BITS, BootInfo, UntypedDesc};
    let cnode = cfg.layout().cnode;
    let first = init_cap::NUM_INITIAL_CAPS;
    let paging_end = (first..cfg.first_untyped_slot)
        .find(|&i| !matches!(s.cap(slot_at(cnode, i)), Cap::PageTable { .. }))
        .unwrap_or(cfg.first_untyped_slot);
    let extra_pages = if extra_len == 0 {
        0
    } else {
        let bits = (u64::BITS - (extra_len - 1).leading_zeros()).max(PAGE_BITS as u32);
        1u64 << (bits - PAGE_BITS as u32)
    };
    let extra_end = (paging_end + extra_pages).min(cfg.first_untyped_slot);
    // Without extra BootInfo seL4 leaves extraBIPages as it was: empty, {0, 0}.
    let extra = if extra_pages == 0 {
        (0, 0)
    } else {
        (paging_end, extra_end)
    };
    let untyped_end = cfg.first_untyped_slot + cfg.untypeds.len() as u64;
    let mut w = vec![0u64; 1 << (BOOTINFO_FRAME_BITS - 3)];
    let mut put = |off: usize, v: u64| w[off / 8] = v;
    put(offset_of!(BootInfo, extra_len), extra_len);
    put(offset_of!(BootInfo, node_id), 0);
    put(offset_of!(BootInfo, num_nodes), 1);
    put(offset_of!(BootInfo, num_io_pt_levels), 0);
    put(offset_of!(BootInfo, ipc_buffer), cfg.ipc_buffer_vaddr);
    let regions = [
        (
            offset_of!(BootInfo, empty),
            untyped_end,
            1u64 << cfg.cnode_bits,
        ),
        (offset_of!(BootInfo, shared_frames), 0, 0),
        (
            offset_of!(BootInfo, user_image_frames),
            extra_end,
            cfg.first_untyped_slot,
        ),
        (offset_of!(BootInfo, user_image_paging), first, paging_end),
        (offset_of!(BootInfo, io_space_caps), 0, 0),
        (offset_of!(BootInfo, extra_bi_pages), extra.0, extra.1),
        (
            offset_of!(BootInfo, untyped),
            cfg.first_untyped_slot,
            untyped_end,
        ),
    ];
    for (off, start, end) in regions {
        put(off, start);
        put(off + 8, end);
    }
    put(
        offset_of!(BootInfo, init_thread_cnode_size_bits),
        u64::from(cfg.cnode_bits),
    );
    put(offset_of!(BootInfo, init_thread_domain), 0);
    for (i, &(paddr, size_bits, is_device)) in cfg.untypeds.iter().enumerate() {
        let at = offset_of!(BootInfo, untyped_list) + i * size_of::<UntypedDesc>();
        put(at + offset_of!(UntypedDesc, paddr), paddr);
        // size_bits, is_device and the padding share a word, little-endian.
        put(
            at + offset_of!(UntypedDesc, size_bits),
            u64::from(size_bits) | u64::from(is_device) << 8,
        );
    }
    w
}

/// The state before boot makes anything: no objects, caps or memory, the root task current
/// and resumed (seL4's `init_core_state`), every IRQ inactive, the boot domain schedule.
fn initial_state(cfg: &BootConfig, l: &BootLayout) -> State {
    State {
        objects: BTreeMap::new(),
        slots: BTreeMap::new(),
        memory: BTreeMap::new(),
        writes: Vec::new(),
        ready: BTreeMap::new(),
        current: l.tcb,
        idle: l.idle,
        action: SchedulerAction::ResumeCurrent,
        asid_table: BTreeMap::new(),
        irq_states: BTreeMap::new(),
        irq_node: l.irq_node,
        max_irq: cfg.max_irq,
        masked_irqs: BTreeSet::new(),
        edge_irqs: BTreeSet::new(),
        boot_objects: BTreeSet::new(),
        console: String::new(),
        halted: false,
        faults: Vec::new(),
        work_units: 0,
        preempt_at: None,
        checks: 0,
        preempted: false,
        dom_schedule: initial_schedule(),
        dom_schedule_start: 0,
    }
}

/// seL4's `create_rootserver_objects` (and the IRQ node, `intStateIRQNode`): the root CNode,
/// VSpace, ASID pool, IPC buffer and BootInfo frames, and the IRQ node, all boot objects.
fn create_rootserver_objects(s: &mut State, cfg: &BootConfig, l: &BootLayout) {
    let radix = cfg.cnode_bits;
    let objs = [
        (l.cnode, Object::CNode { radix }),
        (
            l.vspace,
            Object::VSpace {
                table: PageTable::default(),
                asid: Some(ROOT_ASID),
            },
        ),
        (
            l.asid_pool,
            Object::AsidPool([(u64::from(ROOT_ASID), l.vspace)].into()),
        ),
        (
            l.ipc_buffer,
            Object::Frame {
                size_bits: PAGE_BITS as u8,
                is_device: false,
            },
        ),
        (
            l.bootinfo,
            Object::Frame {
                size_bits: PAGE_BITS as u8,
                is_device: false,
            },
        ),
        (
            l.irq_node,
            Object::CNode {
                radix: irq_node_bits(cfg.max_irq) as u8,
            },
        ),
    ];
    for (a, o) in objs {
        s.objects.insert(a, o);
        s.boot_objects.insert(a);
    }
}

/// seL4's `create_initial_thread`: the root task's TCB, running at the highest priority
/// from its entry point, with the BootInfo address in x0 (its caps come later, in
/// [`install_initial_thread_caps`]).
fn create_initial_thread(s: &mut State, cfg: &BootConfig, l: &BootLayout) {
    let mut root = Tcb::new();
    root.state = ThreadState::Running;
    root.priority = MAX_PRIO as u8;
    root.mcp = MAX_PRIO as u8;
    root.ipc_buffer = cfg.ipc_buffer_vaddr;
    root.regs[index::PC] = cfg.entry;
    root.regs[index::X0] = cfg.bootinfo_vaddr;
    // The IPC buffer's address in TPIDRRO_EL0, as for every thread given a buffer.
    root.regs[index::TPIDRRO_EL0] = cfg.ipc_buffer_vaddr;
    root.name = "rootserver".into();
    s.objects.insert(l.tcb, Object::Tcb(Box::new(root)));
    s.boot_objects.insert(l.tcb);
}

/// seL4's `create_idle_thread`.
fn create_idle_thread(s: &mut State, l: &BootLayout) {
    let mut idle = Tcb::new();
    idle.state = ThreadState::Idle;
    idle.name = "idle".into();
    s.objects.insert(l.idle, Object::Tcb(Box::new(idle)));
    s.boot_objects.insert(l.idle);
}

/// The initial caps, by their root-CNode slot (seL4's `create_root_cnode`,
/// `create_domain_cap`, `create_it_asid_pool`, `create_bi_frame_cap`,
/// `create_ipcbuf_frame_cap` and `init_irqs` write them).
fn initial_caps(cfg: &BootConfig, l: &BootLayout) -> [(u64, Cap); 9] {
    let radix = cfg.cnode_bits;
    let page_cap = |base, vaddr| Cap::Frame {
        base,
        size_bits: PAGE_BITS as u8,
        rights: VmRights::ReadWrite,
        is_device: false,
        mapping: Some(Mapping {
            asid: ROOT_ASID,
            vaddr,
        }),
    };
    [
        (init_cap::INIT_THREAD_TCB, Cap::Thread { tcb: l.tcb }),
        (
            init_cap::INIT_THREAD_CNODE,
            Cap::CNode {
                ptr: l.cnode,
                radix,
                guard_size: (WORD_BITS - u64::from(radix)) as u8,
                guard: 0,
            },
        ),
        (
            init_cap::INIT_THREAD_VSPACE,
            Cap::VSpace {
                base: l.vspace,
                asid: Some(ROOT_ASID),
            },
        ),
        (init_cap::IRQ_CONTROL, Cap::IrqControl),
        (init_cap::ASID_CONTROL, Cap::AsidControl),
        (
            init_cap::INIT_THREAD_ASID_POOL,
            Cap::AsidPool {
                base: l.asid_pool,
                asid_base: 0,
            },
        ),
        (
            init_cap::BOOT_INFO_FRAME,
            page_cap(l.bootinfo, cfg.bootinfo_vaddr),
        ),
        (
            init_cap::INIT_THREAD_IPC_BUFFER,
            page_cap(l.ipc_buffer, cfg.ipc_buffer_vaddr),
        ),
        (init_cap::DOMAIN, Cap::Domain),
    ]
}

/// The root task image's page-table and frame caps (seL4's `create_it_address_space` and
/// `create_frames_of_region`), in slot order from `NUM_INITIAL_CAPS`, with their objects.
fn create_image_caps(s: &mut State, cfg: &BootConfig, l: &BootLayout) {
    for (i, &cap) in cfg.image_caps.iter().enumerate() {
        let (base, object) = match cap {
            Cap::Frame {
                base,
                size_bits,
                is_device,
                ..
            } => (
                base,
                Object::Frame {
                    size_bits,
                    is_device,
                },
            ),
            Cap::PageTable { base, .. } => (base, Object::PageTable(PageTable::default())),
            // Only frames and page tables come from the image.
            _ => continue,
        };
        s.objects.insert(base, object);
        s.boot_objects.insert(base);
        let slot = init_cap::NUM_INITIAL_CAPS + i as u64;
        s.set_cte(slot_at(l.cnode, slot), root_cte(cap));
    }
}

/// seL4's `create_untypeds`: one untyped cap per region, from `first_untyped_slot` on.
fn create_untypeds(s: &mut State, cfg: &BootConfig, l: &BootLayout) {
    for (i, &(ptr, size_bits, is_device)) in cfg.untypeds.iter().enumerate() {
        s.set_cte(
            slot_at(l.cnode, cfg.first_untyped_slot + i as u64),
            root_cte(Cap::Untyped {
                ptr,
                size_bits,
                is_device,
                free_index: 0,
            }),
        );
    }
}

/// The cap part of seL4's `create_initial_thread`: the root TCB's own slots hold copies,
/// children of the caps in the root CNode.
fn install_initial_thread_caps(s: &mut State, l: &BootLayout) {
    for (src, dest) in [
        (init_cap::INIT_THREAD_CNODE, TCB_CTABLE),
        (init_cap::INIT_THREAD_VSPACE, TCB_VTABLE),
        (init_cap::INIT_THREAD_IPC_BUFFER, TCB_BUFFER),
    ] {
        let from = slot_at(l.cnode, src);
        let cap = s.cap(from);
        s.cte_insert(cap, from, slot_at(l.tcb, dest));
    }
}
