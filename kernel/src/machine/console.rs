//! Formatted output to the kernel's debug console through any [`Machine`].

use super::Machine;
use core::fmt;

/// A `core::fmt::Write` adapter over the machine's console.
pub struct Console<'m, M: Machine>(pub &'m mut M);

impl<M: Machine> fmt::Write for Console<'_, M> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if b == b'\n' {
                self.0.putchar(b'\r');
            }
            self.0.putchar(b);
        }
        Ok(())
    }
}

/// Prints a formatted line on the kernel console: `kprintln!(machine, "...", args)`.
#[macro_export]
macro_rules! kprintln {
    ($m:expr, $($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = writeln!($crate::machine::Console(&mut *$m), $($arg)*);
    }};
}

/// Prints formatted text (no newline) on the kernel console.
#[macro_export]
macro_rules! kprint {
    ($m:expr, $($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = write!($crate::machine::Console(&mut *$m), $($arg)*);
    }};
}
