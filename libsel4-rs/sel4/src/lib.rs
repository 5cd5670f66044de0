//! The user library for programs on this kernel: typed capabilities, one method per seL4
//! invocation, IPC, errors with their payloads, debug output and BootInfo access, over the
//! ABI numbers of `sel4-abi`. `no_std`, no allocation, stable Rust.
//!
//! Layers, bottom up (`docs/libsel4.md` is the guide):
//! - [`syscall`]: the one `svc` instruction and the raw register conventions.
//! - [`message`]: a [`Message`] (label, up to 120 words, up to 3 caps) and where each part
//!   travels (registers or IPC buffer); pure, tested on the host.
//! - [`ipc`]: send, receive, call, reply, signal, wait, poll.
//! - [`cap`]: [`Cap<T>`] typed capability pointers, the initial caps, slot addresses.
//! - [`invocation`]: a pure request builder per seL4 invocation and a method on the cap
//!   type that performs it, decoding failures into an [`Error`].
//!
//! ```no_run
//! use sel4::{Cap, cap_type};
//!
//! /// Makes an endpoint in the first empty slot and sends it a message.
//! fn ping(bi: &sel4::BootInfo) -> sel4::Result<()> {
//!     let (untyped, _) = bi.untyped_caps().next().expect("no untyped memory");
//!     let slot = bi.empty().start;
//!     let root = sel4::init_thread_cnode();
//!     untyped.untyped_retype_fixed::<cap_type::Endpoint>(&root.itself(), slot, 1)?;
//!     let ep: Cap<cap_type::Endpoint> = Cap::from_cptr(slot);
//!     ep.nb_send(&sel4::Message::with_words(1, &[42]));
//!     Ok(())
//! }
//! ```
#![no_std]
#![warn(missing_docs)]

pub mod bootinfo;
pub mod cap;
pub mod debug;
pub mod error;
pub mod fault;
pub mod invocation;
pub mod ipc;
pub mod ipc_buffer;
pub mod message;
pub mod syscall;

pub use bootinfo::BootInfo;
pub use cap::cap_type;
pub use cap::{
    AbsoluteCPtr, Badge, CPtr, Cap, CapType, asid_control, boot_info_frame, domain,
    init_thread_asid_pool, init_thread_cnode, init_thread_ipc_buffer, init_thread_tcb,
    init_thread_vspace, irq_control,
};
pub use error::{Error, LookupFailure, Result};
pub use fault::Fault;
pub use invocation::invoke;
pub use message::Message;
pub use sel4_abi as abi;
pub use sel4_abi::{
    CNodeCapData, CapRights, InvocationLabel, MessageInfo, ObjectType, UserContext, VmAttributes,
};
