//! The executable specification of the kernel: seL4 16.0.0 (AArch64, non-MCS) as a pure state machine.
//!
//! This crate plays the part seL4's Haskell model plays for seL4: it is the manual, written to
//! be read, and it runs. The whole kernel is one function, [`api::handle_event`], from a
//! [`model::State`] and an [`api::Event`] (a syscall, a fault, a timer tick, an interrupt) to
//! the next state and an [`api::Outcome`] (what user level can observe).
//!
//! Design principles, in the order they win when they conflict:
//!
//! 1. **Faithful to seL4.** Every rule follows seL4 16.0.0's C and Haskell sources as
//!    `docs/abi.md` records them, including the order of checks, because the order
//!    decides which error user level sees. Where the model simplifies (see docs/spec.md)
//!    the module that does it says so.
//! 2. **Objects are addresses.** State is keyed by physical address: objects, capability
//!    slots (a slot's identity is its address, as in seL4) and user memory words. Retype
//!    places objects where seL4 would, so the spec predicts every address the kernel uses.
//! 3. **Decode, then invoke.** Each invocation is first validated into a typed value or an
//!    error naming the argument, with no change to the state; only then is it performed.
//! 4. **One source of ABI numbers.** Every number user level sees comes from `sel4-abi`.
//! 5. **Checked.** [`model::check_invariants`] states what must hold between steps; tests run
//!    it after every step of random event sequences.
//!
//! Folders mirror seL4's model and are layers, lowest first; a module imports only from its
//! own layer or the ones below it: `machine` (registers and memory words), `model` (the
//! state, the objects, the derivation tree, invocation errors), `kernel` (operations that
//! span objects: CSpace lookup, slots and deletion, threads and scheduling, IPC, faults,
//! interrupts, the VSpace, boot), `object` (one module per object family, each decoding its
//! invocations with `decode_<family>` into a `<Family>Invocation` and performing them with
//! `invoke_<family>`), `api` (the entry point and syscall dispatch).
#![forbid(unsafe_code)]

pub mod api;
pub mod harness;
pub mod kernel;
pub mod machine;
pub mod model;
pub mod object;
pub mod scenario;
