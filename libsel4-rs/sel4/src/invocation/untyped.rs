//! Untyped memory: Retype.

use sel4_abi::{InvocationLabel as L, ObjectType};

use super::invoke_unit;
use crate::cap::cap_type::{FixedSizeObject, Untyped};
use crate::cap::{AbsoluteCPtr, Cap};
use crate::error::Result;
use crate::message::Message;

/// Request for seL4_Untyped_Retype: words `(type, size_bits, node_index, node_depth,
/// node_offset, num_objects)`, cap `(root)`; `dst` names the destination CNode as
/// `(root, node_index, node_depth)`.
pub fn untyped_retype(
    object_type: ObjectType,
    size_bits: u64,
    dst: &AbsoluteCPtr,
    dst_offset: u64,
    num_objects: u64,
) -> Message {
    let mut m = Message::invocation(L::UntypedRetype);
    m.push(object_type.word())
        .push(size_bits)
        .push(dst.index())
        .push(dst.depth())
        .push(dst_offset)
        .push(num_objects)
        .push_cap(dst.root());
    m
}

impl Cap<Untyped> {
    /// seL4_Untyped_Retype: makes `num_objects` objects of `object_type` (`size_bits` for
    /// the sized ones: untyped size, CNode radix) in the empty slots `dst_offset..` of the
    /// CNode `dst`.
    pub fn untyped_retype(
        self,
        object_type: ObjectType,
        size_bits: u64,
        dst: &AbsoluteCPtr,
        dst_offset: u64,
        num_objects: u64,
    ) -> Result<()> {
        invoke_unit(
            self,
            &untyped_retype(object_type, size_bits, dst, dst_offset, num_objects),
        )
    }

    /// seL4_Untyped_Retype for a fixed-size type named by its cap type, e.g.
    /// `ut.untyped_retype_fixed::<cap_type::Endpoint>(&dst, 20, 1)`.
    pub fn untyped_retype_fixed<T: FixedSizeObject>(
        self,
        dst: &AbsoluteCPtr,
        dst_offset: u64,
        num_objects: u64,
    ) -> Result<()> {
        self.untyped_retype(T::OBJECT_TYPE, 0, dst, dst_offset, num_objects)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cap::cap_type::CNode;
    use crate::invocation::test_util::check;

    #[test]
    fn retype_argument_order() {
        let dst = Cap::<CNode>::from_cptr(2).relative_bits(0x40, 12);
        let m = untyped_retype(ObjectType::CapTable, 4, &dst, 100, 3);
        check(&m, L::UntypedRetype, &[4, 4, 0x40, 12, 100, 3], &[2]);
        let m = untyped_retype(
            ObjectType::Endpoint,
            0,
            &Cap::<CNode>::from_cptr(2).itself(),
            16,
            1,
        );
        check(&m, L::UntypedRetype, &[2, 0, 0, 0, 16, 1], &[2]);
        assert_eq!(m.label(), 1);
    }
}
