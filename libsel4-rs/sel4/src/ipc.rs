//! IPC: send, receive, call and reply on endpoints; signal, wait and poll on notifications.
//!
//! Each function performs one syscall through [`crate::syscall::raw`]. Messages of at most
//! four words and no caps use registers only; longer ones (and any with caps) use the IPC
//! buffer, which must then have been recorded with [`crate::ipc_buffer::set`] (the
//! root-task runtime does this). A received message longer than four words is read from the
//! IPC buffer; without one it is cut to four words, as the kernel cuts it.

use sel4_abi::Syscall;

use crate::cap::cap_type::{CNode, Endpoint, Notification, Reply};
use crate::cap::{AbsoluteCPtr, Badge, Cap, CapType};
use crate::ipc_buffer;
use crate::message::Message;
use crate::syscall::{Regs, raw};

/// The registers for sending `msg` to `cptr`, its long part written to the IPC buffer.
fn load(cptr: u64, msg: &Message) -> Regs {
    if msg.needs_ipc_buffer() {
        ipc_buffer::with(|buf| msg.write_ipc_buffer(buf));
    }
    msg.to_regs(cptr)
}

/// Any syscall carrying `msg` to `cptr`: x0..x5 as the message gives them, its long part
/// in the IPC buffer (left out if the thread has none: the kernel then reads registers
/// only). Returns the registers the kernel wrote back. For programs that issue arbitrary
/// syscalls, such as the refinement tests' fuzzing root task; the typed functions above
/// are the ones to use otherwise.
pub fn syscall_with_message(sys: Syscall, cptr: u64, msg: &Message) -> Regs {
    if msg.needs_ipc_buffer() {
        ipc_buffer::try_with(|buf| msg.write_ipc_buffer(buf));
    }
    raw(sys, msg.to_regs(cptr))
}

/// The message the kernel delivered in `regs` (and the IPC buffer).
fn store(regs: &Regs) -> Message {
    let from_buffer = Message::reply_needs_ipc_buffer(regs.x1)
        .then(|| ipc_buffer::try_with(|buf| Message::from_regs(regs, Some(buf))))
        .flatten();
    from_buffer.unwrap_or_else(|| Message::from_regs(regs, None))
}

/// seL4_Send: sends `msg` through `dest`, blocking until it is delivered (endpoint) or at
/// once (notification: a signal). Errors are not reported (seL4 discards them on Send).
pub fn send<T: CapType>(dest: Cap<T>, msg: &Message) {
    raw(Syscall::Send, load(dest.cptr(), msg));
}

/// seL4_NBSend: sends `msg` if a receiver is waiting; otherwise drops it.
pub fn nb_send<T: CapType>(dest: Cap<T>, msg: &Message) {
    raw(Syscall::NBSend, load(dest.cptr(), msg));
}

/// seL4_Call: sends `msg` through `dest` and waits for the reply. On a kernel object this is
/// an invocation and the reply's label is an error code (see [`crate::invocation::invoke`]).
pub fn call<T: CapType>(dest: Cap<T>, msg: &Message) -> Message {
    store(&raw(Syscall::Call, load(dest.cptr(), msg)))
}

/// seL4_Recv: waits for a message on `src`; returns it with the sender's badge.
pub fn recv<T: CapType>(src: Cap<T>) -> (Message, Badge) {
    let regs = raw(
        Syscall::Recv,
        Regs {
            x0: src.cptr(),
            ..Regs::default()
        },
    );
    (store(&regs), regs.x0)
}

/// seL4_NBRecv: takes a message from `src` if one is waiting. With none, the message is
/// empty (label 0, length 0) and the badge 0.
pub fn nb_recv<T: CapType>(src: Cap<T>) -> (Message, Badge) {
    let regs = raw(
        Syscall::NBRecv,
        Regs {
            x0: src.cptr(),
            ..Regs::default()
        },
    );
    (store(&regs), regs.x0)
}

/// seL4_Reply: replies to the thread that last called this one (non-MCS reply slot).
pub fn reply(msg: &Message) {
    raw(Syscall::Reply, load(0, msg));
}

/// seL4_ReplyRecv: replies with `msg`, then waits on `src`; returns the next message and
/// its badge.
pub fn reply_recv<T: CapType>(src: Cap<T>, msg: &Message) -> (Message, Badge) {
    let regs = raw(Syscall::ReplyRecv, load(src.cptr(), msg));
    (store(&regs), regs.x0)
}

/// seL4_Signal: Send on a notification; ORs its badge into the notification word.
pub fn signal(ntfn: Cap<Notification>) {
    raw(
        Syscall::Send,
        Regs {
            x0: ntfn.cptr(),
            ..Regs::default()
        },
    );
}

/// seL4_Wait: Recv on a notification; blocks until signalled, returns the word of badges.
pub fn wait(ntfn: Cap<Notification>) -> Badge {
    recv(ntfn).1
}

/// seL4_Poll: NBRecv on a notification; the word of badges, 0 if not signalled.
pub fn poll(ntfn: Cap<Notification>) -> Badge {
    nb_recv(ntfn).1
}

/// seL4_Yield: gives up the rest of the timeslice.
pub fn yield_now() {
    crate::syscall::yield_now();
}

/// Sets where a cap received with the next message goes (the IPC buffer's receiveCNode,
/// receiveIndex, receiveDepth; `seL4_SetCapReceivePath`).
pub fn set_receive_slot(slot: AbsoluteCPtr) {
    ipc_buffer::with(|buf| {
        buf.receive_cnode = slot.root().cptr();
        buf.receive_index = slot.index();
        buf.receive_depth = slot.depth();
    });
}

/// Where a received cap goes (see [`set_receive_slot`]).
pub fn receive_slot() -> AbsoluteCPtr {
    ipc_buffer::with(|buf| {
        AbsoluteCPtr::new(
            Cap::<CNode>::from_cptr(buf.receive_cnode),
            buf.receive_index,
            buf.receive_depth,
        )
    })
}

impl Cap<Endpoint> {
    /// seL4_Send on this endpoint.
    pub fn send(self, msg: &Message) {
        send(self, msg);
    }

    /// seL4_NBSend on this endpoint.
    pub fn nb_send(self, msg: &Message) {
        nb_send(self, msg);
    }

    /// seL4_Call on this endpoint: send, then wait for the reply.
    pub fn call(self, msg: &Message) -> Message {
        call(self, msg)
    }

    /// seL4_Recv on this endpoint: the message and the sender's badge.
    pub fn recv(self) -> (Message, Badge) {
        recv(self)
    }

    /// seL4_NBRecv on this endpoint.
    pub fn nb_recv(self) -> (Message, Badge) {
        nb_recv(self)
    }

    /// seL4_ReplyRecv: reply to the last caller with `msg`, then wait on this endpoint.
    pub fn reply_recv(self, msg: &Message) -> (Message, Badge) {
        reply_recv(self, msg)
    }
}

impl Cap<Notification> {
    /// seL4_Signal this notification.
    pub fn signal(self) {
        signal(self);
    }

    /// seL4_Wait on this notification: blocks until signalled; returns the badges.
    pub fn wait(self) -> Badge {
        wait(self)
    }

    /// seL4_Poll this notification: the badges, 0 if not signalled.
    pub fn poll(self) -> Badge {
        poll(self)
    }
}

impl Cap<Reply> {
    /// Replies through a reply cap saved with CNode SaveCaller (seL4_Send on the reply cap,
    /// non-MCS). The cap is used up.
    pub fn reply(self, msg: &Message) {
        send(self, msg);
    }
}

// Off AArch64, `syscall::raw` performs no syscall and hands the registers back unchanged, so
// a Call "replies" with the request itself: a loopback through the real IPC-buffer path.
// (On an AArch64 host the `svc` would be Linux's, so the test is not built there.)
#[cfg(all(test, not(target_arch = "aarch64")))]
mod tests {
    use super::*;
    extern crate std;
    use sel4_abi::IpcBuffer;
    use std::boxed::Box;

    // The IPC buffer is one global, so everything that records or uses it is in this one
    // test (tests run in parallel threads).
    #[test]
    fn call_moves_long_messages_through_the_ipc_buffer() {
        let buf: &'static mut IpcBuffer = Box::leak(Box::new(IpcBuffer::new()));
        let ptr: *mut IpcBuffer = buf;
        // SAFETY: a leaked, never-freed buffer used only through `ipc_buffer::with`; this is
        // the only test that records one.
        unsafe { ipc_buffer::set(ptr) };

        let words: [u64; 120] = core::array::from_fn(|i| (i as u64) << 8);
        let mut msg = Message::with_words(0x77, &words);
        msg.push_cptr(5).push_cptr(6);
        let ep = Cap::<Endpoint>::from_cptr(9);
        let echoed = ep.call(&msg);
        assert_eq!(echoed, msg);
        ipc_buffer::with(|b| {
            assert_eq!(b.msg[4..], words[4..]);
            assert_eq!(b.caps_or_badges[..2], [5, 6]);
        });

        // A short message never touches the buffer.
        ipc_buffer::with(|b| b.msg[4] = 0xdead);
        let short = Message::with_words(1, &[1, 2]);
        assert_eq!(ep.call(&short), short);
        ipc_buffer::with(|b| assert_eq!(b.msg[4], 0xdead));

        let slot = crate::init_thread_cnode().relative_bits(0x99, 64);
        set_receive_slot(slot);
        assert_eq!(receive_slot(), slot);
        ipc_buffer::with(|b| {
            assert_eq!(
                (b.receive_cnode, b.receive_index, b.receive_depth),
                (2, 0x99, 64)
            )
        });

        // An invocation's reply label is its request label here: 4 decodes as RangeError
        // with the request's first two words as its payload.
        let req = Message::with_words(4, &[1, 36]);
        assert_eq!(
            crate::invoke(ep, &req),
            Err(crate::Error::RangeError { min: 1, max: 36 })
        );
        assert_eq!(crate::invoke(ep, &Message::new(0)).map(|m| m.len()), Ok(0));

        assert_eq!(ep.call(&msg), msg);
    }
}
