//! Memory writes the trace records as they happen: the words the kernel writes into
//! memory user level reads (message words, unwrapped badges, fault messages) and the
//! memory it clears for reuse (untyped reset, a new ASID pool).
//!
//! The kernel's own objects are compared through the trace's projection; these writes are
//! compared as they are, so a word written to the wrong place, or not at all, is seen.
//! Without the `trace` feature each function is the plain [`super::Memory`] operation.
#![forbid(unsafe_code)]

use super::Machine as Target;

/// Writes the word at `pa` (8-byte aligned), recorded in the trace.
pub fn write_word(m: &mut impl Target, pa: u64, value: u64) {
    m.write_word(pa, value);
    #[cfg(feature = "trace")]
    record(m, trace_format::MemoryWrite::Word { pa, value });
}

/// Reads the word at `pa` of an IPC buffer, recorded in the trace with its value (user
/// level may have changed it since an entry last recorded it).
pub fn read_word(m: &mut impl Target, pa: u64) -> u64 {
    let value = m.read_word(pa);
    #[cfg(feature = "trace")]
    if m.tracing() {
        trace_format::encode_read(&mut TraceSink(m), pa, value);
    }
    value
}

/// Clears `len` bytes at `pa`, recorded in the trace.
pub fn zero(m: &mut impl Target, pa: u64, len: u64) {
    m.zero(pa, len);
    record_zero(m, pa, len);
}

/// Records in the trace that `len` bytes at `pa` have been cleared (by [`super::Memory::zero`]
/// calls the caller made, piece by piece).
#[cfg_attr(not(feature = "trace"), allow(unused_variables))]
pub fn record_zero(m: &mut impl Target, pa: u64, len: u64) {
    #[cfg(feature = "trace")]
    record(m, trace_format::MemoryWrite::Zero { pa, len });
}

#[cfg(feature = "trace")]
fn record(m: &mut impl Target, w: trace_format::MemoryWrite) {
    if m.tracing() {
        trace_format::encode_write(&mut TraceSink(m), w);
    }
}

/// The trace as a [`trace_format::Sink`]: words go to [`super::Machine::trace_words`].
#[cfg(feature = "trace")]
pub struct TraceSink<'a, M: super::Machine>(pub &'a mut M);

#[cfg(feature = "trace")]
impl<M: super::Machine> trace_format::Sink for TraceSink<'_, M> {
    fn word(&mut self, w: u64) {
        self.0.trace_words(&[w]);
    }
    fn words(&mut self, ws: &[u64]) {
        self.0.trace_words(ws);
    }
}
