//! The user library for programs on this kernel: raw syscalls, debug output, BootInfo and
//! IPC-buffer access, over the ABI numbers of `sel4-abi`.
//!
//! Layers: [`syscall`] holds the one `svc` instruction and the raw register conventions;
//! everything else is built on it. Typed capabilities and one method per invocation grow
//! here as the kernel gains them.
#![no_std]

pub mod bootinfo;
pub mod debug;
pub mod ipc_buffer;
pub mod syscall;

pub use bootinfo::BootInfo;
pub use sel4_abi as abi;
pub use sel4_abi::{CapRights, Error, MessageInfo, ObjectType};
