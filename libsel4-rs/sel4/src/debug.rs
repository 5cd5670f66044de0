//! Printing through the kernel's debug console (DebugPutChar), with `print!`/`println!`.

use core::fmt;

/// A `core::fmt::Write` that sends each byte with DebugPutChar.
#[derive(Clone, Copy, Debug, Default)]
pub struct DebugWriter;

impl fmt::Write for DebugWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            crate::syscall::debug_put_char(b);
        }
        Ok(())
    }
}

/// Used by the macros.
#[doc(hidden)]
pub fn _print(args: fmt::Arguments<'_>) {
    let _ = fmt::Write::write_fmt(&mut DebugWriter, args);
}

/// Prints to the kernel's debug console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::debug::_print(format_args!($($arg)*)) };
}

/// Prints a line to the kernel's debug console.
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => { $crate::debug::_print(format_args!("{}\n", format_args!($($arg)*))) };
}
