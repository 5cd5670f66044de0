//! This thread's IPC buffer: where it is, and access to it.
//!
//! The root-task runtime records the address the kernel gives in BootInfo; threads started
//! later record theirs the same way before they use IPC.

use core::sync::atomic::{AtomicPtr, Ordering};
use sel4_abi::IpcBuffer;

static IPC_BUFFER: AtomicPtr<IpcBuffer> = AtomicPtr::new(core::ptr::null_mut());

/// Records the address of this thread's IPC buffer.
///
/// # Safety
/// `buf` must point to this thread's IPC buffer, mapped read-write for as long as the
/// program runs, and used by nothing else than this module's accessors.
pub unsafe fn set(buf: *mut IpcBuffer) {
    IPC_BUFFER.store(buf, Ordering::Relaxed);
}

/// Runs `f` with the IPC buffer. Panics if no buffer was recorded.
pub fn with<R>(f: impl FnOnce(&mut IpcBuffer) -> R) -> R {
    let p = IPC_BUFFER.load(Ordering::Relaxed);
    assert!(
        !p.is_null(),
        "no IPC buffer recorded: the runtime sets it from BootInfo"
    );
    // SAFETY: `set`'s contract: the pointer is this thread's mapped IPC buffer, and this is
    // the only place that makes a reference to it, for the duration of `f` only (single
    // thread, not re-entered: `f` gets the buffer, not access to `with`'s caller).
    f(unsafe { &mut *p })
}
