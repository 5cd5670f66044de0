//! IPC between threads of the root task's address space: Call/ReplyRecv, badges, long
//! messages, missing IPC buffers, rights, cap transfer, queueing, non-blocking variants,
//! SaveCaller and CancelBadgedSends.

use sel4::abi::CapType as Tag;
use sel4::abi::Syscall;
use sel4::cap_type::{Endpoint, Notification, Reply, Tcb, Unspecified};
use sel4::syscall::{Regs, raw};
use sel4::{Cap, CapRights, Error, Message, MessageInfo};

use crate::env::{Context, Env, Outcome, Spawn, Test, Word, park, root, yield_n};
use crate::{ensure, expect_eq};

pub const TESTS: &[Test] = &[
    (
        "ipc call and replyrecv round trip with a server thread",
        round_trip,
    ),
    (
        "ipc badge of a minted cap arrives at the server",
        badge_arrives,
    ),
    (
        "ipc a 100-word message and reply arrive intact",
        long_message,
    ),
    (
        "ipc a sender without IPC buffer is cut to 4 words",
        sender_without_buffer,
    ),
    (
        "ipc a receiver without IPC buffer gets 4 words",
        receiver_without_buffer,
    ),
    (
        "ipc Call through a cap without Write is InvalidCapability 0",
        call_without_write,
    ),
    (
        "ipc Send through a cap without Write is dropped",
        send_without_write,
    ),
    (
        "ipc cap transfer with Grant lands in the receive slot",
        transfer_with_grant,
    ),
    (
        "ipc cap transfer without Grant delivers no caps",
        transfer_without_grant,
    ),
    (
        "ipc a cap to the receiving endpoint arrives unwrapped",
        unwrapped,
    ),
    (
        "ipc blocked senders are received in queue order",
        queue_order,
    ),
    (
        "ipc NBSend with no receiver drops the message",
        nb_send_drops,
    ),
    (
        "ipc NBRecv with nothing pending returns badge 0",
        nb_recv_empty,
    ),
    (
        "ipc SaveCaller then reply through the saved cap",
        save_caller,
    ),
    (
        "ipc copy of a reply cap is IllegalOperation",
        copy_reply_cap,
    ),
    (
        "ipc CancelBadgedSends restarts exactly the senders with that badge",
        cancel_badged_sends,
    ),
    (
        "ipc Call on a notification signals it and returns empty",
        call_on_notification,
    ),
    (
        "ipc three caps: one unwrapped, one transferred, then the transfer stops",
        three_caps,
    ),
    (
        "ipc cap transfer into an occupied receive slot delivers none",
        occupied_receive_slot,
    ),
    (
        "ipc a reply carries a cap if the server's cap has Grant",
        reply_grant,
    ),
    (
        "ipc a reply carries no cap if the server's cap lacks Grant",
        reply_no_grant,
    ),
    (
        "ipc Call without Grant or GrantReply gets no reply cap",
        call_without_grant_rights,
    ),
    ("ipc a length over 120 is cut to 120", over_120),
    (
        "ipc deleting an endpoint restarts its blocked sender",
        delete_ep_restarts_sender,
    ),
    (
        "ipc deleting a blocked thread takes it off the endpoint queue",
        delete_blocked_thread,
    ),
    (
        "ipc Reply with no caller does nothing",
        reply_without_caller,
    ),
    (
        "ipc deleting a caller deletes the reply cap its server saved",
        delete_caller_deletes_reply,
    ),
    (
        "ipc suspending a caller deletes the reply cap its server saved",
        suspend_caller_deletes_reply,
    ),
    (
        "ipc a bound notification does not interrupt a Call waiting for its reply",
        bound_call,
    ),
    (
        "ipc a second waiting receiver gets the next message",
        receivers_queue,
    ),
    (
        "ipc a server serves two queued callers in order",
        server_two_clients,
    ),
    (
        "ipc SaveCaller into an occupied slot is DeleteFirst",
        save_caller_occupied,
    ),
    (
        "ipc a sender without IPC buffer transfers no caps",
        caps_without_buffer,
    ),
    (
        "ipc NBRecv discards the pending reply cap",
        recv_discards_reply_cap,
    ),
    (
        "ipc deleting a non-final endpoint cap leaves its queue",
        delete_non_final_ep,
    ),
];

/// A server: replies to each message with label+1 and the words `[badge, words...]`.
extern "C" fn echo_server(ep: u64) -> ! {
    let ep = Cap::<Endpoint>::from_cptr(ep);
    let (mut m, mut badge) = ep.recv();
    loop {
        let mut r = Message::new(m.label() + 1);
        r.push(badge);
        for &w in m.words().iter().take(119) {
            r.push(w);
        }
        (m, badge) = ep.reply_recv(&r);
    }
}

fn round_trip(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    env.spawn(echo_server, ep.cptr(), Spawn::default())?;
    for i in 0..3 {
        let r = ep.call(&Message::with_words(7 + i, &[21, i]));
        expect_eq!(r.label(), 8 + i, "reply label");
        expect_eq!(r.words(), &[0, 21, i][..], "reply words");
    }
    Ok(())
}

fn badge_arrives(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    let b = env.slot();
    root()
        .relative_bits(b, 64)
        .mint(&root().relative(ep), CapRights::ALL_RIGHTS, 0xb0b)
        .ctx("mint")?;
    env.spawn(echo_server, ep.cptr(), Spawn::default())?;
    let r = Cap::<Endpoint>::from_cptr(b).call(&Message::with_words(1, &[9]));
    expect_eq!(r.get(0), Some(0xb0b), "badge seen by the server");
    let r = ep.call(&Message::with_words(1, &[9]));
    expect_eq!(r.get(0), Some(0), "badge of the unbadged cap");
    Ok(())
}

fn long_message(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    env.spawn(echo_server, ep.cptr(), Spawn::default())?;
    let words: [u64; 100] = core::array::from_fn(|i| 0x1000 + 3 * i as u64);
    let r = ep.call(&Message::with_words(5, &words));
    expect_eq!(r.len(), 101, "reply length");
    expect_eq!(r.label(), 6, "reply label");
    ensure!(r.words()[1..] == words[..], "the words came back changed");
    Ok(())
}

static EP_ARG: Word = Word::new();
static RESULT: [Word; 4] = [const { Word::new() }; 4];
static DONE: Word = Word::new();

fn reset_results() {
    for w in &RESULT {
        w.set(0);
    }
    DONE.set(0);
}

/// Sends a 10-word message with only the 4 register words set, through raw registers.
extern "C" fn raw_sender(ep: u64) -> ! {
    raw(
        Syscall::Send,
        Regs {
            x0: ep,
            x1: MessageInfo::new(0x33, 0, 0, 10).to_word(),
            mr: [1, 2, 3, 4],
        },
    );
    DONE.set(1);
    park()
}

fn sender_without_buffer(env: &Env) -> Outcome {
    reset_results();
    let ep = env.alloc::<Endpoint>()?;
    env.spawn(
        raw_sender,
        ep.cptr(),
        Spawn {
            ipc_buffer: false,
            ..Spawn::default()
        },
    )?;
    yield_n(1);
    let (m, _) = ep.nb_recv();
    expect_eq!(m.label(), 0x33, "label");
    expect_eq!(m.words(), &[1, 2, 3, 4][..], "words");
    yield_n(1);
    expect_eq!(DONE.get(), 1, "sender went on");
    Ok(())
}

/// Receives with raw registers and records the length and the last register word.
extern "C" fn raw_receiver(ep: u64) -> ! {
    let r = raw(
        Syscall::Recv,
        Regs {
            x0: ep,
            ..Regs::default()
        },
    );
    let info = MessageInfo::from_word(r.x1);
    RESULT[0].set(info.length);
    RESULT[1].set(r.mr[3]);
    RESULT[2].set(info.label);
    DONE.set(1);
    park()
}

fn receiver_without_buffer(env: &Env) -> Outcome {
    reset_results();
    let ep = env.alloc::<Endpoint>()?;
    env.spawn(
        raw_receiver,
        ep.cptr(),
        Spawn {
            ipc_buffer: false,
            ..Spawn::default()
        },
    )?;
    yield_n(1);
    let words: [u64; 10] = core::array::from_fn(|i| 100 + i as u64);
    ep.nb_send(&Message::with_words(0x44, &words));
    yield_n(1);
    expect_eq!(DONE.get(), 1, "receiver got a message");
    expect_eq!(RESULT[0].get(), 4, "length");
    expect_eq!(RESULT[1].get(), 103, "word 3");
    expect_eq!(RESULT[2].get(), 0x44, "label");
    Ok(())
}

fn no_write_copy(env: &Env, ep: Cap<Endpoint>) -> Result<Cap<Endpoint>, crate::env::Why> {
    let s = env.slot();
    root()
        .relative_bits(s, 64)
        .copy(&root().relative(ep), CapRights::NO_WRITE)
        .ctx("copy without Write")?;
    Ok(Cap::from_cptr(s))
}

fn call_without_write(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    env.spawn(echo_server, ep.cptr(), Spawn::default())?;
    let nw = no_write_copy(env, ep)?;
    let r = nw.call(&Message::with_words(1, &[2]));
    expect_eq!(
        Error::from_message(&r),
        Some(Error::InvalidCapability { index: 0 }),
        "reply"
    );
    expect_eq!(r.len(), 1, "error reply length");
    Ok(())
}

fn send_without_write(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    let nw = no_write_copy(env, ep)?;
    // No receiver: a Send that were accepted would block the root task here.
    nw.send(&Message::with_words(1, &[2]));
    let (m, badge) = ep.nb_recv();
    expect_eq!((m.label(), m.len(), badge), (0, 0, 0), "nothing was queued");
    Ok(())
}

static CAP_TO_SEND: Word = Word::new();

/// Sends label 0x42 and one word through `ep` with the cap `CAP_TO_SEND`.
extern "C" fn cap_sender(ep: u64) -> ! {
    let mut m = Message::with_words(0x42, &[7]);
    m.push_cptr(CAP_TO_SEND.get());
    Cap::<Endpoint>::from_cptr(ep).send(&m);
    DONE.set(1);
    park()
}

fn transfer(env: &Env, send_rights: CapRights) -> Result<(Message, u64), crate::env::Why> {
    reset_results();
    let ep = env.alloc::<Endpoint>()?;
    let n = env.alloc::<Notification>()?;
    let via = env.slot();
    root()
        .relative_bits(via, 64)
        .copy(&root().relative(ep), send_rights)
        .ctx("copy the sender's cap")?;
    CAP_TO_SEND.set(n.cptr());
    let recv_slot = env.slot();
    sel4::ipc::set_receive_slot(root().relative_bits(recv_slot, 64));
    env.spawn(cap_sender, via, Spawn::default())?;
    yield_n(1);
    let (m, _) = ep.nb_recv();
    expect_eq!((m.label(), m.words()), (0x42, &[7][..]), "message");
    Ok((m, recv_slot))
}

fn transfer_with_grant(env: &Env) -> Outcome {
    let (m, recv_slot) = transfer(env, CapRights::ALL_RIGHTS)?;
    expect_eq!(m.caps().len(), 1, "extra caps");
    expect_eq!(m.caps_unwrapped(), 0, "unwrapped bits");
    expect_eq!(
        Cap::<Unspecified>::from_cptr(recv_slot).debug_identify(),
        Some(Tag::Notification),
        "receive slot"
    );
    Ok(())
}

fn transfer_without_grant(env: &Env) -> Outcome {
    let (m, recv_slot) = transfer(env, CapRights::READ_WRITE)?;
    expect_eq!(m.caps().len(), 0, "extra caps");
    expect_eq!(
        Cap::<Unspecified>::from_cptr(recv_slot).debug_identify(),
        None,
        "receive slot"
    );
    Ok(())
}

fn unwrapped(env: &Env) -> Outcome {
    reset_results();
    let ep = env.alloc::<Endpoint>()?;
    let badged = env.slot();
    root()
        .relative_bits(badged, 64)
        .mint(&root().relative(ep), CapRights::ALL_RIGHTS, 0x77)
        .ctx("mint")?;
    CAP_TO_SEND.set(badged);
    let recv_slot = env.slot();
    sel4::ipc::set_receive_slot(root().relative_bits(recv_slot, 64));
    env.spawn(cap_sender, ep.cptr(), Spawn::default())?;
    yield_n(1);
    let (m, _) = ep.nb_recv();
    expect_eq!(m.label(), 0x42, "label");
    expect_eq!(m.caps_unwrapped(), 1, "capsUnwrapped");
    expect_eq!(m.caps(), &[0x77][..], "caps_or_badges");
    expect_eq!(
        Cap::<Unspecified>::from_cptr(recv_slot).debug_identify(),
        None,
        "receive slot"
    );
    Ok(())
}

/// Sends an empty message labelled with its own argument through `EP_ARG`.
extern "C" fn label_sender(label: u64) -> ! {
    Cap::<Endpoint>::from_cptr(EP_ARG.get()).send(&Message::new(label));
    park()
}

fn queue_order(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    EP_ARG.set(ep.cptr());
    // One at a time, so each has blocked before the next starts (threads resumed
    // together run in an order the scheduler chooses).
    for label in 1..=3 {
        env.spawn(label_sender, label, Spawn::default())?;
        yield_n(1);
    }
    for want in 1..=3 {
        expect_eq!(ep.nb_recv().0.label(), want, "next sender's label");
    }
    Ok(())
}

fn nb_send_drops(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    ep.nb_send(&Message::with_words(9, &[1]));
    let (m, badge) = ep.nb_recv();
    expect_eq!(
        (m.label(), m.len(), badge),
        (0, 0, 0),
        "NBRecv after the dropped NBSend"
    );
    Ok(())
}

fn nb_recv_empty(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    let b = env.slot();
    root()
        .relative_bits(b, 64)
        .mint(&root().relative(ep), CapRights::ALL_RIGHTS, 0x99)
        .ctx("mint")?;
    let (m, badge) = Cap::<Endpoint>::from_cptr(b).nb_recv();
    expect_eq!(
        (m.label(), m.len(), badge),
        (0, 0, 0),
        "NBRecv on an idle endpoint"
    );
    Ok(())
}

/// Calls `ep` with label 3, word 5; records the reply's label and first word.
extern "C" fn caller(ep: u64) -> ! {
    let r = Cap::<Endpoint>::from_cptr(ep).call(&Message::with_words(3, &[5]));
    RESULT[0].set(r.label());
    RESULT[1].set(r.get(0).unwrap_or(0));
    DONE.set(1);
    park()
}

/// Receives the Call of a `caller` thread and saves its reply cap in a fresh slot.
fn receive_and_save(env: &Env) -> Result<Cap<Reply>, crate::env::Why> {
    receive_and_save_from(env).map(|(r, _)| r)
}

/// [`receive_and_save`], also returning the caller's TCB.
fn receive_and_save_from(
    env: &Env,
) -> Result<(Cap<Reply>, Cap<sel4::cap_type::Tcb>), crate::env::Why> {
    reset_results();
    let ep = env.alloc::<Endpoint>()?;
    let t = env.spawn(caller, ep.cptr(), Spawn::default())?;
    yield_n(1);
    let (m, _) = ep.nb_recv();
    expect_eq!((m.label(), m.words()), (3, &[5][..]), "the call");
    let r = env.slot();
    root()
        .relative_bits(r, 64)
        .save_caller()
        .ctx("SaveCaller")?;
    expect_eq!(
        Cap::<Reply>::from_cptr(r).debug_identify(),
        Some(Tag::Reply),
        "saved cap"
    );
    Ok((Cap::from_cptr(r), t))
}

fn save_caller(env: &Env) -> Outcome {
    let reply = receive_and_save(env)?;
    // Receiving again would discard an unsaved reply cap; the saved one survives.
    let other = env.alloc::<Endpoint>()?;
    other.nb_recv();
    reply.reply(&Message::with_words(0, &[10]));
    expect_eq!(reply.debug_identify(), None, "reply cap after use");
    yield_n(1);
    expect_eq!(DONE.get(), 1, "caller woke");
    expect_eq!(
        (RESULT[0].get(), RESULT[1].get()),
        (0, 10),
        "caller's reply (label, word)"
    );
    Ok(())
}

fn copy_reply_cap(env: &Env) -> Outcome {
    let reply = receive_and_save(env)?;
    let d = env.slot();
    expect_eq!(
        root()
            .relative_bits(d, 64)
            .copy(&root().relative(reply), CapRights::ALL_RIGHTS),
        Err(Error::IllegalOperation),
        "copy of the reply cap"
    );
    reply.reply(&Message::new(0));
    Ok(())
}

/// Sends through the cap given as argument, with that cptr as the label.
extern "C" fn badged_sender(via: u64) -> ! {
    Cap::<Endpoint>::from_cptr(via).send(&Message::new(via));
    park()
}

fn cancel_badged_sends(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    let (b1, b2, b1b) = (env.slot(), env.slot(), env.slot());
    let mint = |s: u64, badge: u64| {
        root()
            .relative_bits(s, 64)
            .mint(&root().relative(ep), CapRights::ALL_RIGHTS, badge)
    };
    mint(b1, 1).ctx("mint 1")?;
    mint(b2, 2).ctx("mint 2")?;
    mint(b1b, 1).ctx("mint 1 again")?;
    let mut senders = [Cap::<Tcb>::null(); 3];
    for (t, via) in senders.iter_mut().zip([b1, b2, b1b]) {
        *t = env.spawn(badged_sender, via, Spawn::default())?;
        yield_n(1); // it blocks: the queue is b1, b2, b1b
    }
    // Below the root task until the checks are done, so no timer tick lets a restarted
    // sender run early, however the ticks fall.
    let set_prio = |p: u64| -> Outcome {
        for t in senders {
            t.tcb_set_priority(sel4::init_thread_tcb(), p)
                .ctx("SetPriority")?;
        }
        Ok(())
    };
    set_prio(254)?;
    root()
        .relative_bits(b1, 64)
        .cancel_badged_sends()
        .ctx("CancelBadgedSends")?;
    // Only the badge-2 sender is still queued; the others restart their Send when they run.
    let (m, badge) = ep.nb_recv();
    expect_eq!((m.label(), badge), (b2, 2), "first after the cancel");
    let (m, badge) = ep.nb_recv();
    expect_eq!((m.label(), badge), (0, 0), "nothing else queued");
    // When they run, both badge-1 senders send again (in the order the scheduler
    // restarts them).
    set_prio(255)?;
    yield_n(1);
    let (m1, badge1) = ep.nb_recv();
    let (m2, badge2) = ep.nb_recv();
    expect_eq!((badge1, badge2), (1, 1), "badges of the restarted senders");
    let mut labels = [m1.label(), m2.label()];
    labels.sort_unstable();
    expect_eq!(labels, [b1, b1b], "labels of the restarted senders");
    let (m, badge) = ep.nb_recv();
    expect_eq!((m.label(), badge), (0, 0), "nothing after them");
    Ok(())
}

fn call_on_notification(env: &Env) -> Outcome {
    let n = env.alloc::<Notification>()?;
    let b = env.slot();
    root()
        .relative_bits(b, 64)
        .mint(&root().relative(n), CapRights::ALL_RIGHTS, 0x4)
        .ctx("mint")?;
    let r = sel4::ipc::call(
        Cap::<Notification>::from_cptr(b),
        &Message::with_words(8, &[1, 2]),
    );
    expect_eq!((r.label(), r.len()), (0, 0), "reply");
    expect_eq!(n.poll(), 0x4, "signalled");
    Ok(())
}

static CAPS_TO_SEND: [Word; 3] = [const { Word::new() }; 3];

/// Sends label 0x43 with the three caps in `CAPS_TO_SEND` through `ep`.
extern "C" fn three_cap_sender(ep: u64) -> ! {
    let mut m = Message::new(0x43);
    for c in &CAPS_TO_SEND {
        m.push_cptr(c.get());
    }
    Cap::<Endpoint>::from_cptr(ep).send(&m);
    park()
}

fn three_caps(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    let badged = env.slot();
    root()
        .relative_bits(badged, 64)
        .mint(&root().relative(ep), CapRights::ALL_RIGHTS, 0x66)
        .ctx("mint")?;
    let n1 = env.alloc::<Notification>()?;
    let n2 = env.alloc::<Notification>()?;
    for (w, c) in CAPS_TO_SEND.iter().zip([badged, n1.cptr(), n2.cptr()]) {
        w.set(c);
    }
    let recv_slot = env.slot();
    sel4::ipc::set_receive_slot(root().relative_bits(recv_slot, 64));
    env.spawn(three_cap_sender, ep.cptr(), Spawn::default())?;
    yield_n(1);
    let (m, _) = ep.nb_recv();
    expect_eq!(m.label(), 0x43, "label");
    expect_eq!(m.caps_unwrapped(), 0b01, "capsUnwrapped");
    expect_eq!(m.caps().len(), 2, "extraCaps");
    expect_eq!(m.caps()[0], 0x66, "badge of the unwrapped cap");
    expect_eq!(
        Cap::<Unspecified>::from_cptr(recv_slot).debug_identify(),
        Some(Tag::Notification),
        "receive slot"
    );
    Ok(())
}

fn occupied_receive_slot(env: &Env) -> Outcome {
    reset_results();
    let ep = env.alloc::<Endpoint>()?;
    let n = env.alloc::<Notification>()?;
    CAP_TO_SEND.set(n.cptr());
    let occupied = env.alloc::<Endpoint>()?;
    sel4::ipc::set_receive_slot(root().relative(occupied));
    env.spawn(cap_sender, ep.cptr(), Spawn::default())?;
    yield_n(1);
    let (m, _) = ep.nb_recv();
    expect_eq!((m.label(), m.words()), (0x42, &[7][..]), "message");
    expect_eq!(m.caps().len(), 0, "extraCaps");
    expect_eq!(
        occupied.debug_identify(),
        Some(Tag::Endpoint),
        "receive slot unchanged"
    );
    Ok(())
}

/// Serves Calls on the cap it is given: replies with the cap in `CAP_TO_SEND`.
extern "C" fn cap_replier(ep: u64) -> ! {
    let ep = Cap::<Endpoint>::from_cptr(ep);
    loop {
        ep.recv();
        let mut r = Message::with_words(0, &[1]);
        r.push_cptr(CAP_TO_SEND.get());
        sel4::ipc::reply(&r);
    }
}

/// Calls a `cap_replier` serving through a copy of `ep` with `server_rights`; returns the
/// reply and the slot a cap in it would land in.
fn call_cap_replier(
    env: &Env,
    server_rights: CapRights,
) -> Result<(Message, u64), crate::env::Why> {
    let ep = env.alloc::<Endpoint>()?;
    let n = env.alloc::<Notification>()?;
    CAP_TO_SEND.set(n.cptr());
    let server_cap = env.slot();
    root()
        .relative_bits(server_cap, 64)
        .copy(&root().relative(ep), server_rights)
        .ctx("copy the server's cap")?;
    env.spawn(cap_replier, server_cap, Spawn::default())?;
    let recv_slot = env.slot();
    sel4::ipc::set_receive_slot(root().relative_bits(recv_slot, 64));
    Ok((ep.call(&Message::new(1)), recv_slot))
}

fn reply_grant(env: &Env) -> Outcome {
    let (r, recv_slot) = call_cap_replier(env, CapRights::ALL_RIGHTS)?;
    expect_eq!(
        (r.len(), r.caps().len()),
        (1, 1),
        "reply words and caps (server has Grant)"
    );
    expect_eq!(
        Cap::<Unspecified>::from_cptr(recv_slot).debug_identify(),
        Some(Tag::Notification),
        "receive slot"
    );
    Ok(())
}

fn reply_no_grant(env: &Env) -> Outcome {
    let (r, recv_slot) = call_cap_replier(env, CapRights::READ | CapRights::GRANT_REPLY)?;
    expect_eq!(
        (r.len(), r.caps().len()),
        (1, 0),
        "reply words and caps (server without Grant)"
    );
    expect_eq!(
        Cap::<Unspecified>::from_cptr(recv_slot).debug_identify(),
        None,
        "receive slot"
    );
    Ok(())
}

fn call_without_grant_rights(env: &Env) -> Outcome {
    reset_results();
    let ep = env.alloc::<Endpoint>()?;
    let rw = env.slot();
    root()
        .relative_bits(rw, 64)
        .copy(&root().relative(ep), CapRights::READ_WRITE)
        .ctx("copy without Grant and GrantReply")?;
    env.spawn(caller, rw, Spawn::default())?;
    yield_n(1);
    let (m, _) = ep.nb_recv();
    expect_eq!((m.label(), m.words()), (3, &[5][..]), "the call");
    let r = env.slot();
    root()
        .relative_bits(r, 64)
        .save_caller()
        .ctx("SaveCaller")?;
    expect_eq!(
        Cap::<Reply>::from_cptr(r).debug_identify(),
        None,
        "saved reply cap"
    );
    sel4::ipc::reply(&Message::with_words(0, &[10]));
    yield_n(2);
    expect_eq!(DONE.get(), 0, "caller still waiting");
    Ok(())
}

/// Receives with raw registers (it has an IPC buffer) and records the length.
extern "C" fn raw_len_receiver(ep: u64) -> ! {
    let r = raw(
        Syscall::Recv,
        Regs {
            x0: ep,
            ..Regs::default()
        },
    );
    RESULT[0].set(MessageInfo::from_word(r.x1).length);
    DONE.set(1);
    park()
}

fn over_120(env: &Env) -> Outcome {
    reset_results();
    let ep = env.alloc::<Endpoint>()?;
    env.spawn(raw_len_receiver, ep.cptr(), Spawn::default())?;
    yield_n(1);
    raw(
        Syscall::NBSend,
        Regs {
            x0: ep.cptr(),
            x1: MessageInfo::new(1, 0, 0, 127).to_word(),
            mr: [0; 4],
        },
    );
    yield_n(1);
    expect_eq!(DONE.get(), 1, "received");
    expect_eq!(RESULT[0].get(), 120, "length");
    Ok(())
}

fn delete_ep_restarts_sender(env: &Env) -> Outcome {
    reset_results();
    let ep = env.alloc::<Endpoint>()?;
    env.spawn(cap_sender, ep.cptr(), Spawn::default())?;
    CAP_TO_SEND.set(0);
    yield_n(1);
    expect_eq!(DONE.get(), 0, "sender blocked");
    root().relative(ep).delete().ctx("delete the endpoint")?;
    // Its Send restarts on an empty slot: InvalidCapability, dropped; it goes on.
    yield_n(1);
    expect_eq!(DONE.get(), 1, "sender went on");
    Ok(())
}

fn delete_blocked_thread(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    EP_ARG.set(ep.cptr());
    let t = env.spawn(label_sender, 1, Spawn::default())?;
    yield_n(1);
    env.spawn(label_sender, 2, Spawn::default())?;
    yield_n(1);
    root()
        .relative(t)
        .delete()
        .ctx("delete the first sender's TCB cap")?;
    env.forget(t);
    expect_eq!(t.debug_identify(), None, "TCB slot");
    expect_eq!(ep.nb_recv().0.label(), 2, "the remaining sender");
    expect_eq!(ep.nb_recv().0.label(), 0, "then nothing");
    Ok(())
}

fn reply_without_caller(_: &Env) -> Outcome {
    sel4::ipc::reply(&Message::with_words(1, &[2]));
    Ok(())
}

fn delete_caller_deletes_reply(env: &Env) -> Outcome {
    let (reply, caller_tcb) = receive_and_save_from(env)?;
    // receive_and_save made the endpoint, then the caller's TCB, then the reply slot.
    expect_eq!(
        caller_tcb.debug_identify(),
        Some(Tag::Thread),
        "caller's TCB slot"
    );
    root()
        .relative(caller_tcb)
        .delete()
        .ctx("delete the caller's TCB cap")?;
    env.forget(caller_tcb);
    expect_eq!(reply.debug_identify(), None, "saved reply cap");
    Ok(())
}

fn suspend_caller_deletes_reply(env: &Env) -> Outcome {
    let (reply, caller_tcb) = receive_and_save_from(env)?;
    caller_tcb.tcb_suspend().ctx("suspend the caller")?;
    expect_eq!(reply.debug_identify(), None, "saved reply cap");
    Ok(())
}

fn bound_call(env: &Env) -> Outcome {
    reset_results();
    let ep = env.alloc::<Endpoint>()?;
    let n = env.alloc::<Notification>()?;
    let t = env.spawn(
        caller,
        ep.cptr(),
        Spawn {
            start: false,
            ..Spawn::default()
        },
    )?;
    t.tcb_bind_notification(n).ctx("bind")?;
    t.tcb_resume().ctx("resume")?;
    yield_n(1);
    let (m, _) = ep.nb_recv();
    expect_eq!(m.label(), 3, "the call");
    n.signal();
    yield_n(1);
    expect_eq!(DONE.get(), 0, "caller still waiting for its reply");
    sel4::ipc::reply(&Message::with_words(0, &[12]));
    yield_n(1);
    expect_eq!(
        (DONE.get(), RESULT[1].get()),
        (1, 12),
        "caller got the reply"
    );
    Ok(())
}

static RECEIVED: [Word; 2] = [const { Word::new() }; 2];

/// Receives once on `EP_ARG`; records the label in `RECEIVED[id]`.
extern "C" fn indexed_receiver(id: u64) -> ! {
    let (m, _) = Cap::<Endpoint>::from_cptr(EP_ARG.get()).recv();
    RECEIVED[id as usize].set(m.label());
    park()
}

fn receivers_queue(env: &Env) -> Outcome {
    for w in &RECEIVED {
        w.set(0);
    }
    let ep = env.alloc::<Endpoint>()?;
    EP_ARG.set(ep.cptr());
    for id in 0..2 {
        env.spawn(indexed_receiver, id, Spawn::default())?;
        yield_n(1);
    }
    ep.nb_send(&Message::new(0x51));
    yield_n(1);
    expect_eq!(
        [RECEIVED[0].get(), RECEIVED[1].get()],
        [0x51, 0],
        "after the first NBSend"
    );
    ep.nb_send(&Message::new(0x52));
    yield_n(1);
    expect_eq!(
        [RECEIVED[0].get(), RECEIVED[1].get()],
        [0x51, 0x52],
        "after the second"
    );
    Ok(())
}

static CLIENT_GOT: [Word; 2] = [const { Word::new() }; 2];

/// Calls `EP_ARG` with label 10+id; records the reply's label.
extern "C" fn indexed_client(id: u64) -> ! {
    let r = Cap::<Endpoint>::from_cptr(EP_ARG.get()).call(&Message::new(10 + id));
    CLIENT_GOT[id as usize].set(r.label());
    park()
}

fn server_two_clients(env: &Env) -> Outcome {
    for w in &CLIENT_GOT {
        w.set(0);
    }
    let ep = env.alloc::<Endpoint>()?;
    EP_ARG.set(ep.cptr());
    // Both clients queue up before the server first runs.
    for id in 0..2 {
        env.spawn(indexed_client, id, Spawn::default())?;
        yield_n(1);
    }
    env.spawn(echo_server, ep.cptr(), Spawn::default())?;
    yield_n(3);
    expect_eq!(
        [CLIENT_GOT[0].get(), CLIENT_GOT[1].get()],
        [11, 12],
        "reply labels"
    );
    Ok(())
}

fn save_caller_occupied(env: &Env) -> Outcome {
    let reply = receive_and_save(env)?;
    let ep = env.alloc::<Endpoint>()?;
    expect_eq!(
        root().relative(ep).save_caller(),
        Err(Error::DeleteFirst),
        "SaveCaller into an occupied slot"
    );
    reply.reply(&Message::new(0));
    Ok(())
}

/// Sends with raw registers claiming 2 extra caps (it has no IPC buffer to hold them).
extern "C" fn raw_cap_sender(ep: u64) -> ! {
    raw(
        Syscall::Send,
        Regs {
            x0: ep,
            x1: MessageInfo::new(0x34, 0, 2, 1).to_word(),
            mr: [9, 0, 0, 0],
        },
    );
    park()
}

fn caps_without_buffer(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    let recv_slot = env.slot();
    sel4::ipc::set_receive_slot(root().relative_bits(recv_slot, 64));
    env.spawn(
        raw_cap_sender,
        ep.cptr(),
        Spawn {
            ipc_buffer: false,
            ..Spawn::default()
        },
    )?;
    yield_n(1);
    let (m, _) = ep.nb_recv();
    expect_eq!((m.label(), m.words()), (0x34, &[9][..]), "message");
    expect_eq!(m.caps().len(), 0, "extraCaps");
    expect_eq!(
        Cap::<Unspecified>::from_cptr(recv_slot).debug_identify(),
        None,
        "receive slot"
    );
    Ok(())
}

fn recv_discards_reply_cap(env: &Env) -> Outcome {
    reset_results();
    let ep = env.alloc::<Endpoint>()?;
    env.spawn(caller, ep.cptr(), Spawn::default())?;
    yield_n(1);
    let (m, _) = ep.nb_recv();
    expect_eq!(m.label(), 3, "the call");
    let other = env.alloc::<Endpoint>()?;
    other.nb_recv();
    sel4::ipc::reply(&Message::with_words(0, &[10]));
    yield_n(2);
    expect_eq!(
        DONE.get(),
        0,
        "caller still waiting (its reply cap was discarded)"
    );
    Ok(())
}

fn delete_non_final_ep(env: &Env) -> Outcome {
    let ep = env.alloc::<Endpoint>()?;
    let other = env.slot();
    root()
        .relative_bits(other, 64)
        .copy(&root().relative(ep), CapRights::ALL_RIGHTS)
        .ctx("copy")?;
    EP_ARG.set(ep.cptr());
    env.spawn(label_sender, 0x61, Spawn::default())?;
    yield_n(1);
    root().relative(ep).delete().ctx("delete the original")?;
    yield_n(1);
    expect_eq!(
        Cap::<Endpoint>::from_cptr(other).nb_recv().0.label(),
        0x61,
        "the sender is still queued"
    );
    Ok(())
}
