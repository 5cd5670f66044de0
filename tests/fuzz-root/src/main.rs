//! The refinement tests' fuzzing root task: it runs a program of syscalls that the host
//! patched into its ELF file (`FUZZ_PROGRAM`; no rebuild per program), on every thread the
//! program starts, each taking the next step whichever runs, then halts. The kernel records
//! a trace meanwhile, which the host replays on the spec (`refinement-tests`,
//! `cargo xtask refine --qemu`). It checks nothing itself: what the kernel answers is for
//! the replay to judge.
//!
//! The program: word 0 the magic `FUZZPROG`, word 1 the number of steps, then steps of
//! [`STEP_WORDS`] words: `kind arg cptr label n_words words[8] n_caps caps[3]`. Kind 0 is a
//! syscall (`arg` its number), kind 1 a wait of `arg` timer ticks, kind 2 a memory access at
//! address `arg` (`label` 0 a load, 1 a store of zero), kind 3 an exception instruction
//! (`arg` 0 `udf`, 1 `brk`): the last two fault wherever the program aims them. A word
//! equal to [`ENTRY_MARKER`] becomes the threads' entry point, [`STACK_MARKER`] + k the top
//! of stack k (the host cannot know these addresses; the trace records the values used).
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use sel4::abi::Syscall;
use sel4::{BootInfo, Message, println};

sel4_root_task::main!(main);

/// Words the program may take.
pub const PROGRAM_WORDS: usize = 16 * 1024;
/// Words per step.
pub const STEP_WORDS: usize = 20;
/// The first word of a program.
pub const MAGIC: u64 = u64::from_le_bytes(*b"FUZZPROG");
/// Replaced by the threads' entry point.
pub const ENTRY_MARKER: u64 = 0xfeed_f00d_0000_0001;
/// Plus k: replaced by the top of stack k.
pub const STACK_MARKER: u64 = 0xfeed_f00d_0000_0100;
/// Stacks for threads the program starts.
const THREADS: usize = 4;
const STACK_WORDS: usize = 2048;
/// Loop turns per timer tick waited for (a tick is 2 ms; QEMU runs one instruction per ns).
const SPIN_PER_TICK: u64 = 1_000_000;

/// The program, patched in by the host. Atomics, so every read goes to memory.
#[unsafe(no_mangle)]
#[used]
pub static FUZZ_PROGRAM: [AtomicU64; PROGRAM_WORDS] = {
    let mut p = [const { AtomicU64::new(0) }; PROGRAM_WORDS];
    p[0] = AtomicU64::new(MAGIC);
    p
};

/// The next step to run, shared by every thread.
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// The threads' stacks, 16-byte aligned as AArch64 requires of the stack pointer.
#[repr(align(16))]
struct Stacks([AtomicU64; THREADS * STACK_WORDS]);
static STACKS: Stacks = Stacks([const { AtomicU64::new(0) }; THREADS * STACK_WORDS]);

fn word(i: usize) -> u64 {
    FUZZ_PROGRAM.get(i).map_or(0, |w| w.load(Ordering::Relaxed))
}

fn main(bi: &BootInfo) -> Result<(), &'static str> {
    if word(0) != MAGIC {
        return Err("the program's magic word is missing");
    }
    let u = bi.untyped();
    // The largest untyped of normal memory: the program's prelude makes its objects there.
    let largest = bi
        .untyped_caps()
        .filter(|(_, d)| d.is_device == 0)
        .max_by_key(|(_, d)| d.size_bits)
        .map_or(u.end.saturating_sub(1), |(c, _)| c.cptr());
    println!(
        "fuzz-root: empty {} untyped {}..{} ipc_buffer {:#x} steps {} largest {}",
        bi.empty().start,
        u.start,
        u.end,
        bi.ipc_buffer(),
        word(1),
        largest
    );
    run()
}

/// Where the program's threads start.
#[unsafe(no_mangle)]
pub extern "C" fn fuzz_thread() -> ! {
    run()
}

/// Takes steps until none is left, then halts the machine.
fn run() -> ! {
    let steps = word(1) as usize;
    loop {
        // One step per thread that takes it: the increment is atomic, so a thread
        // preempted here and another taking a step never run the same one.
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        if n >= steps {
            sel4::syscall::debug_halt(0);
        }
        step(2 + n * STEP_WORDS);
    }
}

fn resolve(w: u64) -> u64 {
    if w == ENTRY_MARKER {
        fuzz_thread as *const () as u64
    } else if (STACK_MARKER..STACK_MARKER + THREADS as u64).contains(&w) {
        let k = (w - STACK_MARKER) as usize + 1;
        STACKS.0.as_ptr() as u64 + (k * STACK_WORDS * 8) as u64
    } else {
        w
    }
}

fn step(at: usize) {
    let [kind, arg, cptr, label, n_words] = [0, 1, 2, 3, 4].map(|i| word(at + i));
    match kind {
        1 => {
            for i in 0..arg * SPIN_PER_TICK {
                core::hint::black_box(i);
            }
            return;
        }
        2 => return access(arg, label == 1),
        3 => return exception(arg == 1),
        _ => {}
    }
    let mut msg = Message::with_words(label, &[]);
    for i in 0..(n_words as usize).min(8) {
        msg.push(resolve(word(at + 5 + i)));
    }
    let n_caps = word(at + 13) as usize;
    for i in 0..n_caps.min(3) {
        msg.push_cptr(word(at + 14 + i));
    }
    match Syscall::from_word(arg) {
        Some(sys) => {
            sel4::ipc::syscall_with_message(sys, cptr, &msg);
        }
        None => unknown_syscall(arg),
    }
}

/// An `svc` with a number seL4 does not know, in x7: an unknown-syscall fault. A reply
/// from the fault handler may set x0 to x7, so all eight are clobbered here; a longer
/// reply also sets the pc, sp and x30, which no asm can declare: the thread then goes
/// wherever the reply says (the replay follows it; the program goes on in the others).
fn unknown_syscall(number: u64) {
    // SAFETY: `svc #0` enters the kernel, which raises the fault and, when a handler
    // replies, restarts this instruction with the registers the reply gives; x0..x7 are
    // declared clobbered and the kernel touches no memory of this program. A reply that
    // sets the pc or sp does not return here at all (see above).
    unsafe {
        core::arch::asm!(
            "svc #0",
            inout("x7") number => _,
            out("x0") _, out("x1") _, out("x2") _, out("x3") _,
            out("x4") _, out("x5") _, out("x6") _,
            options(nostack),
        )
    };
}

/// A load from `addr`, or a store of zero there: a data abort unless it is mapped so.
fn access(addr: u64, store: bool) {
    if store {
        // SAFETY: the program aims this store on purpose, where nothing is mapped or at the
        // kernel's (EL1-only) code (the kernel then sends the fault to the thread's handler
        // or stops the thread); where it succeeds it writes zero into a frame the program
        // mapped itself, never into this task's code or data (the host never aims it
        // inside the image).
        unsafe { core::arch::asm!("str xzr, [{a}]", a = in(reg) addr, options(nostack)) };
    } else {
        let _v: u64;
        // SAFETY: a load changes no memory; where nothing is mapped it faults, which is the
        // point of the step.
        unsafe {
            core::arch::asm!("ldr {v}, [{a}]", a = in(reg) addr, v = out(reg) _v, options(nostack, readonly))
        };
    }
}

/// An undefined instruction (`udf`) or a breakpoint (`brk`): a user exception the kernel
/// sends to the thread's fault handler. A reply restarts the instruction, or, with words,
/// sets the pc and sp: the thread then goes where the reply says.
fn exception(breakpoint: bool) {
    if breakpoint {
        // SAFETY: `brk` only raises an exception; the kernel handles it as a user exception.
        unsafe { core::arch::asm!("brk #0x7", options(nostack, nomem)) };
    } else {
        // SAFETY: as for `brk`: the instruction raises an undefined-instruction exception.
        unsafe { core::arch::asm!("udf #0x5", options(nostack, nomem)) };
    }
}
