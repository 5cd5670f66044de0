//! Threads in the root task's own CSpace and VSpace: each gets a stack and an IPC buffer
//! page from a small pool inside the root task's image, so starting one needs no mapping.

use crate::alloc::Allocator;
use core::sync::atomic::{AtomicUsize, Ordering};
use sel4::cap_type::{SmallPage, Tcb};
use sel4::{BootInfo, CNodeCapData, Cap, Error, ObjectType, UserContext};

/// Threads the pool has room for.
pub const MAX_THREADS: usize = 8;
/// Bytes of each thread's stack.
pub const STACK_SIZE: usize = 32 * 1024;

#[repr(C, align(4096))]
struct Page([u8; 4096]);
#[repr(C, align(16))]
struct Stack([u8; STACK_SIZE]);

static mut PAGES: [Page; MAX_THREADS] = [const { Page([0; 4096]) }; MAX_THREADS];
static mut STACKS: [Stack; MAX_THREADS] = [const { Stack([0; STACK_SIZE]) }; MAX_THREADS];
static NEXT: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" {
    /// The linker's symbol for the ELF header: the first byte of the root task's image.
    static __ehdr_start: u8;
}

/// The first address of the root task's image (its ELF header, the first loaded byte).
pub fn image_start() -> u64 {
    &raw const __ehdr_start as u64
}

/// The cap to the frame of the root task's image that holds `addr`.
pub fn image_frame(bi: &BootInfo, addr: u64) -> Cap<SmallPage> {
    Cap::from_cptr(bi.user_image_frames().start + (addr - image_start()) / 4096)
}

/// Starts `entry(arg)` at priority `prio` in the root task's CSpace and VSpace, with
/// `fault_ep` (a cptr, 0 for none) as its fault endpoint. Returns its TCB cap.
///
/// # Panics
/// When all [`MAX_THREADS`] stacks are in use.
pub fn spawn(
    bi: &BootInfo,
    alloc: &mut Allocator,
    entry: extern "C" fn(u64) -> !,
    arg: u64,
    prio: u64,
    fault_ep: u64,
) -> Result<Cap<Tcb>, Error> {
    let i = NEXT.fetch_add(1, Ordering::Relaxed);
    assert!(
        i < MAX_THREADS,
        "sel4_root_task::thread: no more than {MAX_THREADS} threads"
    );
    let tcb: Cap<Tcb> = alloc.make(ObjectType::Tcb, 0)?;
    let page = &raw const PAGES as u64 + i as u64 * 4096;
    let stack_top = &raw const STACKS as u64 + (i as u64 + 1) * STACK_SIZE as u64;
    let cnode = sel4::init_thread_cnode();
    let vspace = sel4::init_thread_vspace();
    tcb.tcb_configure(
        fault_ep,
        cnode,
        CNodeCapData::new(0, 0),
        vspace,
        0,
        page,
        image_frame(bi, page),
    )?;
    tcb.tcb_set_sched_params(sel4::init_thread_tcb(), prio, prio)?;
    let mut regs = UserContext::new();
    regs.pc = entry as *const () as u64;
    regs.sp = stack_top;
    regs.x0 = arg;
    // WriteRegisters sets every register, TPIDRRO_EL0 too, which holds the IPC buffer's
    // address for the library: keep it.
    regs.tpidrro_el0 = page;
    tcb.tcb_write_all_registers(true, &regs)?;
    Ok(tcb)
}
