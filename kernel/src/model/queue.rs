//! Thread queues inside endpoints and notifications (seL4's tcb_queue_t): head and tail in
//! the object's first two words, linked through the TCBs' IPC queue fields. The object's
//! state lives in the low bits of the head word (TCBs are 2 KiB aligned).

use super::Tcb;
use super::tcb::field;
use crate::machine::Memory;

const STATE_MASK: u64 = 0b11;

/// The queue of the object at `obj`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Queue(pub u64);

impl Queue {
    /// The object's state bits.
    pub fn state(self, m: &impl Memory) -> u64 {
        m.read_word(self.0) & STATE_MASK
    }
    /// Sets the object's state bits.
    pub fn set_state(self, m: &mut impl Memory, s: u64) {
        let head = m.read_word(self.0) & !STATE_MASK;
        m.write_word(self.0, head | s);
    }
    /// The first thread.
    pub fn head(self, m: &impl Memory) -> Option<Tcb> {
        let h = m.read_word(self.0) & !STATE_MASK;
        (h != 0).then_some(Tcb(h))
    }
    fn set_head(self, m: &mut impl Memory, t: Option<Tcb>) {
        let s = self.state(m);
        m.write_word(self.0, t.map_or(0, |t| t.0) | s);
    }
    fn tail(self, m: &impl Memory) -> Option<Tcb> {
        let t = m.read_word(self.0 + 8);
        (t != 0).then_some(Tcb(t))
    }
    fn set_tail(self, m: &mut impl Memory, t: Option<Tcb>) {
        m.write_word(self.0 + 8, t.map_or(0, |t| t.0));
    }
    /// Empties the queue (the threads' links are left for the caller to walk).
    pub fn clear(self, m: &mut impl Memory) {
        m.write_word(self.0, 0);
        m.write_word(self.0 + 8, 0);
    }
    /// The thread after `t` in its queue.
    pub fn next(m: &impl Memory, t: Tcb) -> Option<Tcb> {
        let n = t.get(m, field::EP_NEXT);
        (n != 0).then_some(Tcb(n))
    }
    /// seL4's tcbEPAppend.
    #[inline]
    pub fn append(self, m: &mut impl Memory, t: Tcb) {
        let tail = self.tail(m);
        t.set(m, field::EP_PREV, tail.map_or(0, |x| x.0));
        t.set(m, field::EP_NEXT, 0);
        match tail {
            Some(x) => x.set(m, field::EP_NEXT, t.0),
            None => self.set_head(m, Some(t)),
        }
        self.set_tail(m, Some(t));
    }
    /// seL4's tcbEPDequeue of the queue's first thread `head` (the fastpath's case: the
    /// same result as [`Queue::remove`] of it), leaving the state bits alone.
    #[inline(always)]
    pub fn remove_head(self, m: &mut impl Memory, head: Tcb) {
        let next = head.get(m, field::EP_NEXT);
        let state = m.read_word(self.0) & STATE_MASK;
        m.write_word(self.0, next | state);
        if next == 0 {
            m.write_word(self.0 + 8, 0);
        } else {
            Tcb(next).set(m, field::EP_PREV, 0);
        }
        head.set(m, field::EP_NEXT, 0);
        head.set(m, field::EP_PREV, 0);
    }
    /// seL4's tcbEPDequeue.
    pub fn remove(self, m: &mut impl Memory, t: Tcb) {
        let (prev, next) = (t.get(m, field::EP_PREV), t.get(m, field::EP_NEXT));
        let (prev, next) = (
            (prev != 0).then_some(Tcb(prev)),
            (next != 0).then_some(Tcb(next)),
        );
        match prev {
            Some(p) => p.set(m, field::EP_NEXT, next.map_or(0, |n| n.0)),
            None => self.set_head(m, next),
        }
        match next {
            Some(n) => n.set(m, field::EP_PREV, prev.map_or(0, |p| p.0)),
            None => self.set_tail(m, prev),
        }
        t.set(m, field::EP_NEXT, 0);
        t.set(m, field::EP_PREV, 0);
    }
}
