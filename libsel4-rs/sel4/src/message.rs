//! A message: label, up to 120 words and up to 3 caps, and where each part travels.
//!
//! Words 0..4 travel in `x2..x5`; words 4.. in the IPC buffer's `msg[4..]`. Caps to send go
//! as cptrs in the IPC buffer's `caps_or_badges`; on receipt that array holds the badges of
//! unwrapped caps. This module is pure: it moves words between a [`Message`], the syscall
//! registers and an [`IpcBuffer`] value, so it is tested on the host; [`crate::ipc`]
//! performs the syscalls.

use core::fmt;
use sel4_abi::{
    FAST_MESSAGE_REGISTERS as FAST, InvocationLabel, IpcBuffer, MSG_MAX_EXTRA_CAPS, MSG_MAX_LENGTH,
    MessageInfo,
};

use crate::cap::{CPtr, Cap, CapType};
use crate::syscall::Regs;

/// A message to send or one received (`seL4_MessageInfo_t` plus its message registers and
/// extra caps), held in full: 120 words and 3 cap words, no allocation.
///
/// Two messages are equal when label, words, caps and unwrapped bits are; array space past
/// the length does not count.
#[derive(Clone)]
pub struct Message {
    label: u64,
    len: usize,
    words: [u64; MSG_MAX_LENGTH],
    n_caps: usize,
    caps: [u64; MSG_MAX_EXTRA_CAPS],
    caps_unwrapped: u64,
}

impl Message {
    /// An empty message with `label`.
    pub const fn new(label: u64) -> Self {
        Self {
            label,
            len: 0,
            words: [0; MSG_MAX_LENGTH],
            n_caps: 0,
            caps: [0; MSG_MAX_EXTRA_CAPS],
            caps_unwrapped: 0,
        }
    }

    /// An empty invocation request with the label of `label`.
    pub const fn invocation(label: InvocationLabel) -> Self {
        Self::new(label.word())
    }

    /// A message with `label` and `words`.
    ///
    /// # Panics
    /// If `words` is longer than 120.
    pub fn with_words(label: u64, words: &[u64]) -> Self {
        let mut m = Self::new(label);
        for &w in words {
            m.push(w);
        }
        m
    }

    /// The label: an invocation label, an error code, a fault type, or the program's own.
    pub const fn label(&self) -> u64 {
        self.label
    }

    /// Sets the label.
    pub fn set_label(&mut self, label: u64) -> &mut Self {
        self.label = label;
        self
    }

    /// Number of words.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether the message has no words.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The words.
    pub fn words(&self) -> &[u64] {
        &self.words[..self.len]
    }

    /// Word `i`, if the message has it.
    pub fn get(&self, i: usize) -> Option<u64> {
        self.words().get(i).copied()
    }

    /// Appends a word.
    ///
    /// # Panics
    /// If the message already has 120 words (`seL4_MsgMaxLength`).
    pub fn push(&mut self, w: u64) -> &mut Self {
        assert!(self.len < MSG_MAX_LENGTH, "message longer than 120 words");
        self.words[self.len] = w;
        self.len += 1;
        self
    }

    /// Sets the length, keeping the words already there (new ones are 0 unless set before).
    ///
    /// # Panics
    /// If `len` exceeds 120.
    pub fn set_len(&mut self, len: usize) -> &mut Self {
        assert!(len <= MSG_MAX_LENGTH, "message longer than 120 words");
        if len < self.len {
            // Dropped words read as 0 if the message grows again.
            self.words[len..self.len].fill(0);
        }
        self.len = len;
        self
    }

    /// The caps: cptrs to send, or on a received message the cap words the kernel left in
    /// `caps_or_badges` (the badges of unwrapped caps; see [`caps_unwrapped`](Self::caps_unwrapped)).
    pub fn caps(&self) -> &[u64] {
        &self.caps[..self.n_caps]
    }

    /// Appends a cap to send.
    ///
    /// # Panics
    /// If the message already carries 3 caps (`seL4_MsgMaxExtraCaps`).
    pub fn push_cap<T: CapType>(&mut self, cap: Cap<T>) -> &mut Self {
        self.push_cptr(cap.cptr())
    }

    /// Appends a raw cptr to send.
    ///
    /// # Panics
    /// If the message already carries 3 caps.
    pub fn push_cptr(&mut self, cptr: CPtr) -> &mut Self {
        assert!(self.n_caps < MSG_MAX_EXTRA_CAPS, "more than 3 extra caps");
        self.caps[self.n_caps] = cptr;
        self.n_caps += 1;
        self
    }

    /// On a received message: bit `i` set means cap `i` was unwrapped and `caps()[i]` is its
    /// badge.
    pub const fn caps_unwrapped(&self) -> u64 {
        self.caps_unwrapped
    }

    /// The message-info word's fields for this message.
    pub const fn info(&self) -> MessageInfo {
        MessageInfo::new(
            self.label,
            self.caps_unwrapped,
            self.n_caps as u64,
            self.len as u64,
        )
    }

    /// Whether sending this message touches the IPC buffer (more than 4 words, or caps).
    pub const fn needs_ipc_buffer(&self) -> bool {
        self.len > FAST || self.n_caps > 0
    }

    /// The registers to send this message to `cptr` with: x0 the cptr, x1 the info word,
    /// x2..x5 words 0..3 (zero past the length).
    pub fn to_regs(&self, cptr: CPtr) -> Regs {
        let mut mr = [0u64; FAST];
        mr[..self.len.min(FAST)].copy_from_slice(&self.words[..self.len.min(FAST)]);
        Regs {
            x0: cptr,
            x1: self.info().to_word(),
            mr,
        }
    }

    /// Writes the parts that travel in the IPC buffer: words 4.. into `msg[4..]` and the
    /// caps into `caps_or_badges`.
    pub fn write_ipc_buffer(&self, buf: &mut IpcBuffer) {
        if self.len > FAST {
            buf.msg[FAST..self.len].copy_from_slice(&self.words[FAST..self.len]);
        }
        buf.caps_or_badges[..self.n_caps].copy_from_slice(self.caps());
    }

    /// The message the kernel delivered: info from x1 (a length over 120 is cut, as the
    /// kernel cuts it), words 0..3 from x2..x5, words 4.. and the cap words from `buf`.
    /// Without a buffer, the message is cut to its 4 register words and carries no caps,
    /// as the kernel does for a thread without an IPC buffer.
    pub fn from_regs(regs: &Regs, buf: Option<&IpcBuffer>) -> Self {
        let info = MessageInfo::from_word_clamped(regs.x1);
        let mut m = Self::new(info.label);
        let len = info.length as usize;
        let n_caps = (info.extra_caps as usize).min(MSG_MAX_EXTRA_CAPS);
        m.words[..len.min(FAST)].copy_from_slice(&regs.mr[..len.min(FAST)]);
        match buf {
            Some(buf) => {
                if len > FAST {
                    m.words[FAST..len].copy_from_slice(&buf.msg[FAST..len]);
                }
                m.len = len;
                m.caps[..n_caps].copy_from_slice(&buf.caps_or_badges[..n_caps]);
                m.n_caps = n_caps;
                m.caps_unwrapped = info.caps_unwrapped;
            }
            None => m.len = len.min(FAST),
        }
        m
    }

    /// Whether reading the message described by the info word `x1` needs the IPC buffer.
    pub const fn reply_needs_ipc_buffer(x1: u64) -> bool {
        let info = MessageInfo::from_word_clamped(x1);
        info.length as usize > FAST || info.extra_caps > 0
    }
}

impl PartialEq for Message {
    fn eq(&self, other: &Self) -> bool {
        self.label == other.label
            && self.words() == other.words()
            && self.caps() == other.caps()
            && self.caps_unwrapped == other.caps_unwrapped
    }
}

impl Eq for Message {}

impl Default for Message {
    fn default() -> Self {
        Self::new(0)
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("label", &self.label)
            .field("words", &self.words())
            .field("caps", &self.caps())
            .field("caps_unwrapped", &self.caps_unwrapped)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cap::cap_type::Endpoint;

    #[test]
    fn builds_the_info_word() {
        let mut m = Message::new(0x1234);
        m.push(1).push(2).push(3);
        m.push_cap(Cap::<Endpoint>::from_cptr(9));
        assert_eq!(m.info(), MessageInfo::new(0x1234, 0, 1, 3));
        assert_eq!(m.to_regs(7).x1, (0x1234 << 12) | (1 << 7) | 3);
        assert_eq!(m.to_regs(7).x0, 7);
        assert_eq!(m.to_regs(7).mr, [1, 2, 3, 0]);
        assert!(m.needs_ipc_buffer());
        assert!(!Message::with_words(0, &[1, 2, 3, 4]).needs_ipc_buffer());
        assert!(Message::with_words(0, &[1, 2, 3, 4, 5]).needs_ipc_buffer());
    }

    #[test]
    fn long_messages_spill_into_the_ipc_buffer() {
        let words: [u64; 120] = core::array::from_fn(|i| 100 + i as u64);
        let mut m = Message::with_words(5, &words);
        m.push_cptr(0x10).push_cptr(0x11).push_cptr(0x12);
        let mut buf = IpcBuffer::new();
        m.write_ipc_buffer(&mut buf);
        let regs = m.to_regs(3);
        assert_eq!(regs.mr, [100, 101, 102, 103]);
        assert_eq!(buf.msg[..4], [0, 0, 0, 0], "words 0..4 travel in registers");
        assert_eq!(buf.msg[4..], words[4..]);
        assert_eq!(buf.caps_or_badges, [0x10, 0x11, 0x12]);
        assert_eq!(MessageInfo::from_word(regs.x1).length, 120);
        assert_eq!(MessageInfo::from_word(regs.x1).extra_caps, 3);
        // What the receiver sees, from the same registers and buffer.
        let got = Message::from_regs(&regs, Some(&buf));
        assert_eq!(got, m);
    }

    #[test]
    fn receive_reads_registers_then_buffer() {
        let mut buf = IpcBuffer::new();
        buf.msg[4] = 44;
        buf.msg[5] = 55;
        buf.caps_or_badges = [0xb1, 0xb2, 0xb3];
        let regs = Regs {
            x0: 0xbad9e,
            x1: MessageInfo::new(9, 0b10, 2, 6).to_word(),
            mr: [0, 11, 22, 33],
        };
        let m = Message::from_regs(&regs, Some(&buf));
        assert_eq!(m.label(), 9);
        assert_eq!(m.words(), &[0, 11, 22, 33, 44, 55]);
        assert_eq!(m.caps(), &[0xb1, 0xb2]);
        assert_eq!(m.caps_unwrapped(), 0b10);
        assert_eq!(m.get(5), Some(55));
        assert_eq!(m.get(6), None);
        assert!(Message::reply_needs_ipc_buffer(regs.x1));
        assert!(!Message::reply_needs_ipc_buffer(
            MessageInfo::new(9, 0, 0, 4).to_word()
        ));
        // Without a buffer only the register words arrive.
        let short = Message::from_regs(&regs, None);
        assert_eq!(short.words(), &[0, 11, 22, 33]);
        assert!(short.caps().is_empty());
    }

    #[test]
    fn overlong_lengths_are_cut_to_120() {
        let regs = Regs {
            x0: 0,
            x1: MessageInfo::new(1, 0, 0, 127).to_word(),
            mr: [1, 2, 3, 4],
        };
        let buf = IpcBuffer::new();
        assert_eq!(Message::from_regs(&regs, Some(&buf)).len(), 120);
    }

    #[test]
    fn short_messages_zero_the_unused_registers() {
        let m = Message::with_words(1, &[8]);
        assert_eq!(m.to_regs(0).mr, [8, 0, 0, 0]);
        assert!(Message::default().is_empty());
    }

    #[test]
    fn equality_ignores_space_past_the_length() {
        let mut a = Message::with_words(3, &[1, 2, 3]);
        a.set_len(1);
        assert_eq!(a, Message::with_words(3, &[1]));
        a.set_len(3);
        assert_eq!(a.words(), &[1, 0, 0], "dropped words come back as 0");
        assert_ne!(a, Message::with_words(4, &[1, 0, 0]));
    }

    #[test]
    #[should_panic(expected = "longer than 120")]
    fn push_past_120_panics() {
        let mut m = Message::with_words(0, &[0; 120]);
        m.push(1);
    }

    #[test]
    #[should_panic(expected = "more than 3")]
    fn fourth_cap_panics() {
        let mut m = Message::new(0);
        m.push_cptr(1).push_cptr(2).push_cptr(3).push_cptr(4);
    }
}
