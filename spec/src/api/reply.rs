//! Replies the kernel itself writes: success (with or without data) and invocation errors.

use sel4_abi::MessageInfo;

use crate::kernel::thread::{lookup_ipc_buffer, set_mr};
use crate::machine::{BADGE_REGISTER, MSG_INFO_REGISTER};
use crate::model::{PAddr, State};

use crate::model::error::SyscallError;

/// Write a reply from the kernel: badge 0, the words as message registers, and a
/// message-info word with `label` and the number of words written.
pub fn reply_from_kernel(s: &mut State, t: PAddr, label: u64, words: &[u64]) {
    let buf = lookup_ipc_buffer(s, t, true);
    s.tcb_mut(t).regs[BADGE_REGISTER] = 0;
    let mut len = 0;
    for (i, &w) in words.iter().enumerate() {
        len = set_mr(s, t, buf, i, w);
    }
    s.tcb_mut(t).regs[MSG_INFO_REGISTER] = MessageInfo::new(label, 0, 0, len as u64).to_word();
}

/// seL4's `replyFromKernel_error`: the error code as label, its payload as the message.
pub fn reply_error(s: &mut State, t: PAddr, e: &SyscallError) {
    reply_from_kernel(s, t, e.code().word(), &e.payload());
}
