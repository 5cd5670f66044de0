//! Invocations: one method per seL4 operation on a kernel object, each a Call on the cap.
//!
//! Every operation is split in two. A pure *request builder* in [`request`] turns the
//! arguments into a [`Message`]: the label from `sel4_abi::InvocationLabel`, the word
//! arguments as message registers in seL4's order, the cap arguments as extra caps in
//! seL4's order. A thin method on the cap type (`Cap<Untyped>::untyped_retype`, ...) sends
//! it with [`invoke`], which performs the Call and decodes the reply: label 0 is success,
//! anything else an [`Error`] with its payload. The builders are what the host tests check
//! against the ABI; the methods hold no logic to get wrong.

mod cnode;
mod domain;
mod irq;
mod tcb;
mod untyped;
mod vm;

use crate::cap::{Cap, CapType};
use crate::error::{Error, Result};
use crate::message::Message;

/// The pure request builders, one per invocation, named like the methods.
pub mod request {
    pub use super::cnode::{
        cnode_cancel_badged_sends, cnode_copy, cnode_delete, cnode_mint, cnode_move, cnode_mutate,
        cnode_revoke, cnode_rotate, cnode_save_caller,
    };
    pub use super::domain::{domain_schedule_configure, domain_schedule_set_start, domain_set_set};
    pub use super::irq::{
        irq_control_get, irq_control_get_trigger, irq_handler_ack, irq_handler_clear,
        irq_handler_set_notification,
    };
    pub use super::tcb::{
        tcb_bind_notification, tcb_configure, tcb_copy_registers, tcb_read_registers, tcb_resume,
        tcb_set_flags, tcb_set_ipc_buffer, tcb_set_mc_priority, tcb_set_priority,
        tcb_set_sched_params, tcb_set_space, tcb_set_tls_base, tcb_suspend,
        tcb_unbind_notification, tcb_write_registers,
    };
    pub use super::untyped::untyped_retype;
    pub use super::vm::{
        asid_control_make_pool, asid_pool_assign, frame_clean_data, frame_clean_invalidate_data,
        frame_get_address, frame_invalidate_data, frame_map, frame_unify_instruction, frame_unmap,
        page_table_map, page_table_unmap, vspace_clean_data, vspace_clean_invalidate_data,
        vspace_invalidate_data, vspace_unify_instruction,
    };
}

/// Performs an invocation: Call `cap` with `request`; a reply labelled 0 is returned (for
/// the operations that answer with words), any other label is decoded into an [`Error`].
pub fn invoke<T: CapType>(cap: Cap<T>, request: &Message) -> Result<Message> {
    let reply = crate::ipc::call(cap, request);
    match Error::from_message(&reply) {
        Some(e) => Err(e),
        None => Ok(reply),
    }
}

/// [`invoke`] for the operations whose success carries no words.
fn invoke_unit<T: CapType>(cap: Cap<T>, request: &Message) -> Result<()> {
    invoke(cap, request).map(drop)
}

#[cfg(test)]
pub(crate) mod test_util {
    use crate::message::Message;
    use sel4_abi::InvocationLabel;

    /// Asserts a request's label, words (in order) and caps (in order).
    #[track_caller]
    pub fn check(m: &Message, label: InvocationLabel, words: &[u64], caps: &[u64]) {
        assert_eq!(m.label(), label.word(), "label of {label:?}");
        assert_eq!(m.words(), words, "words of {label:?}");
        assert_eq!(m.caps(), caps, "caps of {label:?}");
        assert_eq!(m.caps_unwrapped(), 0);
        let info = m.info();
        assert_eq!(info.length as usize, words.len());
        assert_eq!(info.extra_caps as usize, caps.len());
    }
}

#[cfg(test)]
mod tests {
    use super::request::*;
    use crate::cap::Cap;
    use sel4_abi::{CNodeCapData, CapRights, ObjectType, UserContext, VmAttributes};

    /// Every builder's label against the numbers of the label table in `docs/abi.md`,
    /// independently of `InvocationLabel`.
    #[test]
    fn labels_match_abi_md() {
        let s = Cap::from_cptr(2).relative_bits(1, 64);
        let ctx = UserContext::default();
        let cases = [
            (untyped_retype(ObjectType::Tcb, 0, &s, 0, 1), 1),
            (tcb_read_registers(false, 0, 1), 2),
            (tcb_write_registers(false, 0, 1, &ctx), 3),
            (
                tcb_copy_registers(Cap::null(), false, false, true, true, 0),
                4,
            ),
            (
                tcb_configure(
                    0,
                    Cap::null(),
                    CNodeCapData::default(),
                    Cap::null(),
                    0,
                    0,
                    Cap::null(),
                ),
                5,
            ),
            (tcb_set_priority(Cap::null(), 0), 6),
            (tcb_set_mc_priority(Cap::null(), 0), 7),
            (tcb_set_sched_params(Cap::null(), 0, 0), 8),
            (tcb_set_ipc_buffer(0, Cap::null()), 9),
            (
                tcb_set_space(0, Cap::null(), CNodeCapData::default(), Cap::null(), 0),
                10,
            ),
            (tcb_suspend(), 11),
            (tcb_resume(), 12),
            (tcb_bind_notification(Cap::null()), 13),
            (tcb_unbind_notification(), 14),
            (tcb_set_tls_base(0), 15),
            (tcb_set_flags(0, 0), 16),
            (cnode_revoke(&s), 17),
            (cnode_delete(&s), 18),
            (cnode_cancel_badged_sends(&s), 19),
            (cnode_copy(&s, &s, CapRights::ALL_RIGHTS), 20),
            (cnode_mint(&s, &s, CapRights::ALL_RIGHTS, 0), 21),
            (cnode_move(&s, &s), 22),
            (cnode_mutate(&s, &s, 0), 23),
            (cnode_rotate(&s, 0, &s, 0, &s), 24),
            (cnode_save_caller(&s), 25),
            (irq_control_get(0, &s), 26),
            (irq_handler_ack(), 27),
            (irq_handler_set_notification(Cap::null()), 28),
            (irq_handler_clear(), 29),
            (domain_set_set(0, Cap::null()), 30),
            (domain_schedule_configure(0, 0, 0), 31),
            (domain_schedule_set_start(0), 32),
            (vspace_clean_data(0, 0), 33),
            (vspace_invalidate_data(0, 0), 34),
            (vspace_clean_invalidate_data(0, 0), 35),
            (vspace_unify_instruction(0, 0), 36),
            (page_table_map(Cap::null(), 0, VmAttributes::DEFAULT), 38),
            (page_table_unmap(), 39),
            (
                frame_map(Cap::null(), 0, CapRights::READ_WRITE, VmAttributes::DEFAULT),
                40,
            ),
            (frame_unmap(), 41),
            (frame_clean_data(0, 0), 42),
            (frame_invalidate_data(0, 0), 43),
            (frame_clean_invalidate_data(0, 0), 44),
            (frame_unify_instruction(0, 0), 45),
            (frame_get_address(), 46),
            (asid_control_make_pool(Cap::null(), &s), 47),
            (asid_pool_assign(Cap::null()), 48),
            (irq_control_get_trigger(0, false, &s), 49),
        ];
        for (m, label) in &cases {
            assert_eq!(m.label(), *label, "{m:?}");
        }
        // Every label from 1 to 49 but 37 (SMCCall: no SMC cap is handed out); 50
        // (IRQIssueSGISignal) is not built yet.
        assert_eq!(cases.len(), 48);
    }
}
