//! Boot on a simulated machine: the BootInfo, caps and mappings the root task will see.

use super::elf::testelf;
use super::*;
use crate::machine::Memory;
use crate::machine::sim::SimMachine;

const RAM: Region = Region::new(0x4000_0000, 0x4400_0000); // 64 MiB
const KERNEL: Region = Region::new(0x4020_0000, 0x4030_0000);
const DTB: Region = Region::new(0x4000_0000, 0x4000_1234);
const ELF_AT: u64 = 0x4030_0000;
const GIC: Region = Region::new(0x800_0000, 0x802_0000);

pub(crate) fn machine_with(elf: &[u8]) -> (SimMachine, BootParams) {
    let mut m = SimMachine::new(RAM.start, RAM.len() as usize);
    for i in 0..DTB.len() {
        m.write_byte(DTB.start + i, (i % 251) as u8);
    }
    for (i, b) in elf.iter().enumerate() {
        m.write_byte(ELF_AT + i as u64, *b);
    }
    let mut ram = RegionList::new();
    ram.add(RAM).unwrap();
    let mut kernel_devices = RegionList::new();
    kernel_devices.add(GIC).unwrap();
    (
        m,
        BootParams {
            ram,
            kernel_image: KERNEL,
            dtb: DTB,
            root_elf: ELF_AT,
            kernel_devices,
        },
    )
}

pub(crate) fn sample_elf() -> Vec<u8> {
    testelf::build(
        0x40_0000,
        &[
            (0x40_0000, &[0xaa; 5000], 5000),
            (0x40_2000, &[0xbb; 16], 0x3000),
        ],
    )
}

fn bi_word(m: &SimMachine, r: &BootResult, off: usize) -> u64 {
    m.read_word(r.layout.boot_info + off as u64)
}
fn bi_region(m: &SimMachine, r: &BootResult, off: usize) -> (u64, u64) {
    (bi_word(m, r, off), bi_word(m, r, off + 8))
}
fn untypeds(m: &SimMachine, r: &BootResult) -> Vec<(u64, u64, bool)> {
    let (start, end) = bi_region(m, r, offset_of!(BootInfo, untyped));
    (0..end - start)
        .map(|i| {
            let d = r.layout.boot_info + offset_of!(BootInfo, untyped_list) as u64 + i * 16;
            let w = m.read_word(d + 8);
            (m.read_word(d), w & 0xff, (w >> 8) & 0xff == 1)
        })
        .collect()
}

#[test]
fn initial_caps_sit_in_sel4s_slots() {
    let (mut m, p) = machine_with(&sample_elf());
    let r = init(&mut crate::model::KernelState::new(), &mut m, &p).unwrap();
    let cnode = r.layout.cnode;
    let cap = |i| Slot::of(cnode, i).cap(&m);
    assert_eq!(cap(init_cap::NULL), Cap::Null);
    assert_eq!(cap(init_cap::INIT_THREAD_TCB), Cap::Thread { tcb: r.tcb.0 });
    assert!(
        matches!(cap(init_cap::INIT_THREAD_CNODE), Cap::CNode { ptr, radix: 12, guard_size: 52, guard: 0 } if ptr == cnode)
    );
    assert_eq!(
        cap(init_cap::INIT_THREAD_VSPACE),
        Cap::VSpace {
            base: r.vspace,
            asid: Some(IT_ASID)
        }
    );
    assert_eq!(cap(init_cap::IRQ_CONTROL), Cap::IrqControl);
    assert_eq!(cap(init_cap::ASID_CONTROL), Cap::AsidControl);
    assert!(matches!(
        cap(init_cap::INIT_THREAD_ASID_POOL),
        Cap::AsidPool { asid_base: 0, .. }
    ));
    assert_eq!(cap(init_cap::IO_PORT_CONTROL), Cap::Null);
    assert_eq!(cap(init_cap::IO_SPACE), Cap::Null);
    assert!(matches!(
        cap(init_cap::BOOT_INFO_FRAME),
        Cap::Frame {
            mapping: Some(_),
            ..
        }
    ));
    assert!(matches!(
        cap(init_cap::INIT_THREAD_IPC_BUFFER),
        Cap::Frame { .. }
    ));
    assert_eq!(cap(init_cap::DOMAIN), Cap::Domain);
    for i in 12..16 {
        assert_eq!(
            cap(i),
            Cap::Null,
            "slot {i} is empty on a non-MCS kernel without SMMU or SMC"
        );
    }
    // The TCB's own slots are children of the root caps.
    assert_eq!(
        r.tcb.cap(&m, tcb_slot::CTABLE),
        cap(init_cap::INIT_THREAD_CNODE)
    );
    assert_eq!(
        r.tcb.slot(tcb_slot::CTABLE).prev(&m),
        Some(Slot::of(cnode, init_cap::INIT_THREAD_CNODE))
    );
    assert_eq!(
        r.tcb.cap(&m, tcb_slot::BUFFER),
        cap(init_cap::INIT_THREAD_IPC_BUFFER)
    );
}

#[test]
fn bootinfo_regions_are_consecutive_and_end_in_the_empty_range() {
    let (mut m, p) = machine_with(&sample_elf());
    let r = init(&mut crate::model::KernelState::new(), &mut m, &p).unwrap();
    let paging = bi_region(&m, &r, offset_of!(BootInfo, user_image_paging));
    let extra = bi_region(&m, &r, offset_of!(BootInfo, extra_bi_pages));
    let frames = bi_region(&m, &r, offset_of!(BootInfo, user_image_frames));
    let unt = bi_region(&m, &r, offset_of!(BootInfo, untyped));
    let empty = bi_region(&m, &r, offset_of!(BootInfo, empty));
    assert_eq!(
        paging,
        (16, 19),
        "one table per level for an image under 2 MiB"
    );
    assert_eq!(extra.0, paging.1);
    assert_eq!(
        frames,
        (extra.1, extra.1 + 5),
        "image 0x400000..0x405000 is five pages"
    );
    assert_eq!(unt.0, frames.1);
    assert_eq!(unt.1 - unt.0, r.untyped_count);
    assert_eq!(empty, (unt.1, 4096));
    assert_eq!(
        bi_word(&m, &r, offset_of!(BootInfo, init_thread_cnode_size_bits)),
        12
    );
    assert_eq!(bi_word(&m, &r, offset_of!(BootInfo, ipc_buffer)), 0x40_5000);
    assert_eq!(bi_word(&m, &r, offset_of!(BootInfo, num_nodes)), 1);
    assert_eq!(r.tcb.reg(&m, reg::X0), 0x40_6000, "x0 = BootInfo address");
    assert_eq!(r.tcb.reg(&m, reg::PC), 0x40_0000);
}

#[test]
fn untypeds_cover_all_free_ram_and_nothing_else() {
    let (mut m, p) = machine_with(&sample_elf());
    let r = init(&mut crate::model::KernelState::new(), &mut m, &p).unwrap();
    let list = untypeds(&m, &r);
    let ram: Vec<_> = list.iter().filter(|u| !u.2).collect();
    let ram_total: u64 = ram.iter().map(|u| 1u64 << u.1).sum();
    // Every byte of RAM is the kernel's, the root server's, or in exactly one untyped.
    assert_eq!(ram_total + KERNEL.len() + r.layout.region.len(), RAM.len());
    assert_eq!(ram_total, r.ram_bytes);
    for (i, a) in list.iter().enumerate() {
        let ra = Region::sized(a.0, 1 << a.1);
        assert_eq!(
            a.0 % (1 << a.1),
            0,
            "untyped {:#x} not aligned to its size",
            a.0
        );
        assert!(!ra.overlaps(&KERNEL) && !ra.overlaps(&r.layout.region) && !ra.overlaps(&GIC));
        for b in &list[i + 1..] {
            assert!(
                !ra.overlaps(&Region::sized(b.0, 1 << b.1)),
                "{a:?} overlaps {b:?}"
            );
        }
        // Slot caps agree with the list.
        let slot = Slot::of(
            r.layout.cnode,
            bi_region(&m, &r, offset_of!(BootInfo, untyped)).0 + i as u64,
        );
        assert_eq!(
            slot.cap(&m),
            Cap::Untyped {
                ptr: a.0,
                size_bits: a.1 as u8,
                is_device: a.2,
                free_index: 0
            }
        );
    }
    // Device untypeds are the rest of the 2^40 physical space, less RAM and the GIC.
    let dev_total: u64 = list.iter().filter(|u| u.2).map(|u| 1u64 << u.1).sum();
    assert_eq!(
        dev_total,
        config::PADDR_USER_DEVICE_TOP - RAM.len() - GIC.len()
    );
    assert!(
        list.iter().position(|u| !u.2).unwrap() > list.iter().rposition(|u| u.2).unwrap(),
        "devices first"
    );
    // The DTB and ELF copies went back to free memory.
    assert!(list.iter().any(|u| u.0 == 0x4000_0000 && !u.2));
}

#[test]
fn image_is_mapped_with_segment_bytes_and_zeroed_bss() {
    let (mut m, p) = machine_with(&sample_elf());
    let r = init(&mut crate::model::KernelState::new(), &mut m, &p).unwrap();
    let byte = |va: u64| m.read_byte(vspace::translate(&m, r.vspace, va).expect("mapped"));
    assert_eq!(byte(0x40_0000), 0xaa);
    assert_eq!(byte(0x40_0000 + 4999), 0xaa);
    assert_eq!(byte(0x40_0000 + 5000), 0, "between segments: zero");
    assert_eq!(byte(0x40_2000), 0xbb);
    assert_eq!(byte(0x40_2010), 0, "bss");
    assert_eq!(byte(0x40_4fff), 0);
    // BootInfo and extra BootInfo: FDT chunk with a copy of the DTB.
    let bi_pa = vspace::translate(&m, r.vspace, 0x40_6000).unwrap();
    assert_eq!(bi_pa, r.layout.boot_info);
    let extra = vspace::translate(&m, r.vspace, 0x40_7000).unwrap();
    assert_eq!(m.read_word(extra), sel4_abi::bootinfo::BOOTINFO_HEADER_FDT);
    assert_eq!(m.read_word(extra + 8), 16 + DTB.len());
    assert_eq!(m.read_byte(extra + 16 + 300), (300 % 251) as u8);
    assert_eq!(
        vspace::translate(&m, r.vspace, 0x40_5000),
        Some(r.layout.ipc_buffer)
    );
}

#[test]
fn refuses_bad_images_with_reasons() {
    let (mut m, p) = machine_with(&[0x13; 100]);
    assert_eq!(
        init(&mut crate::model::KernelState::new(), &mut m, &p).unwrap_err(),
        BootError::BadElf(elf::ElfError::NotElf)
    );
    let huge = testelf::build(0x40_0000, &[(0x40_0000, &[1; 4], 64 << 30)]);
    let (mut m, p) = machine_with(&huge);
    let e = init(&mut crate::model::KernelState::new(), &mut m, &p).unwrap_err();
    assert!(
        matches!(e, BootError::NotEnoughMemory(n) if n.needed > 64 << 30),
        "{e:?}"
    );
    assert!(format!("{e}").contains("contiguous memory"));
}
