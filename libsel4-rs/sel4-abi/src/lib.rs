//! The seL4 16.0.0 AArch64 ABI (non-MCS): every number and layout shared by the kernel and user level.
//!
//! This crate is the one place an ABI number is written. The kernel, the specification and
//! the user library import it; nobody writes a syscall number, label, size or offset twice.
//! Each item's docs name the seL4 identifier it mirrors, and every value is pinned by a test.
//! The configuration is seL4's AArch64 default: non-MCS, single core, no hypervisor, no SMMU,
//! debug build with printing. `docs/abi.md` is the reader's guide.
#![no_std]
#![forbid(unsafe_code)]

pub mod bootinfo;
pub mod cap_type;
pub mod cnode;
pub mod config;
pub mod context;
pub mod error;
pub mod fault;
pub mod init_cap;
pub mod invocation;
pub mod ipc_buffer;
pub mod message_info;
pub mod object;
pub mod registers;
pub mod rights;
pub mod syscall;
pub mod tcb;
pub mod vm;

pub use bootinfo::{
    BOOTINFO_FRAME_BITS, BootInfo, BootInfoHeader, MAX_NUM_BOOTINFO_UNTYPED_CAPS,
    ROOT_CNODE_SIZE_BITS_DEFAULT, SlotRegion, UntypedDesc,
};
pub use cap_type::CapType;
pub use cnode::CNodeCapData;
pub use context::{USER_CONTEXT_WORDS, UserContext, gpr_index};
pub use error::{Error, LookupFailureType};
pub use fault::FaultType;
pub use invocation::{
    AsidControlLabel, AsidPoolLabel, CNodeLabel, DomainLabel, FrameLabel, InvocationLabel,
    IrqControlLabel, IrqHandlerLabel, PageTableLabel, TcbLabel, UnknownLabel, UntypedLabel,
    VSpaceLabel,
};
pub use ipc_buffer::{IPC_BUFFER_SIZE_BITS, IpcBuffer};
pub use message_info::{FAST_MESSAGE_REGISTERS, MSG_MAX_EXTRA_CAPS, MSG_MAX_LENGTH, MessageInfo};
pub use object::*;
pub use rights::CapRights;
pub use syscall::Syscall;
pub use tcb::{MAX_PRIO, NUM_PRIORITIES};
pub use vm::VmAttributes;
