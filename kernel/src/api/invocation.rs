//! An invocation as the kernel decodes it: who invokes what, with which message words and
//! extra caps (seL4's decodeInvocation inputs).

use crate::kernel::ipc;
use crate::machine::Memory;
use crate::object::{Cap, Slot, Tcb};
use sel4_abi::MSG_MAX_EXTRA_CAPS;

/// Everything a decoder may read. Message words past `length` read as absent.
#[derive(Clone, Copy, Debug)]
pub struct Invocation {
    /// The invoking thread.
    pub thread: Tcb,
    /// The message label (the invocation label).
    pub label: u64,
    /// Message words available (cut to 4 without an IPC buffer).
    pub length: usize,
    /// The invoker's IPC buffer, if usable.
    pub buffer: Option<u64>,
    /// Slots of the extra caps, resolved.
    pub extra: [Option<Slot>; MSG_MAX_EXTRA_CAPS],
    /// The invoked cap's slot.
    pub slot: Slot,
    /// The invoked cap.
    pub cap: Cap,
    /// A Call (a reply is expected).
    pub call: bool,
    /// A blocking send (Send or Call).
    pub blocking: bool,
}

impl Invocation {
    /// Message word `i` (seL4's getSyscallArg).
    pub fn arg(&self, m: &impl Memory, i: usize) -> u64 {
        ipc::msg_word(m, self.thread, self.buffer, i)
    }
    /// Extra cap `i`: its slot and the cap in it.
    pub fn extra_cap(&self, m: &impl Memory, i: usize) -> Option<(Slot, Cap)> {
        self.extra.get(i).copied().flatten().map(|s| (s, s.cap(m)))
    }
}
