//! The IPC buffer (`seL4_IPCBuffer`): the per-thread page area holding the message words
//! beyond the four in registers, the extra caps, and where received caps go.

use crate::message_info::{MSG_MAX_EXTRA_CAPS, MSG_MAX_LENGTH};

/// The IPC buffer is `2^10` = 1024 bytes and must be aligned to that (`seL4_IPCBufferSizeBits`).
pub const IPC_BUFFER_SIZE_BITS: u64 = 10;

/// A thread's IPC buffer (`seL4_IPCBuffer`), 1024 bytes, aligned to 1024.
///
/// A device frame cannot hold an IPC buffer. Without an IPC buffer, a message is cut to the
/// four words passed in registers.
#[repr(C, align(1024))]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IpcBuffer {
    /// `tag`: the message info of the last message (a copy; the live one is in `x1`).
    pub tag: u64,
    /// `msg`: message registers; `msg[0..4]` are shadowed by `x2..=x5` on syscalls.
    pub msg: [u64; MSG_MAX_LENGTH],
    /// `userData`: free for user level; the kernel does not touch it.
    pub user_data: u64,
    /// `caps_or_badges`: caps to send (as cptrs); on receipt, the badges of unwrapped caps.
    pub caps_or_badges: [u64; MSG_MAX_EXTRA_CAPS],
    /// `receiveCNode`: CNode (cptr) where a received cap is stored.
    pub receive_cnode: u64,
    /// `receiveIndex`: slot index in that CNode.
    pub receive_index: u64,
    /// `receiveDepth`: bits of the index to resolve.
    pub receive_depth: u64,
}

const _: () = assert!(core::mem::size_of::<IpcBuffer>() == 1 << IPC_BUFFER_SIZE_BITS);
const _: () = assert!(core::mem::size_of::<IpcBuffer>() == 1024);
const _: () = assert!(core::mem::align_of::<IpcBuffer>() == 1024);
const _: () = assert!(core::mem::offset_of!(IpcBuffer, tag) == 0);
const _: () = assert!(core::mem::offset_of!(IpcBuffer, msg) == 8);
const _: () = assert!(core::mem::offset_of!(IpcBuffer, user_data) == 968);
const _: () = assert!(core::mem::offset_of!(IpcBuffer, caps_or_badges) == 976);
const _: () = assert!(core::mem::offset_of!(IpcBuffer, receive_cnode) == 1000);
const _: () = assert!(core::mem::offset_of!(IpcBuffer, receive_index) == 1008);
const _: () = assert!(core::mem::offset_of!(IpcBuffer, receive_depth) == 1016);

/// Byte offsets of the IPC buffer's fields, for code that reads and writes a buffer as
/// memory (the kernel, the specification's memory words).
pub mod offset {
    use super::IpcBuffer;
    use core::mem::offset_of;

    /// `tag`.
    pub const TAG: u64 = offset_of!(IpcBuffer, tag) as u64;
    /// `msg[i]`.
    pub const fn msg(i: usize) -> u64 {
        offset_of!(IpcBuffer, msg) as u64 + 8 * i as u64
    }
    /// `caps_or_badges[i]`.
    pub const fn caps_or_badges(i: usize) -> u64 {
        offset_of!(IpcBuffer, caps_or_badges) as u64 + 8 * i as u64
    }
    /// `receiveCNode`.
    pub const RECEIVE_CNODE: u64 = offset_of!(IpcBuffer, receive_cnode) as u64;
    /// `receiveIndex`.
    pub const RECEIVE_INDEX: u64 = offset_of!(IpcBuffer, receive_index) as u64;
    /// `receiveDepth`.
    pub const RECEIVE_DEPTH: u64 = offset_of!(IpcBuffer, receive_depth) as u64;
}

impl IpcBuffer {
    /// An all-zero IPC buffer.
    pub const fn new() -> Self {
        Self {
            tag: 0,
            msg: [0; MSG_MAX_LENGTH],
            user_data: 0,
            caps_or_badges: [0; MSG_MAX_EXTRA_CAPS],
            receive_cnode: 0,
            receive_index: 0,
            receive_depth: 0,
        }
    }
}

impl Default for IpcBuffer {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn layout_is_pinned() {
        assert_eq!(IPC_BUFFER_SIZE_BITS, 10);
        assert_eq!(size_of::<IpcBuffer>(), 1024);
        assert_eq!(core::mem::align_of::<IpcBuffer>(), 1024);
        assert_eq!(offset_of!(IpcBuffer, tag), 0);
        assert_eq!(offset_of!(IpcBuffer, msg), 8);
        assert_eq!((offset::TAG, offset::msg(0), offset::msg(119)), (0, 8, 960));
        assert_eq!(
            (offset::caps_or_badges(0), offset::caps_or_badges(2)),
            (976, 992)
        );
        assert_eq!(
            (
                offset::RECEIVE_CNODE,
                offset::RECEIVE_INDEX,
                offset::RECEIVE_DEPTH
            ),
            (1000, 1008, 1016)
        );
        assert_eq!(offset_of!(IpcBuffer, user_data), 968);
        assert_eq!(offset_of!(IpcBuffer, caps_or_badges), 976);
        assert_eq!(offset_of!(IpcBuffer, receive_cnode), 1000);
        assert_eq!(offset_of!(IpcBuffer, receive_index), 1008);
        assert_eq!(offset_of!(IpcBuffer, receive_depth), 1016);
    }

    #[test]
    fn new_is_zeroed() {
        let b = IpcBuffer::new();
        assert_eq!(b.tag, 0);
        assert!(b.msg.iter().all(|&w| w == 0));
        assert_eq!(b.user_data, 0);
        assert_eq!(b.caps_or_badges, [0; 3]);
        assert_eq!(
            (b.receive_cnode, b.receive_index, b.receive_depth),
            (0, 0, 0)
        );
        assert_eq!(IpcBuffer::default(), b);
    }
}
