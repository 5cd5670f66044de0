//! What must hold between any two kernel entries; tests check it after every step.

use std::collections::BTreeSet;

use super::{Cap, Endpoint, NtfnState, Object, PAddr, SlotRef, State, ThreadState};

/// Check every invariant; the error names the first one broken.
pub fn check_invariants(s: &State) -> Result<(), String> {
    mdb_well_formed(s)?;
    slots_live(s)?;
    caps_name_live_objects(s)?;
    objects_disjoint_and_inside_untypeds(s)?;
    queues_agree_with_states(s)?;
    scheduler_sane(s)?;
    Ok(())
}

/// The derivation list is doubly linked, acyclic, and links only non-empty slots.
fn mdb_well_formed(s: &State) -> Result<(), String> {
    for (&a, cte) in &s.slots {
        if cte.cap.is_null() && (cte.prev.is_some() || cte.next.is_some()) {
            return Err(format!("empty slot {a:#x} has derivation links"));
        }
        if let Some(n) = cte.next
            && s.cte(n).prev != Some(a)
        {
            return Err(format!("slot {a:#x}: next {n:#x} does not point back"));
        }
        if let Some(p) = cte.prev
            && s.cte(p).next != Some(a)
        {
            return Err(format!("slot {a:#x}: prev {p:#x} does not point forward"));
        }
    }
    // Walking forward from each list head visits every linked slot once.
    let mut seen = BTreeSet::new();
    for (&a, cte) in &s.slots {
        if cte.prev.is_none() && !cte.cap.is_null() {
            let mut cur = Some(a);
            while let Some(c) = cur {
                if !seen.insert(c) {
                    return Err(format!("derivation list through {c:#x} has a cycle"));
                }
                cur = s.cte(c).next;
            }
        }
    }
    let linked = s.slots.values().filter(|c| !c.cap.is_null()).count();
    if seen.len() != linked {
        return Err("derivation list has a cycle with no head".into());
    }
    Ok(())
}

/// Every used slot lies inside a live CNode, a TCB's slot area or the IRQ node.
fn slots_live(s: &State) -> Result<(), String> {
    for &a in s.slots.keys() {
        if slot_owner(s, a).is_none() {
            return Err(format!("slot {a:#x} is not inside a CNode or TCB"));
        }
    }
    Ok(())
}

/// The object owning a slot address, if it is a valid slot.
pub fn slot_owner(s: &State, slot: SlotRef) -> Option<PAddr> {
    let (base, obj) = s.object_containing(slot)?;
    let idx = (slot - base) >> sel4_abi::SLOT_BITS;
    let ok = (slot - base).is_multiple_of(1 << sel4_abi::SLOT_BITS)
        && match obj {
            Object::CNode { radix } => idx < 1 << radix,
            Object::Tcb(_) => idx < super::TCB_CNODE_ENTRIES,
            _ => false,
        };
    ok.then_some(base)
}

fn expect(s: &State, ptr: PAddr, ok: impl Fn(&Object) -> bool, what: &Cap) -> Result<(), String> {
    match s.objects.get(&ptr) {
        Some(o) if ok(o) => Ok(()),
        o => Err(format!("{what:?} names {o:?} at {ptr:#x}")),
    }
}

/// Every cap names a live object of its type.
fn caps_name_live_objects(s: &State) -> Result<(), String> {
    for cte in s.slots.values() {
        let c = &cte.cap;
        match *c {
            Cap::Endpoint { ptr, .. } => expect(s, ptr, |o| matches!(o, Object::Endpoint(_)), c)?,
            Cap::Notification { ptr, .. } => {
                expect(s, ptr, |o| matches!(o, Object::Notification(_)), c)?
            }
            Cap::Thread { tcb } | Cap::Reply { tcb, .. } => {
                expect(s, tcb, |o| matches!(o, Object::Tcb(_)), c)?
            }
            Cap::CNode { ptr, radix, .. } => expect(
                s,
                ptr,
                |o| matches!(o, Object::CNode { radix: r } if *r == radix),
                c,
            )?,
            Cap::Frame {
                base, size_bits, ..
            } => expect(
                s,
                base,
                |o| matches!(o, Object::Frame { size_bits: b, .. } if *b == size_bits),
                c,
            )?,
            Cap::PageTable { base, .. } => {
                expect(s, base, |o| matches!(o, Object::PageTable(_)), c)?
            }
            Cap::VSpace { base, .. } => expect(s, base, |o| matches!(o, Object::VSpace { .. }), c)?,
            Cap::AsidPool { base, .. } => expect(s, base, |o| matches!(o, Object::AsidPool(_)), c)?,
            // A deletion stopped by an interrupt leaves its zombie: the object lives on
            // until the zombie is done, with no more slots left to empty than it has.
            Cap::Zombie {
                ptr,
                is_tcb: true,
                number,
                ..
            } => {
                expect(s, ptr, |o| matches!(o, Object::Tcb(_)), c)?;
                if number > super::TCB_CNODE_ENTRIES {
                    return Err(format!("{c:?} counts more slots than a TCB has"));
                }
            }
            Cap::Zombie {
                ptr, radix, number, ..
            } => {
                expect(
                    s,
                    ptr,
                    |o| matches!(o, Object::CNode { radix: r } if *r == radix),
                    c,
                )?;
                if number > 1 << radix {
                    return Err(format!("{c:?} counts more slots than its CNode has"));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Objects never overlap, and none lies where an untyped cap could still retype: above its
/// watermark, or anywhere in it if it has no children (it will be reset). An object may
/// outlive every untyped cap covering it: deleting an untyped cap with children is allowed.
fn objects_disjoint_and_inside_untypeds(s: &State) -> Result<(), String> {
    let mut prev_end: Option<(PAddr, u128)> = None;
    for (&a, o) in &s.objects {
        if let Some((p, end)) = prev_end
            && u128::from(a) < end
        {
            return Err(format!("object at {a:#x} overlaps the one at {p:#x}"));
        }
        prev_end = Some((a, u128::from(a) + (1u128 << o.size_bits())));
    }
    for (&slot, cte) in &s.slots {
        let Cap::Untyped {
            ptr,
            size_bits,
            free_index,
            ..
        } = cte.cap
        else {
            continue;
        };
        // An untyped without children is reset before its next retype, so then no live
        // object may be anywhere in it; otherwise none above the watermark.
        let from = if s.has_children(slot) {
            u128::from(ptr) + u128::from(free_index)
        } else {
            u128::from(ptr)
        };
        let top = u128::from(ptr) + (1u128 << size_bits);
        for (&a, o) in &s.objects {
            let end = u128::from(a) + (1u128 << o.size_bits());
            if end > from && u128::from(a) < top {
                return Err(format!(
                    "{} at {a:#x} lies where the untyped at {ptr:#x} could retype",
                    o.kind()
                ));
            }
        }
    }
    Ok(())
}

/// A thread is in an endpoint or notification queue exactly when its state says so, and in
/// a ready queue only if runnable.
fn queues_agree_with_states(s: &State) -> Result<(), String> {
    let mut queued = BTreeSet::new();
    for (&a, o) in &s.objects {
        let (q, want): (Vec<PAddr>, fn(ThreadState, PAddr) -> bool) = match o {
            Object::Endpoint(Endpoint::Send(q)) => (
                q.iter().copied().collect(),
                |st, a| matches!(st, ThreadState::BlockedOnSend { ep, .. } if ep == a),
            ),
            Object::Endpoint(Endpoint::Recv(q)) => (
                q.iter().copied().collect(),
                |st, a| matches!(st, ThreadState::BlockedOnReceive { ep, .. } if ep == a),
            ),
            Object::Notification(n) => match &n.state {
                NtfnState::Waiting(q) => (
                    q.iter().copied().collect(),
                    |st, a| matches!(st, ThreadState::BlockedOnNotification { ntfn } if ntfn == a),
                ),
                _ => continue,
            },
            _ => continue,
        };
        if q.is_empty() {
            return Err(format!("{} at {a:#x} has an empty queue", o.kind()));
        }
        for t in q {
            if !s.is_tcb(t) || !want(s.tcb(t).state, a) {
                return Err(format!("thread {t:#x} queued on {a:#x} in the wrong state"));
            }
            if !queued.insert(t) {
                return Err(format!("thread {t:#x} is in two queues"));
            }
        }
    }
    for (t, tcb) in s.threads() {
        let blocked = matches!(
            tcb.state,
            ThreadState::BlockedOnSend { .. }
                | ThreadState::BlockedOnReceive { .. }
                | ThreadState::BlockedOnNotification { .. }
        );
        if blocked != queued.contains(&t) {
            return Err(format!(
                "thread {t:#x} is {:?} but queued={}",
                tcb.state, !blocked
            ));
        }
        if let Some(n) = tcb.bound_notification {
            match s.objects.get(&n) {
                Some(Object::Notification(nt)) if nt.bound_tcb == Some(t) => {}
                _ => return Err(format!("thread {t:#x} bound to {n:#x} one way only")),
            }
        }
    }
    for (&a, o) in &s.objects {
        if let Object::Notification(n) = o
            && let Some(t) = n.bound_tcb
            && (!s.is_tcb(t) || s.tcb(t).bound_notification != Some(a))
        {
            return Err(format!("notification {a:#x} bound to {t:#x} one way only"));
        }
    }
    Ok(())
}

/// Ready queues hold runnable threads of their priority, once each; the current thread is
/// runnable or idle.
fn scheduler_sane(s: &State) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    for (&p, q) in &s.ready {
        for &t in q {
            if !s.is_tcb(t) || !s.tcb(t).state.is_runnable() || s.tcb(t).priority != p {
                return Err(format!("ready queue {p} holds {t:#x} wrongly"));
            }
            if !seen.insert(t) {
                return Err(format!("thread {t:#x} queued twice"));
            }
        }
    }
    if !s.is_tcb(s.current) {
        return Err("the current thread does not exist".into());
    }
    if seen.contains(&s.current) {
        return Err("the current thread is also in a ready queue".into());
    }
    let cur = s.tcb(s.current).state;
    if !(cur.is_runnable() || s.current == s.idle) {
        return Err(format!("current thread {:#x} is {cur:?}", s.current));
    }
    if s.tcb(s.idle).state != ThreadState::Idle {
        return Err("the idle thread is not idle".into());
    }
    Ok(())
}
