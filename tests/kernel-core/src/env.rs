//! The test environment: failure reports, object allocation from untyped memory, and
//! threads spawned in the root task's CSpace and VSpace.

use core::cell::{Cell, UnsafeCell};
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU64, Ordering};

use sel4::cap_type::{CNode, Endpoint, FixedSizeObject, SmallPage, Tcb, Untyped};
use sel4::{BootInfo, CNodeCapData, Cap, ObjectType, UserContext};

/// A test: its name and its body.
pub type Test = (&'static str, fn(&Env) -> Outcome);

/// What a test returns: `Err` says why it failed.
pub type Outcome = Result<(), Why>;

/// Why a test failed: a short message in a fixed buffer (no allocator here).
pub struct Why {
    buf: [u8; 200],
    len: usize,
}

impl Why {
    /// The message `args` formats to, cut to fit.
    pub fn new(args: fmt::Arguments<'_>) -> Self {
        let mut w = Why {
            buf: [0; 200],
            len: 0,
        };
        let _ = w.write_fmt(args);
        w
    }
}

impl Write for Why {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len < self.buf.len() {
                self.buf[self.len] = b;
                self.len += 1;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(core::str::from_utf8(&self.buf[..self.len]).unwrap_or("<bad utf-8>"))
    }
}

impl fmt::Debug for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Returns from the test with a failure message.
#[macro_export]
macro_rules! fail {
    ($($t:tt)*) => {
        return Err($crate::env::Why::new(format_args!($($t)*)))
    };
}

/// Fails the test unless the condition holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($t:tt)*) => {
        if !$cond {
            $crate::fail!($($t)*);
        }
    };
}

/// Fails the test unless `got == want`, naming what was compared.
#[macro_export]
macro_rules! expect_eq {
    ($got:expr, $want:expr, $what:expr) => {{
        let (got, want) = ($got, $want);
        if got != want {
            $crate::fail!("{}: got {:?}, want {:?}", $what, got, want);
        }
    }};
}

/// Adds what was being done to an unexpected error.
pub trait Context<T> {
    /// `Err(e)` becomes a failure "`what`: e".
    fn ctx(self, what: &str) -> Result<T, Why>;
}

impl<T> Context<T> for sel4::Result<T> {
    fn ctx(self, what: &str) -> Result<T, Why> {
        self.map_err(|e| Why::new(format_args!("{what}: unexpected error: {e:?}")))
    }
}

/// A thread entry point: gets the argument in x0, never returns.
pub type Entry = extern "C" fn(u64) -> !;

/// How to spawn a thread.
#[derive(Clone, Copy)]
pub struct Spawn {
    /// Priority (and MCP).
    pub prio: u64,
    /// Fault endpoint cptr in the root CSpace (0: none).
    pub fault_ep: u64,
    /// Give the thread an IPC buffer.
    pub ipc_buffer: bool,
    /// Resume it at once (else it stays inactive, registers written).
    pub start: bool,
}

impl Default for Spawn {
    fn default() -> Self {
        Spawn {
            prio: 255,
            fault_ep: 0,
            ipc_buffer: true,
            start: true,
        }
    }
}

/// Threads a single test may spawn (their stacks and IPC buffers are reused by the next
/// test, after the threads are suspended).
const POOL: usize = 12;
const STACK_BYTES: usize = 16 * 1024;

#[repr(C, align(4096))]
struct Page([u8; 4096]);

#[repr(C, align(16))]
struct Stack([u8; STACK_BYTES]);

/// Memory shared with spawned threads, handed out by address only.
struct Shared<T>(UnsafeCell<T>);

// SAFETY: the root task never reads or writes these arrays through Rust references; it only
// takes their addresses and gives each page and stack to one thread at a time.
unsafe impl<T> Sync for Shared<T> {}

static IPC_PAGES: Shared<[Page; POOL]> = Shared(UnsafeCell::new([const { Page([0; 4096]) }; POOL]));
static STACKS: Shared<[Stack; POOL]> =
    Shared(UnsafeCell::new([const { Stack([0; STACK_BYTES]) }; POOL]));

unsafe extern "C" {
    /// The ELF header, at the first loaded page of the image (defined by the linker).
    static __ehdr_start: u8;
}

/// The endpoint nobody sends to: finished threads wait on it forever.
static VOID_EP: AtomicU64 = AtomicU64::new(0);

/// Blocks the calling thread for good.
pub fn park() -> ! {
    let ep = Cap::<Endpoint>::from_cptr(VOID_EP.load(Ordering::SeqCst));
    loop {
        ep.recv();
    }
}

/// The root task's view of its resources while the tests run.
pub struct Env {
    /// The BootInfo.
    pub bi: &'static BootInfo,
    /// A big RAM untyped that objects are made from.
    pub ut: Cap<Untyped>,
    next_slot: Cell<u64>,
    end_slot: u64,
    pool_used: Cell<usize>,
    spawned: Cell<[u64; POOL]>,
}

impl Env {
    /// Finds the memory to work with and makes the void endpoint.
    pub fn new(bi: &'static BootInfo) -> Result<Env, &'static str> {
        let (ut, _) = bi
            .untyped_caps()
            .filter(|(_, d)| d.is_device == 0)
            .max_by_key(|(_, d)| d.size_bits)
            .ok_or("no RAM untyped")?;
        let env = Env {
            bi,
            ut,
            next_slot: Cell::new(bi.empty().start),
            end_slot: bi.empty().end,
            pool_used: Cell::new(0),
            spawned: Cell::new([0; POOL]),
        };
        let void = env
            .alloc::<Endpoint>()
            .map_err(|_| "cannot make the void endpoint")?;
        VOID_EP.store(void.cptr(), Ordering::SeqCst);
        Ok(env)
    }

    /// A fresh empty slot of the root CNode.
    pub fn slot(&self) -> u64 {
        let s = self.next_slot.get();
        assert!(s < self.end_slot, "out of empty slots");
        self.next_slot.set(s + 1);
        s
    }

    /// `n` consecutive fresh empty slots; the first.
    pub fn slots(&self, n: u64) -> u64 {
        let s = self.next_slot.get();
        assert!(s + n <= self.end_slot, "out of empty slots");
        self.next_slot.set(s + n);
        s
    }

    /// Makes a fixed-size object in a fresh slot.
    pub fn alloc<T: FixedSizeObject>(&self) -> Result<Cap<T>, Why> {
        let s = self.slot();
        self.ut
            .untyped_retype_fixed::<T>(&root().itself(), s, 1)
            .ctx("retype")?;
        Ok(Cap::from_cptr(s))
    }

    /// Makes a CNode of `2^radix` slots in a fresh slot.
    pub fn alloc_cnode(&self, radix: u64) -> Result<Cap<CNode>, Why> {
        self.alloc_sized(ObjectType::CapTable, radix).map(Cap::cast)
    }

    /// Makes an untyped of `2^bits` bytes in a fresh slot.
    pub fn alloc_untyped(&self, bits: u64) -> Result<Cap<Untyped>, Why> {
        self.alloc_sized(ObjectType::Untyped, bits).map(Cap::cast)
    }

    fn alloc_sized(&self, t: ObjectType, bits: u64) -> Result<Cap<Untyped>, Why> {
        let s = self.slot();
        self.ut
            .untyped_retype(t, bits, &root().itself(), s, 1)
            .ctx("retype")?;
        Ok(Cap::from_cptr(s))
    }

    /// Makes a thread running `entry(arg)` in the root task's CSpace and VSpace.
    pub fn spawn(&self, entry: Entry, arg: u64, how: Spawn) -> Result<Cap<Tcb>, Why> {
        let i = self.pool_used.get();
        assert!(i < POOL, "a test spawned more than {POOL} threads");
        self.pool_used.set(i + 1);
        let tcb = self.alloc::<Tcb>()?;
        let mut spawned = self.spawned.get();
        spawned[i] = tcb.cptr();
        self.spawned.set(spawned);

        let (buffer, frame) = if how.ipc_buffer {
            let page = IPC_PAGES.0.get() as u64 + (i * 4096) as u64;
            (page, self.image_frame(page))
        } else {
            (0, Cap::null())
        };
        tcb.tcb_configure(
            how.fault_ep,
            root(),
            CNodeCapData::default(),
            sel4::init_thread_vspace(),
            0,
            buffer,
            frame,
        )
        .ctx("TCB Configure")?;
        tcb.tcb_set_sched_params(sel4::init_thread_tcb(), how.prio, how.prio)
            .ctx("TCB SetSchedParams")?;
        let ctx = UserContext {
            pc: entry as *const () as u64,
            sp: stack_top(i),
            x0: arg,
            ..UserContext::default()
        };
        tcb.tcb_write_registers(how.start, 0, 4, &ctx)
            .ctx("TCB WriteRegisters")?;
        Ok(tcb)
    }

    /// Stops tracking a spawned thread whose TCB cap the test deleted.
    pub fn forget(&self, tcb: Cap<Tcb>) {
        let mut spawned = self.spawned.get();
        for t in spawned.iter_mut().filter(|t| **t == tcb.cptr()) {
            *t = 0;
        }
        self.spawned.set(spawned);
    }

    /// The cap to the image frame holding `vaddr`.
    pub fn image_frame(&self, vaddr: u64) -> Cap<SmallPage> {
        let start = image_start();
        Cap::from_cptr(self.bi.user_image_frames().start + (vaddr - start) / 4096)
    }

    /// Before a test: its threads take the pool from the start.
    pub fn begin_test(&self) {
        self.pool_used.set(0);
        self.spawned.set([0; POOL]);
    }

    /// After a test: suspends its threads and restores the root task's priority.
    pub fn end_test(&self) -> Outcome {
        for &t in self.spawned.get().iter().filter(|&&t| t != 0) {
            Cap::<Tcb>::from_cptr(t)
                .tcb_suspend()
                .ctx("cleanup: suspend a spawned thread")?;
        }
        self.begin_test();
        let me = sel4::init_thread_tcb();
        me.tcb_set_priority(me, 255)
            .ctx("cleanup: restore the root task's priority")
    }
}

/// Where the image starts (its first loaded page).
pub fn image_start() -> u64 {
    (&raw const __ehdr_start) as u64 & !0xfff
}

fn stack_top(i: usize) -> u64 {
    STACKS.0.get() as u64 + ((i + 1) * STACK_BYTES) as u64
}

/// The root CNode.
pub fn root() -> Cap<CNode> {
    sel4::init_thread_cnode()
}

/// Yields `n` times, letting the threads at the root task's priority run.
pub fn yield_n(n: usize) {
    for _ in 0..n {
        sel4::ipc::yield_now();
    }
}

/// A shared word for threads to report through.
pub struct Word(AtomicU64);

impl Word {
    /// A word holding 0.
    pub const fn new() -> Self {
        Word(AtomicU64::new(0))
    }
    /// Its value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
    /// Stores `v`.
    pub fn set(&self, v: u64) {
        self.0.store(v, Ordering::SeqCst);
    }
    /// Adds 1, returning the new value.
    pub fn bump(&self) -> u64 {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }
}
