//! System call numbers: the value user level puts in `x7` before `svc #0`.
//!
//! The numbers are those of seL4 16.0.0's non-MCS configuration in a debug build (printing on).
//! seL4 numbers its syscalls from a list in `libsel4/include/api/syscall.xml`: the API calls
//! count down from -1, then the debug and benchmark calls continue the count whether or not the
//! configuration enables them, which is why the numbers below have gaps. Any number not listed
//! here (and any listed debug call a configuration leaves out) is an `UnknownSyscall` fault.

/// One system call, by the number user level passes in `x7` (`seL4_Syscall_ID`).
///
/// Only `Call` and `ReplyRecv` have a fast path in seL4. Library calls that are not
/// syscalls of their own: `seL4_Signal` is `Send` on a notification cap, `seL4_Poll` is
/// `NBRecv`, and `seL4_Wait` is `Recv` (non-MCS).
#[repr(i64)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Syscall {
    /// `seL4_SysCall`: send a message and wait for the reply through a one-shot reply cap.
    Call = -1,
    /// `seL4_SysReplyRecv`: reply to the caller, then wait on an endpoint or notification.
    ReplyRecv = -2,
    /// `seL4_SysSend`: blocking send (or signal on a notification cap).
    Send = -3,
    /// `seL4_SysNBSend`: send only if a receiver is already waiting; otherwise dropped.
    NBSend = -4,
    /// `seL4_SysRecv`: blocking receive (also `seL4_Wait`).
    Recv = -5,
    /// `seL4_SysReply`: reply through the thread's pending reply cap.
    Reply = -6,
    /// `seL4_SysYield`: give up the rest of the time slice.
    Yield = -7,
    /// `seL4_SysNBRecv`: receive only if a message is pending (also `seL4_Poll`).
    NBRecv = -8,
    /// `seL4_SysDebugPutChar`: print the byte in `x0` on the kernel console (`CONFIG_PRINTING`).
    DebugPutChar = -9,
    /// `seL4_SysDebugDumpScheduler`: print the scheduler's thread list (`CONFIG_PRINTING`).
    DebugDumpScheduler = -10,
    /// `seL4_SysDebugHalt`: stop the machine (`CONFIG_DEBUG_BUILD`).
    DebugHalt = -11,
    /// `seL4_SysDebugCapIdentify`: return the [`crate::CapType`] tag of the cap at `x0`.
    DebugCapIdentify = -12,
    /// `seL4_SysDebugSnapshot`: dump kernel state for the capDL tools (`CONFIG_DEBUG_BUILD`).
    DebugSnapshot = -13,
    /// `seL4_SysDebugNameThread`: name the TCB at `x0` with the string in the IPC buffer.
    DebugNameThread = -14,
    /// `seL4_SysBenchmarkNullSyscall`: enter and leave the kernel, doing nothing.
    ///
    /// seL4 16.0.0's number; seL4 13–15 used -21 (see `docs/abi.md`).
    BenchmarkNullSyscall = -22,
    /// `seL4_SysSetTLSBase`: set the caller's TLS register (`CONFIG_SET_TLS_BASE_SELF`).
    ///
    /// Number as in seL4 16.0.0 (seL4 13–15 used -29).
    SetTLSBase = -30,
}

impl Syscall {
    /// Every syscall this ABI defines, in the order of seL4's list.
    pub const ALL: [Syscall; 16] = [
        Syscall::Call,
        Syscall::ReplyRecv,
        Syscall::Send,
        Syscall::NBSend,
        Syscall::Recv,
        Syscall::Reply,
        Syscall::Yield,
        Syscall::NBRecv,
        Syscall::DebugPutChar,
        Syscall::DebugDumpScheduler,
        Syscall::DebugHalt,
        Syscall::DebugCapIdentify,
        Syscall::DebugSnapshot,
        Syscall::DebugNameThread,
        Syscall::BenchmarkNullSyscall,
        Syscall::SetTLSBase,
    ];

    /// The syscall number as seL4 writes it (negative).
    pub const fn number(self) -> i64 {
        self as i64
    }

    /// The syscall number as it appears in `x7`: the two's-complement word of [`Self::number`].
    pub const fn word(self) -> u64 {
        self.number() as u64
    }

    /// Decodes the value of `x7`; `None` means the kernel raises an `UnknownSyscall` fault.
    pub fn from_word(w: u64) -> Option<Syscall> {
        // A match rather than a search of `ALL`: the kernel decodes this on every syscall.
        Some(match w as i64 {
            -1 => Syscall::Call,
            -2 => Syscall::ReplyRecv,
            -3 => Syscall::Send,
            -4 => Syscall::NBSend,
            -5 => Syscall::Recv,
            -6 => Syscall::Reply,
            -7 => Syscall::Yield,
            -8 => Syscall::NBRecv,
            -9 => Syscall::DebugPutChar,
            -10 => Syscall::DebugDumpScheduler,
            -11 => Syscall::DebugHalt,
            -12 => Syscall::DebugCapIdentify,
            -13 => Syscall::DebugSnapshot,
            -14 => Syscall::DebugNameThread,
            -22 => Syscall::BenchmarkNullSyscall,
            -30 => Syscall::SetTLSBase,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Syscall;

    #[test]
    fn numbers_are_pinned() {
        let expected: [(Syscall, i64); 16] = [
            (Syscall::Call, -1),
            (Syscall::ReplyRecv, -2),
            (Syscall::Send, -3),
            (Syscall::NBSend, -4),
            (Syscall::Recv, -5),
            (Syscall::Reply, -6),
            (Syscall::Yield, -7),
            (Syscall::NBRecv, -8),
            (Syscall::DebugPutChar, -9),
            (Syscall::DebugDumpScheduler, -10),
            (Syscall::DebugHalt, -11),
            (Syscall::DebugCapIdentify, -12),
            (Syscall::DebugSnapshot, -13),
            (Syscall::DebugNameThread, -14),
            (Syscall::BenchmarkNullSyscall, -22),
            (Syscall::SetTLSBase, -30),
        ];
        for (s, n) in expected {
            assert_eq!(s.number(), n, "{s:?}");
            assert_eq!(s.word(), n as u64, "{s:?}");
        }
        assert_eq!(Syscall::ALL.map(Syscall::number), expected.map(|(_, n)| n));
    }

    #[test]
    fn word_is_the_x7_value() {
        assert_eq!(Syscall::Call.word(), 0xffff_ffff_ffff_ffff);
        assert_eq!(Syscall::NBRecv.word(), 0xffff_ffff_ffff_fff8);
        assert_eq!(Syscall::SetTLSBase.word(), 0xffff_ffff_ffff_ffe2);
    }

    #[test]
    fn from_word_round_trips() {
        for s in Syscall::ALL {
            assert_eq!(Syscall::from_word(s.word()), Some(s));
        }
    }

    #[test]
    fn from_word_rejects_unknown_numbers() {
        for n in [0_i64, 1, 7, -15, -16, -21, -29, -31, i64::MIN, i64::MAX] {
            assert_eq!(Syscall::from_word(n as u64), None, "{n}");
        }
        // The low 32 bits alone are not enough: the whole word must match.
        assert_eq!(Syscall::from_word(0xffff_ffff), None);
    }
}
