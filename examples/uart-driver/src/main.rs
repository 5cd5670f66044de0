//! A user-level PL011 UART driver: maps the UART from device untyped, takes its interrupt
//! through an IRQHandler cap bound to a notification, and echoes what is typed until `q`.
//!
//! `docs/drivers.md` walks through it. The steps, in order: find the UART in the device
//! tree; retype its register page from the device untyped that covers it and map it
//! (uncached) with page tables for the missing levels; get an IRQHandler for its
//! interrupt and bind a notification; enable the UART's receive interrupts; then wait on
//! the notification, drain the RX FIFO, echo, clear the UART's interrupts and Ack.
#![no_std]
#![no_main]
#![deny(unsafe_code)] // one exception: the register block's address, in `pl011`

mod device;
mod devicetree;
mod error;
mod pl011;

use sel4::abi::init_cap;
use sel4::cap_type::{IrqHandler, Notification};
use sel4::{BootInfo, Cap, ObjectType, irq_control, println};
use sel4_root_task::Allocator;

use crate::error::{SetupError, Step};
use crate::pl011::Pl011;

sel4_root_task::main!(main);

/// Where the UART's register page is mapped: at 4 GiB, far from the image (at 2 MiB), so
/// that the mapping needs page tables of its own at two levels.
const UART_VADDR: u64 = 0x1_0000_0000;
/// The byte that ends the program.
const QUIT: u8 = b'q';

fn main(bi: &BootInfo) -> Result<(), SetupError> {
    sel4::syscall::debug_name_thread(init_cap::INIT_THREAD_TCB, "uart-driver");
    let uart_dev = devicetree::find_uart(bi.device_tree().ok_or(SetupError::NoDeviceTree)?)?;
    let mut alloc = Allocator::new(bi);

    let page = device::page_base(uart_dev.paddr);
    let mapping = device::map_device_page(bi, &mut alloc, page, UART_VADDR)?;
    let uart = Pl011::new(mapping, uart_dev.paddr - page);

    let ntfn: Cap<Notification> = alloc
        .make(ObjectType::Notification, 0)
        .step("retype the notification")?;
    let handler: Cap<IrqHandler> = Cap::from_cptr(alloc.slot());
    let root = sel4::init_thread_cnode();
    irq_control()
        .irq_control_get(uart_dev.irq, &root.relative(handler))
        .step("get the IRQ handler")?;
    handler
        .irq_handler_set_notification(ntfn)
        .step("bind the notification")?;

    uart.enable_receive_interrupts();
    // Ready: from here on every received byte raises the interrupt.
    println!("uart-driver: type something; {} quits", QUIT as char);
    let echoed = echo_until_quit(&uart, ntfn, handler)?;
    println!("uart-driver: bye ({echoed} bytes echoed)");
    Ok(())
}

/// Echoes received bytes through the UART until `QUIT` arrives; returns how many it echoed.
/// A carriage return (what a terminal's Enter sends) is echoed as a new line.
fn echo_until_quit(
    uart: &Pl011,
    ntfn: Cap<Notification>,
    handler: Cap<IrqHandler>,
) -> Result<u64, SetupError> {
    let mut echoed = 0;
    let mut line_open = false;
    // Drain first, then wait: bytes that arrived before the interrupt was enabled raise no
    // new one. (The line is live since IRQControl Get; the first Ack is harmless.)
    loop {
        while let Some(byte) = uart.try_read() {
            if byte == QUIT {
                if line_open {
                    uart.write_all(b"\r\n");
                }
                return Ok(echoed);
            }
            match byte {
                b'\r' | b'\n' => uart.write_all(b"\r\n"),
                _ => uart.write(byte),
            }
            line_open = !matches!(byte, b'\r' | b'\n');
            echoed += 1;
        }
        // The FIFO is empty, so the receive conditions are gone: clear them at the UART,
        // then unmask the line at the GIC (the kernel masked it when it signalled us).
        uart.clear_receive_interrupts();
        handler
            .irq_handler_ack()
            .step("acknowledge the interrupt")?;
        ntfn.wait();
    }
}
