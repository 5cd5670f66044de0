//! Capability access rights (`seL4_CapRights_t`), as passed to CNode Copy and Mint and Page Map.

bitflags::bitflags! {
    /// Capability rights: the low 4 bits of a `seL4_CapRights_t` word.
    ///
    /// Write (bit 0) lets a holder send, Read (bit 1) receive, Grant (bit 2) pass caps with a
    /// message, GrantReply (bit 3) pass caps with a reply. The other 60 bits are ignored.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct CapRights: u64 {
        /// `capAllowWrite`: send on endpoints and notifications; write to frames.
        const WRITE = 1 << 0;
        /// `capAllowRead`: receive on endpoints and notifications; read frames.
        const READ = 1 << 1;
        /// `capAllowGrant`: transfer any capability with a message.
        const GRANT = 1 << 2;
        /// `capAllowGrantReply`: a caller's reply cap may carry capabilities.
        const GRANT_REPLY = 1 << 3;
    }
}

impl CapRights {
    /// `seL4_AllRights`: all four rights.
    pub const ALL_RIGHTS: Self = Self::all();
    /// `seL4_ReadWrite`: read and write.
    pub const READ_WRITE: Self = Self::READ.union(Self::WRITE);
    /// `seL4_CanRead`: read only.
    pub const CAN_READ: Self = Self::READ;
    /// `seL4_CanWrite`: write only.
    pub const CAN_WRITE: Self = Self::WRITE;
    /// `seL4_CanGrant`: grant only.
    pub const CAN_GRANT: Self = Self::GRANT;
    /// `seL4_CanGrantReply`: grant-reply only.
    pub const CAN_GRANT_REPLY: Self = Self::GRANT_REPLY;
    /// `seL4_NoWrite`: every right but write.
    pub const NO_WRITE: Self = Self::all().difference(Self::WRITE);
    /// `seL4_NoRead`: every right but read.
    pub const NO_READ: Self = Self::all().difference(Self::READ);
    /// `seL4_NoRights`: no rights at all.
    pub const NO_RIGHTS: Self = Self::empty();

    /// Reads a rights word as the kernel does (`rightsFromWord`): only the low 4 bits count.
    pub const fn from_word(w: u64) -> Self {
        Self::from_bits_truncate(w)
    }

    /// The rights as a word (the low 4 bits).
    pub const fn word(self) -> u64 {
        self.bits()
    }
}

#[cfg(test)]
mod tests {
    use super::CapRights;

    #[test]
    fn bits_are_pinned() {
        assert_eq!(CapRights::WRITE.bits(), 1);
        assert_eq!(CapRights::READ.bits(), 2);
        assert_eq!(CapRights::GRANT.bits(), 4);
        assert_eq!(CapRights::GRANT_REPLY.bits(), 8);
    }

    #[test]
    fn named_sets_are_pinned() {
        assert_eq!(CapRights::ALL_RIGHTS.word(), 0xf);
        assert_eq!(CapRights::READ_WRITE.word(), 0b0011);
        assert_eq!(CapRights::CAN_READ.word(), 0b0010);
        assert_eq!(CapRights::CAN_WRITE.word(), 0b0001);
        assert_eq!(CapRights::CAN_GRANT.word(), 0b0100);
        assert_eq!(CapRights::CAN_GRANT_REPLY.word(), 0b1000);
        assert_eq!(CapRights::NO_WRITE.word(), 0b1110);
        assert_eq!(CapRights::NO_READ.word(), 0b1101);
        assert_eq!(CapRights::NO_RIGHTS.word(), 0);
    }

    #[test]
    fn from_word_keeps_only_the_low_four_bits() {
        assert_eq!(CapRights::from_word(u64::MAX), CapRights::ALL_RIGHTS);
        assert_eq!(CapRights::from_word(0x10), CapRights::NO_RIGHTS);
        assert_eq!(CapRights::from_word(0xffff_fff3), CapRights::READ_WRITE);
        for w in 0..16 {
            assert_eq!(CapRights::from_word(w).word(), w);
            assert_eq!(CapRights::from_word(w | (w << 4) | (1 << 63)).word(), w);
        }
    }
}
