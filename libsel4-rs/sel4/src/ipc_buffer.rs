//! This thread's IPC buffer: where it is, and access to it.
//!
//! The root-task runtime records the address the kernel gives in BootInfo; threads started
//! later record theirs the same way before they use IPC.

use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use sel4_abi::IpcBuffer;

static IPC_BUFFER: AtomicPtr<IpcBuffer> = AtomicPtr::new(core::ptr::null_mut());

/// Set while a `&mut IpcBuffer` handed out by [`with`] is alive.
static BORROWED: AtomicBool = AtomicBool::new(false);

/// Records the address of this thread's IPC buffer.
///
/// # Safety
/// `buf` must point to this thread's IPC buffer, mapped read-write for as long as the
/// program runs, and used by nothing else than this module's accessors.
pub unsafe fn set(buf: *mut IpcBuffer) {
    IPC_BUFFER.store(buf, Ordering::Relaxed);
}

/// Clears the borrow flag when the reference's scope ends (also on unwinding).
struct Borrow;

impl Drop for Borrow {
    fn drop(&mut self) {
        BORROWED.store(false, Ordering::Release);
    }
}

/// Runs `f` with the IPC buffer.
///
/// # Panics
/// If no buffer was recorded, or if called from inside `f` (directly or through IPC, which
/// uses the buffer): two live `&mut` to one buffer would be undefined behaviour.
pub fn with<R>(f: impl FnOnce(&mut IpcBuffer) -> R) -> R {
    let p = IPC_BUFFER.load(Ordering::Relaxed);
    assert!(
        !p.is_null(),
        "no IPC buffer recorded: the runtime sets it from BootInfo"
    );
    assert!(
        !BORROWED.swap(true, Ordering::Acquire),
        "IPC buffer already in use: ipc_buffer::with re-entered"
    );
    let _borrow = Borrow;
    // SAFETY: `set`'s contract: the pointer is this thread's mapped IPC buffer, used only
    // through this function. The BORROWED flag makes this the only live reference to it,
    // for the duration of `f` (a nested call panics above instead of aliasing it). The
    // kernel writes the buffer only during a syscall, and no syscall is made while `f` holds
    // the reference unless `f` makes one itself (the ipc module never does).
    f(unsafe { &mut *p })
}

/// Whether an IPC buffer was recorded for this thread.
pub fn is_set() -> bool {
    !IPC_BUFFER.load(Ordering::Relaxed).is_null()
}

/// Runs `f` with the IPC buffer, or returns `None` if none was recorded.
///
/// # Panics
/// If called from inside [`with`]'s closure.
pub fn try_with<R>(f: impl FnOnce(&mut IpcBuffer) -> R) -> Option<R> {
    is_set().then(|| with(f))
}
