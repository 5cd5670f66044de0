//! A thin driver over `handle_event` for tests and scenarios: user-level calls in a few words.

use std::mem::offset_of;

use sel4_abi::{InvocationLabel, IpcBuffer, MessageInfo, ObjectType, Syscall, init_cap, registers};

use crate::api::{Event, Outcome, ThreadReport, handle_event};
use crate::kernel::boot::{BootConfig, BootLayout, boot};
use crate::model::{PAddr, State, check_invariants};

/// The root CNode's cptr in the root task's CSpace.
pub const ROOT_CNODE: u64 = init_cap::INIT_THREAD_CNODE;
/// The first untyped cap's slot in the default boot.
pub const FIRST_UNTYPED: u64 = init_cap::NUM_INITIAL_CAPS;
/// Depth that addresses a root-CNode slot directly (guard plus radix cover the word).
pub const ROOT_DEPTH: u64 = sel4_abi::WORD_BITS;

/// A reply as the caller sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The label (0 for success, else the error code or fault type).
    pub label: u64,
    /// The message words.
    pub words: Vec<u64>,
    /// The badge register.
    pub badge: u64,
}

/// A booted kernel plus helpers that act as the current thread.
#[derive(Clone, Debug)]
pub struct Sim {
    /// The state.
    pub s: State,
    /// Where boot put things.
    pub layout: BootLayout,
    /// Check the invariants after every event (and panic if one breaks).
    pub check: bool,
    /// IPC-buffer words to write with the next syscall (index in words, value).
    pub pending: Vec<(usize, u64)>,
}

impl Default for Sim {
    fn default() -> Self {
        Sim::boot(&BootConfig::default())
    }
}

/// IPC-buffer word index of `caps_or_badges[i]`.
pub fn cap_word(i: usize) -> usize {
    offset_of!(IpcBuffer, caps_or_badges) / 8 + i
}

impl Sim {
    /// Boot with `cfg`.
    pub fn boot(cfg: &BootConfig) -> Sim {
        Sim {
            s: boot(cfg),
            layout: cfg.layout(),
            check: true,
            pending: vec![],
        }
    }

    /// Handle one event, checking the invariants afterwards.
    pub fn event(&mut self, ev: Event) -> Outcome {
        let out = handle_event(&mut self.s, ev);
        if self.check
            && let Err(e) = check_invariants(&self.s)
        {
            panic!("invariant broken: {e}\nstate: {:#?}", self.s);
        }
        out
    }

    /// Name the slot a received cap goes to (written with the next syscall).
    pub fn receive_slot(&mut self, root: u64, index: u64, depth: u64) {
        let base = offset_of!(IpcBuffer, receive_cnode) / 8;
        self.pending
            .extend([(base, root), (base + 1, index), (base + 2, depth)]);
    }

    /// The current thread issues `sys` on `cptr` with a message of `label`, words and caps.
    pub fn syscall(
        &mut self,
        sys: Syscall,
        cptr: u64,
        label: u64,
        mrs: &[u64],
        caps: &[u64],
    ) -> Outcome {
        let info = MessageInfo::new(label, 0, caps.len() as u64, mrs.len() as u64);
        let mut regs = [0; 8];
        regs[registers::CAP_REGISTER] = cptr;
        regs[registers::MSG_INFO_REGISTER] = info.to_word();
        for (&r, &w) in registers::MSG_REGISTERS.iter().zip(mrs) {
            regs[r] = w;
        }
        regs[registers::SYSCALL_REGISTER] = sys.word();
        let mut buffer = std::mem::take(&mut self.pending);
        let msg = offset_of!(IpcBuffer, msg) / 8;
        buffer.extend(mrs.iter().enumerate().skip(4).map(|(i, &w)| (msg + i, w)));
        buffer.extend(caps.iter().enumerate().map(|(i, &c)| (cap_word(i), c)));
        self.event(Event::Syscall { regs, buffer })
    }

    /// Call: the current thread invokes `cptr` and reads the reply.
    pub fn call(&mut self, cptr: u64, label: InvocationLabel, mrs: &[u64], caps: &[u64]) -> Reply {
        self.call_raw(cptr, label.word(), mrs, caps)
    }

    /// Call with a raw label.
    pub fn call_raw(&mut self, cptr: u64, label: u64, mrs: &[u64], caps: &[u64]) -> Reply {
        let me = self.s.current;
        self.syscall(Syscall::Call, cptr, label, mrs, caps);
        self.reply_of(me)
    }

    /// What `t` sees in its registers and buffer now.
    pub fn reply_of(&self, t: PAddr) -> Reply {
        let r: ThreadReport = crate::api::event::report(&self.s, t);
        Reply {
            label: r.info.label,
            words: r.message,
            badge: r.badge,
        }
    }

    /// Retype `n` objects from the untyped in root slot `ut` into root slots `dest..dest+n`.
    pub fn retype(&mut self, ut: u64, t: ObjectType, size: u64, dest: u64, n: u64) -> Reply {
        self.call(
            ut,
            InvocationLabel::UntypedRetype,
            &[t.word(), size, 0, 0, dest, n],
            &[ROOT_CNODE],
        )
    }

    /// The cap in root-CNode slot `i`.
    pub fn root_cap(&self, i: u64) -> crate::model::Cap {
        self.s
            .cap(crate::kernel::cspace::slot_at(self.layout.cnode, i))
    }

    /// The address of root-CNode slot `i`.
    pub fn root_slot(&self, i: u64) -> PAddr {
        crate::kernel::cspace::slot_at(self.layout.cnode, i)
    }
}
