//! Scenarios: a small text format that boots the model and drives it, for reading and teaching.
//!
//! One command per line; `#` starts a comment. Numbers are decimal or `0x` hex. Every command
//! after the `boot` lines is performed by the thread running at that moment.
//!
//! ```text
//! boot untyped <paddr> <size_bits> [device]   # an untyped for the root task (repeatable)
//! boot cnode-bits <bits>                      # root CNode size (default 12)
//! call <cptr> <label> [words...] [caps <cptrs...>]    # Call; label by name or number
//! send|nbsend <cptr> <label> [words...] [caps <cptrs...>]
//! recv|nbrecv|wait|poll <cptr>
//! signal <cptr>                               # Send with an empty message
//! reply <label> [words...]
//! replyrecv <cptr> <label> [words...]
//! yield
//! retype <untyped> <type> <size> <dest_slot> <count>   # into the root CNode
//! receive-slot <root> <index> <depth>         # where a received cap goes
//! name <cptr> <text>                          # DebugNameThread
//! tick [n] | irq <n> | exception <esr> | vmfault <addr> <fsr> [instruction]
//! expect current <thread-name>                # stop with an error unless it runs
//! expect reply <label> [words...]             # the last caller's reply
//! show                                        # print the state now
//! ```
//!
//! Words may also be `rights=RWGP` (a CapRights word from the letters Read, Write, Grant,
//! grant-rePly) or `guard=<guard>/<size>` (a CNode cap-data word). Labels are the names of
//! `sel4_abi::InvocationLabel` (e.g. `CNodeMint`, `UntypedRetype`, `TcbResume`); types are
//! those of `sel4_abi::ObjectType` (e.g. `Endpoint`, `Tcb`, `CapTable`).

use std::fmt::Write as _;

use sel4_abi::{CNodeCapData, CapRights, Error, InvocationLabel, ObjectType, Syscall};

use crate::api::{Event, Outcome};
use crate::harness::{ROOT_CNODE, Sim};
use crate::kernel::boot::BootConfig;
use crate::model::{Cap, Object, PAddr, State, check_invariants};

/// A parse or run error, with its line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// 1-based line.
    pub line: usize,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

fn num(t: &str) -> Result<u64, String> {
    if let Some(r) = t.strip_prefix("rights=") {
        let mut w = CapRights::empty();
        for c in r.chars() {
            w |= match c {
                'R' => CapRights::READ,
                'W' => CapRights::WRITE,
                'G' => CapRights::GRANT,
                'P' => CapRights::GRANT_REPLY,
                _ => return Err(format!("bad right {c:?} in {t}")),
            };
        }
        return Ok(w.word());
    }
    if let Some(g) = t.strip_prefix("guard=") {
        let (guard, size) = g.split_once('/').ok_or("guard=<guard>/<size>")?;
        return Ok(CNodeCapData::new(num(guard)?, num(size)?).to_word());
    }
    let r = match t.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(&h.replace('_', ""), 16),
        None => t.replace('_', "").parse(),
    };
    r.map_err(|_| format!("not a number: {t}"))
}

fn label(t: &str) -> Result<u64, String> {
    if let Ok(n) = num(t) {
        return Ok(n);
    }
    InvocationLabel::ALL
        .into_iter()
        .find(|l| format!("{l:?}").eq_ignore_ascii_case(t))
        .map(InvocationLabel::word)
        .ok_or_else(|| format!("unknown label {t}"))
}

fn object_type(t: &str) -> Result<ObjectType, String> {
    ObjectType::ALL
        .into_iter()
        .find(|o| {
            format!("{o:?}").eq_ignore_ascii_case(t)
                || (t.eq_ignore_ascii_case("CNode") && *o == ObjectType::CapTable)
        })
        .ok_or_else(|| format!("unknown object type {t}"))
}

/// Words, then optionally `caps` and cptrs.
fn message(toks: &[&str]) -> Result<(Vec<u64>, Vec<u64>), String> {
    let split = toks.iter().position(|t| *t == "caps").unwrap_or(toks.len());
    let words = toks[..split]
        .iter()
        .map(|t| num(t))
        .collect::<Result<_, _>>()?;
    let caps = toks
        .get(split + 1..)
        .unwrap_or(&[])
        .iter()
        .map(|t| num(t))
        .collect::<Result<_, _>>()?;
    Ok((words, caps))
}

/// A thread's printable name: its debug name, else its address.
pub fn thread_name(s: &State, t: PAddr) -> String {
    match s.objects.get(&t) {
        Some(Object::Tcb(tcb)) if !tcb.name.is_empty() => tcb.name.clone(),
        _ => format!("tcb@{t:#x}"),
    }
}

/// One step's outcome, readably.
pub fn describe(s: &State, out: &Outcome) -> String {
    let mut o = String::new();
    for r in &out.threads {
        let label = r.info.label;
        let _ = write!(
            o,
            "  {}: {:x?}, badge {:#x}, label {}",
            thread_name(s, r.tcb),
            r.state,
            r.badge,
            label
        );
        if r.info.extra_caps != 0 || r.info.caps_unwrapped != 0 {
            let _ = write!(
                o,
                ", caps {} (unwrapped {:#b})",
                r.info.extra_caps, r.info.caps_unwrapped
            );
        }
        let _ = writeln!(o, ", message {:x?}", r.message);
    }
    for (t, f, delivered) in &out.faults {
        let _ = writeln!(
            o,
            "  fault: {} took {f:x?}{}",
            thread_name(s, *t),
            if *delivered {
                ""
            } else {
                " (no handler: stopped)"
            }
        );
    }
    if !out.console.is_empty() {
        let _ = writeln!(o, "  console: {:?}", out.console);
    }
    let _ = writeln!(o, "  runs next: {}", thread_name(s, out.current));
    o
}

/// A slot's printable name: `root[i]` in the root CNode, else its address.
fn slot_name(root: PAddr, cnode_bits: u8, a: PAddr) -> String {
    let end = root + (1u64 << (u64::from(cnode_bits) + sel4_abi::SLOT_BITS));
    if (root..end).contains(&a) {
        format!("root[{}]", (a - root) >> sel4_abi::SLOT_BITS)
    } else {
        format!("slot {a:#x}")
    }
}

/// The caps that appeared, vanished or changed during a step.
fn cap_changes(
    s: &State,
    root: PAddr,
    before: &std::collections::BTreeMap<PAddr, crate::model::Cte>,
) -> String {
    let bits = match s.objects.get(&root) {
        Some(Object::CNode { radix }) => *radix,
        _ => 0,
    };
    let mut o = String::new();
    let keys: std::collections::BTreeSet<PAddr> =
        before.keys().chain(s.slots.keys()).copied().collect();
    for a in keys {
        let old = before.get(&a).map(|c| c.cap).unwrap_or_default();
        let new = s.cap(a);
        if old == new {
            continue;
        }
        let name = slot_name(root, bits, a);
        match (old.is_null(), new.is_null()) {
            (true, false) => {
                let _ = writeln!(o, "  + {name}: {}", cap_text(&new));
            }
            (false, true) => {
                let _ = writeln!(o, "  - {name}: {}", cap_text(&old));
            }
            _ => {
                let _ = writeln!(o, "  ~ {name}: {}", cap_text(&new));
            }
        }
    }
    o
}

/// The state, readably: threads, objects, and every capability with its derivation flags.
pub fn show_state(s: &State) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "threads:");
    for (t, tcb) in s.threads() {
        let _ = writeln!(
            o,
            "  {} @{t:#x}: {:x?}, priority {}, mcp {}",
            thread_name(s, t),
            tcb.state,
            tcb.priority,
            tcb.mcp
        );
    }
    let _ = writeln!(o, "objects:");
    for (a, obj) in &s.objects {
        let detail = match obj {
            Object::Endpoint(e) => format!(" {e:x?}"),
            Object::Notification(n) => format!(" {:x?} bound {:x?}", n.state, n.bound_tcb),
            Object::CNode { radix } => format!(" radix {radix}"),
            Object::Tcb(_) => format!(" {}", thread_name(s, *a)),
            _ => String::new(),
        };
        let _ = writeln!(o, "  {a:#x} {}{detail}", obj.kind());
    }
    let _ = writeln!(o, "capabilities (slot: cap [R=revocable, B=first badged]):");
    for (a, cte) in &s.slots {
        if cte.cap.is_null() {
            continue;
        }
        let _ = writeln!(
            o,
            "  {a:#x}: {} [{}{}]",
            cap_text(&cte.cap),
            if cte.revocable { "R" } else { "" },
            if cte.first_badged { "B" } else { "" }
        );
    }
    o
}

/// A cap, briefly.
pub fn cap_text(c: &Cap) -> String {
    match *c {
        Cap::Untyped {
            ptr,
            size_bits,
            is_device,
            free_index,
        } => format!(
            "Untyped {ptr:#x} 2^{size_bits}{} used {free_index:#x}",
            if is_device { " device" } else { "" }
        ),
        Cap::Endpoint { ptr, badge, rights } => {
            format!(
                "Endpoint {ptr:#x} badge {badge:#x} rights {:#x}",
                rights.word()
            )
        }
        Cap::Notification { ptr, badge, rights } => {
            format!(
                "Notification {ptr:#x} badge {badge:#x} rights {:#x}",
                rights.word()
            )
        }
        Cap::CNode {
            ptr,
            radix,
            guard_size,
            guard,
        } => format!("CNode {ptr:#x} radix {radix} guard {guard:#x}/{guard_size}"),
        Cap::Thread { tcb } => format!("Thread {tcb:#x}"),
        Cap::Reply { tcb, master, .. } => {
            format!("Reply {tcb:#x}{}", if master { " master" } else { "" })
        }
        Cap::Frame {
            base,
            size_bits,
            mapping,
            ..
        } => format!("Frame {base:#x} 2^{size_bits} mapped {mapping:x?}"),
        c => format!("{c:x?}"),
    }
}

/// Run a scenario, returning the transcript and the final machine.
pub fn run(text: &str) -> Result<(String, Sim), ScenarioError> {
    let mut cfg = BootConfig {
        untypeds: vec![],
        ..BootConfig::default()
    };
    let mut sim: Option<Sim> = None;
    let mut out = String::new();
    let mut last_caller: Option<PAddr> = None;
    for (i, raw) in text.lines().enumerate() {
        let err = |message: String| ScenarioError {
            line: i + 1,
            message,
        };
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let toks: Vec<&str> = line.split_whitespace().collect();
        if toks[0] == "boot" {
            if sim.is_some() {
                return Err(err("boot lines must come first".into()));
            }
            boot_line(&mut cfg, &toks, line).map_err(err)?;
            continue;
        }
        let m = sim.get_or_insert_with(|| start(&mut cfg, &mut out));
        step(m, &toks, line, &mut last_caller, &mut out).map_err(err)?;
    }
    let m = sim.unwrap_or_else(|| Sim::boot(&cfg));
    let _ = writeln!(out, "final state:");
    out.push_str(&show_state(&m.s));
    Ok((out, m))
}

/// A `boot` line: an untyped for the root task, or the root CNode's size.
fn boot_line(cfg: &mut BootConfig, toks: &[&str], line: &str) -> Result<(), String> {
    match toks.get(1..) {
        Some(["untyped", p, b, rest @ ..]) => {
            cfg.untypeds
                .push((num(p)?, num(b)? as u8, rest.first() == Some(&"device")))
        }
        Some(["cnode-bits", b]) => cfg.cnode_bits = num(b)? as u8,
        _ => return Err(format!("bad boot line: {line}")),
    }
    Ok(())
}

/// Boot the machine the boot lines describe (with the default untypeds if they named
/// none), before the first command.
fn start(cfg: &mut BootConfig, out: &mut String) -> Sim {
    if cfg.untypeds.is_empty() {
        cfg.untypeds = BootConfig::default().untypeds;
    }
    let m = Sim::boot(cfg);
    let _ = writeln!(
        out,
        "booted: root task runs, untypeds from slot {}",
        crate::harness::FIRST_UNTYPED
    );
    m
}

/// Argument `k` of a command, as a number.
fn arg(toks: &[&str], k: usize) -> Result<u64, String> {
    num(toks.get(k).ok_or_else(|| format!("missing argument {k}"))?)
}

/// One command line, performed by the thread running now; its transcript goes to `out`.
fn step(
    m: &mut Sim,
    toks: &[&str],
    line: &str,
    last_caller: &mut Option<PAddr>,
    out: &mut String,
) -> Result<(), String> {
    m.check = false;
    let _ = writeln!(out, "> {line}   [{}]", thread_name(&m.s, m.s.current));
    let me = m.s.current;
    let slots_before = m.s.slots.clone();
    let outcome = match toks[0] {
        "receive-slot" => {
            m.receive_slot(arg(toks, 1)?, arg(toks, 2)?, arg(toks, 3)?);
            return Ok(());
        }
        "show" => {
            out.push_str(&show_state(&m.s));
            return Ok(());
        }
        "expect" => {
            expect(m, toks, line, *last_caller)?;
            let _ = writeln!(out, "  ok");
            return Ok(());
        }
        _ => command(m, toks, me, last_caller)?,
    };
    if let Err(e) = check_invariants(&m.s) {
        return Err(format!("invariant broken: {e}"));
    }
    out.push_str(&describe(&m.s, &outcome));
    out.push_str(&cap_changes(&m.s, m.layout.cnode, &slots_before));
    // Name the error a Call or Retype got back, so the transcript reads as the manual.
    if matches!(toks[0], "call" | "retype") {
        let r = m.reply_of(me);
        if let Some(e) = Error::from_word(r.label).filter(|e| *e != Error::NoError) {
            let _ = writeln!(
                out,
                "  reply label {} (as a kernel error: {e:?}) {:x?}",
                r.label, r.words
            );
        }
    }
    Ok(())
}

/// A command that makes the kernel run (a syscall, a tick, an interrupt, a fault) and
/// what came of it; `me` is the thread performing it.
fn command(
    m: &mut Sim,
    toks: &[&str],
    me: PAddr,
    last_caller: &mut Option<PAddr>,
) -> Result<Outcome, String> {
    let sys = |m: &mut Sim, s: Syscall, cptr: u64, lbl: u64, rest: &[&str]| {
        let (w, c) = message(rest)?;
        Ok::<Outcome, String>(m.syscall(s, cptr, lbl, &w, &c))
    };
    let arg = |k: usize| arg(toks, k);
    Ok(match toks[0] {
        "call" | "send" | "nbsend" => {
            let s = match toks[0] {
                "call" => Syscall::Call,
                "send" => Syscall::Send,
                _ => Syscall::NBSend,
            };
            let l = label(toks.get(2).ok_or("missing label")?)?;
            *last_caller = Some(me);
            sys(m, s, arg(1)?, l, &toks[3..])?
        }
        "signal" => sys(m, Syscall::Send, arg(1)?, 0, &[])?,
        "recv" | "wait" => sys(m, Syscall::Recv, arg(1)?, 0, &[])?,
        "nbrecv" | "poll" => sys(m, Syscall::NBRecv, arg(1)?, 0, &[])?,
        "reply" => sys(m, Syscall::Reply, 0, arg(1)?, &toks[2..])?,
        "replyrecv" => sys(m, Syscall::ReplyRecv, arg(1)?, arg(2)?, &toks[3..])?,
        "yield" => sys(m, Syscall::Yield, 0, 0, &[])?,
        "retype" => {
            let t = object_type(toks.get(2).ok_or("missing type")?)?;
            *last_caller = Some(me);
            let words = [t.word(), arg(3)?, 0, 0, arg(4)?, arg(5)?];
            m.syscall(
                Syscall::Call,
                arg(1)?,
                InvocationLabel::UntypedRetype.word(),
                &words,
                &[ROOT_CNODE],
            )
        }
        "name" => {
            let text = toks.get(2).ok_or("missing name")?;
            let mut bytes = text.as_bytes().to_vec();
            bytes.push(0);
            for (k, chunk) in bytes.chunks(8).enumerate() {
                let mut w = [0u8; 8];
                w[..chunk.len()].copy_from_slice(chunk);
                m.pending.push((1 + k, u64::from_le_bytes(w)));
            }
            sys(m, Syscall::DebugNameThread, arg(1)?, 0, &[])?
        }
        "tick" => {
            let n = if toks.len() > 1 { arg(1)? } else { 1 };
            let mut o = m.event(Event::TimerTick);
            for _ in 1..n {
                o = m.event(Event::TimerTick);
            }
            o
        }
        "irq" => m.event(Event::Interrupt { irq: arg(1)? }),
        "exception" => m.event(Event::UserException { esr: arg(1)? }),
        "vmfault" => m.event(Event::VmFault {
            addr: arg(1)?,
            fsr: arg(2)?,
            instruction: toks.get(3) == Some(&"instruction"),
        }),
        c => return Err(format!("unknown command {c}")),
    })
}

/// `expect current <thread>` or `expect reply <label> [words...]`: an error unless the
/// machine is so.
fn expect(m: &Sim, toks: &[&str], line: &str, last_caller: Option<PAddr>) -> Result<(), String> {
    match toks.get(1) {
        Some(&"current") => {
            let want = toks.get(2).ok_or("missing thread")?;
            let got = thread_name(&m.s, m.s.current);
            if &got != want {
                return Err(format!("expected {want} to run, {got} runs"));
            }
        }
        Some(&"reply") => {
            let who = last_caller.ok_or("no call yet")?;
            let want_label = label(toks.get(2).ok_or("missing label")?).or_else(|_| {
                Error::ALL
                    .into_iter()
                    .find(|e| format!("{e:?}") == toks[2])
                    .map(Error::word)
                    .ok_or_else(|| format!("unknown label {}", toks[2]))
            })?;
            let (words, _) = message(&toks[3..])?;
            let r = m.reply_of(who);
            if r.label != want_label || r.words != words {
                return Err(format!(
                    "expected reply {want_label} {words:?}, got {} {:?}",
                    r.label, r.words
                ));
            }
        }
        _ => return Err(format!("bad expect: {line}")),
    }
    Ok(())
}

/// The derivation tree and object graph as Graphviz.
pub fn dot(s: &State) -> String {
    let mut o =
        String::from("digraph spec {\n  rankdir=LR;\n  node [shape=box, fontname=monospace];\n");
    let used: Vec<u64> = s
        .slots
        .iter()
        .filter(|(_, c)| !c.cap.is_null())
        .map(|(a, _)| *a)
        .collect();
    for &a in &used {
        let c = s.cap(a);
        let _ = writeln!(o, "  s{a:x} [label=\"slot {a:#x}\\n{}\"];", cap_text(&c));
        if let Some((p, _)) = c.region()
            && s.objects.contains_key(&p)
            && !matches!(c, Cap::Untyped { .. })
        {
            let _ = writeln!(o, "  s{a:x} -> o{p:x} [style=dotted];");
        }
    }
    for (a, obj) in &s.objects {
        let _ = writeln!(
            o,
            "  o{a:x} [shape=ellipse, label=\"{} {a:#x}\"];",
            obj.kind()
        );
    }
    // Threads point at what they wait on and at their bound notification.
    for (t, tcb) in s.threads() {
        let on = match tcb.state {
            crate::model::ThreadState::BlockedOnSend { ep, .. }
            | crate::model::ThreadState::BlockedOnReceive { ep, .. } => Some(ep),
            crate::model::ThreadState::BlockedOnNotification { ntfn } => Some(ntfn),
            _ => None,
        };
        if let Some(obj) = on {
            let _ = writeln!(o, "  o{t:x} -> o{obj:x} [color=red, label=\"waits\"];");
        }
        if let Some(n) = tcb.bound_notification {
            let _ = writeln!(o, "  o{t:x} -> o{n:x} [color=blue, label=\"bound\"];");
        }
    }
    // Derivation edges: each slot's parent is the nearest earlier slot it descends from.
    for &b in &used {
        let mut p = s.cte(b).prev;
        while let Some(a) = p {
            if s.descendants(a).contains(&b) {
                let _ = writeln!(o, "  s{a:x} -> s{b:x};");
                break;
            }
            p = s.cte(a).prev;
        }
    }
    o.push_str("}\n");
    o
}
