//! This thread's IPC buffer: where it is, and access to it.
//!
//! The kernel publishes each thread's IPC-buffer address in TPIDRRO_EL0, a register user
//! level can read but not write, saved and restored with the thread (seL4 does the same on
//! AArch32 with TPIDRURO). So every thread finds its own buffer without thread-local
//! storage, which stable `no_std` Rust lacks. [`set`] overrides it (for host tests, or a
//! kernel that does not publish the address).

use core::sync::atomic::{AtomicPtr, Ordering};
use sel4_abi::IpcBuffer;

static OVERRIDE: AtomicPtr<IpcBuffer> = AtomicPtr::new(core::ptr::null_mut());

/// Records the address of the IPC buffer to use instead of the one the kernel publishes.
///
/// # Safety
/// `buf` must point to the IPC buffer of every thread that uses this library afterwards
/// (in practice: a single-threaded program), mapped read-write for as long as the program
/// runs, and used by nothing else than this module's accessors.
pub unsafe fn set(buf: *mut IpcBuffer) {
    OVERRIDE.store(buf, Ordering::Relaxed);
}

/// This thread's IPC buffer address, or null if it has none.
pub fn address() -> *mut IpcBuffer {
    let p = OVERRIDE.load(Ordering::Relaxed);
    if !p.is_null() {
        return p;
    }
    #[cfg(target_arch = "aarch64")]
    {
        let a: u64;
        // SAFETY: reading TPIDRRO_EL0 has no side effects; EL0 may read it.
        unsafe {
            core::arch::asm!("mrs {}, tpidrro_el0", out(reg) a, options(nomem, nostack, preserves_flags))
        };
        a as *mut IpcBuffer
    }
    #[cfg(not(target_arch = "aarch64"))]
    core::ptr::null_mut()
}

/// Runs `f` with this thread's IPC buffer. Crate-internal: the crate never calls it again
/// from inside `f`, and never makes a syscall while `f` runs, so the reference is the only
/// one to the buffer while it lives.
///
/// # Panics
/// If the thread has no IPC buffer.
pub(crate) fn with<R>(f: impl FnOnce(&mut IpcBuffer) -> R) -> R {
    let p = address();
    assert!(
        !p.is_null(),
        "this thread has no IPC buffer (TCB_SetIPCBuffer or Configure gives it one)"
    );
    // SAFETY: the address is this thread's mapped IPC buffer (the kernel published it, or
    // `set`'s contract holds). This thread's code reaches the buffer only through `with`,
    // which is never nested, and other threads have buffers of their own; the kernel writes
    // it only during a syscall, which `f` never makes.
    f(unsafe { &mut *p })
}

/// Whether this thread has an IPC buffer.
pub fn is_set() -> bool {
    !address().is_null()
}

/// Runs `f` with the IPC buffer, or returns `None` if the thread has none.
pub(crate) fn try_with<R>(f: impl FnOnce(&mut IpcBuffer) -> R) -> Option<R> {
    is_set().then(|| with(f))
}
