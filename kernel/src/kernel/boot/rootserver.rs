//! Where the root task's kernel objects go: one block of free memory holding its CNode,
//! VSpace, ASID pool, IPC buffer, BootInfo, extra BootInfo, paging structures, image frames
//! and TCB, each naturally aligned (as seL4's create_rootserver_objects lays them out).

use super::regions::{Region, RegionList};

/// What to allocate, in sizes.
#[derive(Clone, Copy, Debug)]
pub struct Needs {
    /// log2 of the root CNode's slot count.
    pub cnode_bits: u64,
    /// log2 of the extra BootInfo's size (0: none).
    pub extra_bi_bits: u64,
    /// Number of page tables to map the initial thread's virtual range.
    pub paging: u64,
    /// Number of 4 KiB frames of the user image.
    pub image_pages: u64,
}

/// Physical addresses of every root-server object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The whole block.
    pub region: Region,
    /// The root CNode.
    pub cnode: u64,
    /// The extra BootInfo frames (0 if none).
    pub extra_bi: u64,
    /// The VSpace root table.
    pub vspace: u64,
    /// The initial ASID pool.
    pub asid_pool: u64,
    /// The IPC buffer frame.
    pub ipc_buffer: u64,
    /// The BootInfo frame.
    pub boot_info: u64,
    /// The first of `Needs::paging` page tables.
    pub paging: u64,
    /// The first of `Needs::image_pages` contiguous image frames.
    pub image: u64,
    /// The TCB.
    pub tcb: u64,
}

const PAGE: u64 = 1 << sel4_abi::PAGE_BITS;

/// Not enough contiguous free memory for the root server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoRoom {
    /// Bytes the block needs (with its alignment).
    pub needed: u64,
    /// The largest free region.
    pub largest: u64,
}

/// Places the block at the top of the highest free region it fits in, largest objects
/// first so that each stays aligned to its own size.
pub fn plan(free: &RegionList, n: Needs) -> Result<Layout, NoRoom> {
    let cnode_size = 1u64 << (n.cnode_bits + sel4_abi::SLOT_BITS);
    let extra_size = if n.extra_bi_bits == 0 {
        0
    } else {
        1u64 << n.extra_bi_bits
    };
    let tcb_size = 1u64 << sel4_abi::TCB_BITS;
    let align = cnode_size.max(extra_size).max(PAGE);
    let size = cnode_size + extra_size + PAGE * (4 + n.paging + n.image_pages) + tcb_size;
    let largest = free.iter().map(Region::len).max().unwrap_or(0);
    let no_room = NoRoom {
        needed: size,
        largest,
    };
    let start = free
        .iter()
        .rev()
        .find_map(|r| {
            let start = r.end.checked_sub(size)? & !(align - 1);
            (start >= r.start).then_some(start)
        })
        .ok_or(no_room)?;
    // The CNode and the extra BootInfo are the two objects that may exceed a page; the
    // larger goes first.
    let mut at = start;
    let mut take = |len: u64| {
        let p = at;
        at += len;
        p
    };
    let (cnode, extra_bi) = if extra_size > cnode_size {
        let e = take(extra_size);
        (take(cnode_size), e)
    } else {
        let c = take(cnode_size);
        (c, take(extra_size))
    };
    let layout = Layout {
        region: Region::sized(start, size),
        cnode,
        extra_bi: if extra_size == 0 { 0 } else { extra_bi },
        vspace: take(PAGE),
        asid_pool: take(PAGE),
        ipc_buffer: take(PAGE),
        boot_info: take(PAGE),
        paging: take(PAGE * n.paging),
        image: take(PAGE * n.image_pages),
        tcb: take(tcb_size),
    };
    Ok(layout)
}

/// Page tables needed below the VSpace root to map `[start, end)`: one per 512 GiB (level
/// 1), per 1 GiB (level 2) and per 2 MiB (level 3) the range touches (seL4's get_n_paging).
pub fn paging_needed(start: u64, end: u64) -> u64 {
    [39u32, 30, 21]
        .iter()
        .map(|&bits| {
            let m = (1u64 << bits) - 1;
            (((end + m) & !m) - (start & !m)) >> bits
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_aligned_disjoint_and_inside_the_block() {
        let mut free = RegionList::new();
        free.add(Region::new(0x4000_0000, 0x4800_0000)).unwrap();
        free.add(Region::new(0x5000_0000, 0x5000_8000)).unwrap(); // too small, above
        let n = Needs {
            cnode_bits: 12,
            extra_bi_bits: 21,
            paging: 3,
            image_pages: 10,
        };
        let l = plan(&free, n).unwrap();
        assert!(l.region.end <= 0x4800_0000 && l.region.start >= 0x4000_0000);
        assert_eq!(l.extra_bi % (1 << 21), 0);
        assert_eq!(l.cnode % (1 << 17), 0);
        let objs = [
            (l.cnode, 1 << 17),
            (l.extra_bi, 1 << 21),
            (l.vspace, PAGE),
            (l.asid_pool, PAGE),
            (l.ipc_buffer, PAGE),
            (l.boot_info, PAGE),
            (l.paging, 3 * PAGE),
            (l.image, 10 * PAGE),
            (l.tcb, 2048),
        ];
        for (i, &(a, la)) in objs.iter().enumerate() {
            assert!(a >= l.region.start && a + la <= l.region.end);
            for &(b, lb) in &objs[i + 1..] {
                assert!(a + la <= b || b + lb <= a, "{a:#x} and {b:#x} overlap");
            }
        }
    }

    #[test]
    fn reports_the_largest_region_when_nothing_fits() {
        let mut free = RegionList::new();
        free.add(Region::new(0x4000_0000, 0x4001_0000)).unwrap();
        let n = Needs {
            cnode_bits: 12,
            extra_bi_bits: 0,
            paging: 3,
            image_pages: 1,
        };
        let e = plan(&free, n).unwrap_err();
        assert_eq!(e.largest, 0x1_0000);
        assert!(e.needed > e.largest);
    }

    #[test]
    fn paging_counts_each_level() {
        // 4 MiB at 4 MiB: one L1, one L2, two L3 tables.
        assert_eq!(paging_needed(0x40_0000, 0x80_0000), 4);
        // Straddling a 1 GiB boundary: one L1, two L2, two L3.
        assert_eq!(paging_needed(0x3fff_f000, 0x4000_1000), 5);
    }
}
