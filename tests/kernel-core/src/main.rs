//! Kernel core test suite, in the style of seL4's sel4test: one test per behaviour of the
//! CSpace, untyped retype, IPC, notifications, scheduling, TCB and fault paths, each
//! reported as `ok   <name>` or `FAIL <name>: <why>`, then `N passed, M failed`.
//!
//! Threads are spawned in the root task's own CSpace and VSpace (see [`env::Env::spawn`])
//! and run at the root task's priority unless a test says otherwise, so a test lets them
//! run by yielding (there is no timer preemption). After each test every thread it spawned
//! is suspended and the root task's priority restored, so tests do not see each other.
#![no_std]
#![no_main]
// A failure carries its message in a fixed buffer (there is no allocator); tests return it
// rarely, so its size does not matter.
#![allow(clippy::result_large_err)]

mod cnode;
mod env;
mod faults;
mod ipc;
mod notification;
mod retype;
mod sched;
mod tcb;

use sel4::{BootInfo, println};

use env::{Env, Test};

sel4_root_task::main!(main);

fn main(bi: &'static BootInfo) -> Result<(), &'static str> {
    let env = Env::new(bi)?;
    let (mut passed, mut failed) = (0u32, 0u32);
    let groups: [&[Test]; 7] = [
        retype::TESTS,
        cnode::TESTS,
        ipc::TESTS,
        notification::TESTS,
        sched::TESTS,
        tcb::TESTS,
        faults::TESTS,
    ];
    for &(name, test) in groups.iter().flat_map(|g| g.iter()) {
        env.begin_test();
        let result = test(&env);
        let cleanup = env.end_test();
        match result.and(cleanup) {
            Ok(()) => {
                passed += 1;
                println!("ok   {name}");
            }
            Err(why) => {
                failed += 1;
                println!("FAIL {name}: {why}");
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        Ok(())
    } else {
        Err("kernel-core tests failed")
    }
}
