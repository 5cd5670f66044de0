//! A program started by `examples/processes` from its ELF image, in a VSpace and CSpace
//! of its own. Slot 4 of its CSpace holds an endpoint. Started with argument 0 it serves:
//! each message's words come back summed; with argument 1 it is the client: it calls the
//! server a few times and prints the answers.
#![no_std]
#![no_main]

use sel4::cap_type::Endpoint;
use sel4::{Cap, Message, println};

sel4_root_task::process_main!(main);

/// The endpoint its creator put in slot 4 (`process::FIRST_FREE_SLOT`).
const ENDPOINT: Cap<Endpoint> = Cap::from_cptr(4);

fn main(role: u64) {
    if role == 0 {
        let (mut msg, mut badge) = ENDPOINT.recv();
        loop {
            let sum: u64 = msg.words().iter().sum();
            let reply = Message::with_words(0, &[sum, badge]);
            (msg, badge) = ENDPOINT.reply_recv(&reply);
        }
    }
    for n in 1..=3u64 {
        let words: [u64; 8] = core::array::from_fn(|i| n * (i as u64 + 1));
        let reply = ENDPOINT.call(&Message::with_words(0, &words));
        let (sum, badge) = (reply.get(0).unwrap_or(0), reply.get(1).unwrap_or(0));
        println!(
            "client: sum of {n}..{} = {sum} (the server saw badge {badge})",
            8 * n
        );
    }
    println!("client: done");
}
