//! The architecture's objects: frames, page tables, VSpaces, ASID pools (and interrupts):
//! their invocations and what deleting their caps must undo.

use crate::api::error::SysError;
use crate::api::invocation::Invocation;
use crate::machine::Machine;
use crate::model::KernelState;
use crate::object::Cap;

/// Decodes and performs an invocation on a frame, page table, VSpace or ASID cap.
pub fn decode_and_invoke<M: Machine>(_ks: &mut KernelState, _m: &mut M, _inv: &Invocation) -> Result<(), SysError> {
    Err(SysError::IllegalOperation)
}

/// Decodes and performs an invocation on an IRQ control or handler cap.
pub fn decode_irq<M: Machine>(_ks: &mut KernelState, _m: &mut M, _inv: &Invocation) -> Result<(), SysError> {
    Err(SysError::IllegalOperation)
}

/// What deleting a VSpace-related cap undoes.
pub fn vspace_finalise(_ks: &mut KernelState, _m: &mut impl crate::machine::Memory, _cap: Cap, _is_final: bool) {}

/// An IRQ handler's last cap is gone: the interrupt line is free again.
pub fn irq_deleted(_ks: &mut KernelState, _irq: u64) {}
