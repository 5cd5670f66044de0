//! Two processes loaded from one ELF image, each in a VSpace and a CSpace of its own,
//! talking through an endpoint: the root task builds them with `sel4_root_task::process`
//! (the program is `examples/processes-child`, embedded by this crate's build script), gives
//! the server the endpoint and the client a badged copy, and waits for the client to end.
#![no_std]
#![no_main]

use sel4::cap_type::Endpoint;
use sel4::{BootInfo, Cap, CapRights, ObjectType, println};
use sel4_root_task::Allocator;
use sel4_root_task::process::{ProcessConfig, SpawnError, spawn};

sel4_root_task::main!(main);

/// The child program's ELF file.
static CHILD: &[u8] = include_bytes!(env!("CHILD_ELF"));

fn main(bi: &BootInfo) -> Result<(), SpawnError> {
    let mut a = Allocator::new(bi);
    let ep: Cap<Endpoint> = a
        .make(ObjectType::Endpoint, 0)
        .map_err(SpawnError::Kernel)?;
    let base = ProcessConfig {
        elf: CHILD,
        priority: 100,
        cnode_bits: 4,
        stack_pages: 4,
        caps: &[],
        arg: 0,
    };
    println!("root: loading a {}-byte ELF twice", CHILD.len());
    let server = spawn(
        &mut a,
        &ProcessConfig {
            caps: &[(ep.cptr(), CapRights::all(), 0)],
            arg: 0,
            ..base
        },
    )?;
    // The client's copy of the endpoint carries badge 7, so the server knows who calls.
    let client = spawn(
        &mut a,
        &ProcessConfig {
            caps: &[(ep.cptr(), CapRights::all(), 7)],
            arg: 1,
            ..base
        },
    )?;
    println!("root: server and client started in their own address spaces");
    // Let them run: the root task drops below their priority, so it runs again only when
    // neither can: the server waits for a call, the client has suspended itself.
    let me = sel4::init_thread_tcb();
    me.tcb_set_priority(me, 50).map_err(SpawnError::Kernel)?;
    me.tcb_set_priority(me, 255).map_err(SpawnError::Kernel)?;
    let client_done = client.tcb.tcb_read_registers(false, 0, 1).is_ok();
    println!(
        "root: the client has finished ({})",
        if client_done { "suspended" } else { "?" }
    );
    let _ = server;
    Ok(())
}
