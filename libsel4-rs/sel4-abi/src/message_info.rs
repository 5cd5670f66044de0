//! The message-info word (`seL4_MessageInfo_t`) passed in `x1`, and the message size limits.

/// Longest message in words (`seL4_MsgMaxLength`); the kernel cuts longer lengths to this.
pub const MSG_MAX_LENGTH: usize = 120;

/// Most capabilities one message can carry (`seL4_MsgMaxExtraCaps`).
pub const MSG_MAX_EXTRA_CAPS: usize = 3;

/// Message registers passed in machine registers, `x2..=x5` (`seL4_FastMessageRegisters`).
///
/// The rest, `msg[4..]`, live in the IPC buffer.
pub const FAST_MESSAGE_REGISTERS: usize = 4;

/// Width of the length field (`seL4_MsgLengthBits`).
pub const MSG_LENGTH_BITS: u32 = 7;

/// Width of the extra-caps field (`seL4_MsgExtraCapBits`).
pub const MSG_EXTRA_CAP_BITS: u32 = 2;

const LABEL_SHIFT: u32 = 12;
const LABEL_MASK: u64 = (1 << 52) - 1;
const CAPS_UNWRAPPED_SHIFT: u32 = 9;
const CAPS_UNWRAPPED_MASK: u64 = 0b111;
const EXTRA_CAPS_SHIFT: u32 = 7;
const EXTRA_CAPS_MASK: u64 = (1 << MSG_EXTRA_CAP_BITS) - 1;
const LENGTH_MASK: u64 = (1 << MSG_LENGTH_BITS) - 1;

/// The decoded message-info word (`seL4_MessageInfo_t`).
///
/// Bit layout: label 63..12 · capsUnwrapped 11..9 · extraCaps 8..7 · length 6..0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MessageInfo {
    /// Invocation label, error code or fault type (52 bits).
    pub label: u64,
    /// Bit `i` set: extra cap `i` was unwrapped and its badge is in `caps_or_badges[i]` (3 bits).
    pub caps_unwrapped: u64,
    /// Number of extra caps sent or received (2 bits, at most [`MSG_MAX_EXTRA_CAPS`]).
    pub extra_caps: u64,
    /// Message length in words (7 bits; meaningful up to [`MSG_MAX_LENGTH`]).
    pub length: u64,
}

impl MessageInfo {
    /// Builds a message info (`seL4_MessageInfo_new`). Fields are not checked here;
    /// [`Self::to_word`] masks each to its width.
    pub const fn new(label: u64, caps_unwrapped: u64, extra_caps: u64, length: u64) -> Self {
        Self {
            label,
            caps_unwrapped,
            extra_caps,
            length,
        }
    }

    /// Splits a word into its fields exactly as the bits say (no clamping of the length).
    pub const fn from_word(w: u64) -> Self {
        Self {
            label: w >> LABEL_SHIFT,
            caps_unwrapped: (w >> CAPS_UNWRAPPED_SHIFT) & CAPS_UNWRAPPED_MASK,
            extra_caps: (w >> EXTRA_CAPS_SHIFT) & EXTRA_CAPS_MASK,
            length: w & LENGTH_MASK,
        }
    }

    /// Reads a word the way the kernel does (seL4's `messageInfoFromWord`): a length above
    /// [`MSG_MAX_LENGTH`] is cut to it.
    pub const fn from_word_clamped(w: u64) -> Self {
        let mut info = Self::from_word(w);
        if info.length > MSG_MAX_LENGTH as u64 {
            info.length = MSG_MAX_LENGTH as u64;
        }
        info
    }

    /// Packs the fields into a word; bits of a field beyond its width are dropped.
    pub const fn to_word(self) -> u64 {
        ((self.label & LABEL_MASK) << LABEL_SHIFT)
            | ((self.caps_unwrapped & CAPS_UNWRAPPED_MASK) << CAPS_UNWRAPPED_SHIFT)
            | ((self.extra_caps & EXTRA_CAPS_MASK) << EXTRA_CAPS_SHIFT)
            | (self.length & LENGTH_MASK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_pinned() {
        assert_eq!(MSG_MAX_LENGTH, 120);
        assert_eq!(MSG_MAX_EXTRA_CAPS, 3);
        assert_eq!(FAST_MESSAGE_REGISTERS, 4);
        assert_eq!(MSG_LENGTH_BITS, 7);
        assert_eq!(MSG_EXTRA_CAP_BITS, 2);
        assert_eq!(MSG_MAX_EXTRA_CAPS, (1 << MSG_EXTRA_CAP_BITS) - 1);
    }

    #[test]
    fn bit_positions_are_pinned() {
        assert_eq!(MessageInfo::new(1, 0, 0, 0).to_word(), 1 << 12);
        assert_eq!(MessageInfo::new(0, 1, 0, 0).to_word(), 1 << 9);
        assert_eq!(MessageInfo::new(0, 0, 1, 0).to_word(), 1 << 7);
        assert_eq!(MessageInfo::new(0, 0, 0, 1).to_word(), 1);
        assert_eq!(MessageInfo::new(1 << 51, 0, 0, 0).to_word(), 1 << 63);
        assert_eq!(MessageInfo::new(0, 0b111, 0, 0).to_word(), 0b111 << 9);
        assert_eq!(MessageInfo::new(0, 0, 0b11, 0).to_word(), 0b11 << 7);
        assert_eq!(MessageInfo::new(0, 0, 0, 0x7f).to_word(), 0x7f);
    }

    #[test]
    fn round_trips() {
        let cases = [
            MessageInfo::new(0, 0, 0, 0),
            MessageInfo::new(1, 0, 1, 7),
            MessageInfo::new(0x000f_ffff_ffff_ffff, 0b111, 3, 127),
            MessageInfo::new(50, 0b101, 2, 120),
        ];
        for info in cases {
            assert_eq!(MessageInfo::from_word(info.to_word()), info);
        }
        for w in [0, 1, u64::MAX, 0x1234_5678_9abc_def0, 0x8000_0000_0000_0001] {
            assert_eq!(MessageInfo::from_word(w).to_word(), w);
        }
    }

    #[test]
    fn to_word_masks_oversized_fields() {
        let word = MessageInfo::new(u64::MAX, u64::MAX, u64::MAX, u64::MAX).to_word();
        assert_eq!(word, u64::MAX);
        let info = MessageInfo::new(1 << 52, 0b1000, 0b100, 0b1000_0000);
        assert_eq!(info.to_word(), 0);
        let info = MessageInfo::new((1 << 52) | 5, 0b1010, 0b110, 0b1000_0011);
        assert_eq!(
            MessageInfo::from_word(info.to_word()),
            MessageInfo::new(5, 0b010, 0b10, 3)
        );
    }

    #[test]
    fn from_word_keeps_long_lengths_and_clamped_cuts_them() {
        assert_eq!(MessageInfo::from_word(127).length, 127);
        assert_eq!(MessageInfo::from_word_clamped(127).length, 120);
        assert_eq!(MessageInfo::from_word_clamped(121).length, 120);
        assert_eq!(MessageInfo::from_word_clamped(120).length, 120);
        assert_eq!(MessageInfo::from_word_clamped(4).length, 4);
        let w = MessageInfo::new(9, 1, 2, 127).to_word();
        assert_eq!(
            MessageInfo::from_word_clamped(w),
            MessageInfo::new(9, 1, 2, 120)
        );
    }
}
