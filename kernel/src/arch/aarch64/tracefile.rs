//! The trace's way out of QEMU (feature `trace`): a host file written through semihosting,
//! so the console is left alone. The file is named by the semihosting command line
//! (`-semihosting-config enable=on,arg=trace=FILE`), or is `kernel-trace.bin` in QEMU's
//! directory. (Without `arg`, QEMU gives the kernel's own file name as the command line;
//! only a `trace=` word names the file, so the kernel never overwrites itself.) A kernel
//! built with the `mutants` feature too takes `mutant=NAME` (a second `arg`), to plant
//! that bug for the run.

use core::arch::asm;

const SYS_OPEN: u64 = 0x01;
const SYS_WRITE: u64 = 0x05;
const SYS_GET_CMDLINE: u64 = 0x15;
/// SYS_OPEN mode "wb".
const MODE_WRITE_BINARY: u64 = 5;
const DEFAULT_NAME: &[u8] = b"kernel-trace.bin";
const PREFIX: &[u8] = b"trace=";

/// Words buffered before a write.
const BUFFER_WORDS: usize = 512;

/// The open trace file and its buffer.
pub struct TraceFile {
    handle: Option<u64>,
    failed: bool,
    /// The command line named a mutant this kernel does not have.
    pub bad_mutant: bool,
    /// The command line says `idle=halt`: halt instead of idling (the refinement tests'
    /// generated programs, whose machine has no device that could raise a line).
    pub idle_halts: bool,
    buf: [u64; BUFFER_WORDS],
    len: usize,
}

impl TraceFile {
    /// No file yet: it is opened at the first flush.
    pub const fn new() -> Self {
        TraceFile {
            handle: None,
            failed: false,
            bad_mutant: false,
            idle_halts: false,
            buf: [0; BUFFER_WORDS],
            len: 0,
        }
    }

    /// Buffers words, writing the buffer out when it fills.
    pub fn words(&mut self, words: &[u64]) {
        for &w in words {
            if self.len == BUFFER_WORDS {
                self.flush();
            }
            self.buf[self.len] = w;
            self.len += 1;
        }
    }

    /// Writes the buffered words to the file.
    pub fn flush(&mut self) {
        let Some(handle) = self.open() else {
            self.len = 0;
            return;
        };
        let block = [handle, self.buf.as_ptr() as u64, (self.len * 8) as u64];
        // SAFETY: SYS_WRITE reads the three-word block and `len * 8` bytes of the buffer,
        // both live for the call; it writes nothing to guest memory.
        let left = unsafe { semihost(SYS_WRITE, block.as_ptr() as u64) };
        if left != 0 {
            // A short write: stop here, so the file ends where the trace broke (the decoder
            // reports it truncated) rather than going on after a gap.
            self.failed = true;
        }
        self.len = 0;
    }

    fn open(&mut self) -> Option<u64> {
        if self.failed {
            return None;
        }
        if self.handle.is_none() {
            let mut name = [0u8; 256];
            let mut block = [name.as_mut_ptr() as u64, (name.len() - 1) as u64];
            // SAFETY: SYS_GET_CMDLINE writes at most block[1] bytes into `name` and the
            // length back into the block; both live for the call.
            let r = unsafe { semihost(SYS_GET_CMDLINE, block.as_mut_ptr() as u64) };
            let len = if r == 0 {
                (block[1] as usize).min(255)
            } else {
                0
            };
            let mut file: &[u8] = DEFAULT_NAME;
            for word in name[..len].split(|&c| c == b' ') {
                if let Some(f) = word.strip_prefix(PREFIX).filter(|f| !f.is_empty()) {
                    file = f;
                } else if let Some(m) = word.strip_prefix(b"mutant=") {
                    self.choose_mutant(m);
                } else if word == b"idle=halt" {
                    self.idle_halts = true;
                }
            }
            let name = file;
            let mut path = [0u8; 257];
            path[..name.len()].copy_from_slice(name);
            let open = [path.as_ptr() as u64, MODE_WRITE_BINARY, name.len() as u64];
            // SAFETY: SYS_OPEN reads the block and the NUL-terminated name, both live.
            let h = unsafe { semihost(SYS_OPEN, open.as_ptr() as u64) };
            if h as i64 == -1 {
                self.failed = true;
            } else {
                self.handle = Some(h);
            }
        }
        self.handle
    }
}

impl TraceFile {
    #[cfg(feature = "mutants")]
    fn choose_mutant(&mut self, name: &[u8]) {
        match crate::mutant::Mutant::from_name(name) {
            Some(m) => crate::mutant::set(Some(m)),
            None => self.bad_mutant = true,
        }
    }

    /// Without the `mutants` feature no mutant exists.
    #[cfg(not(feature = "mutants"))]
    fn choose_mutant(&mut self, _name: &[u8]) {
        self.bad_mutant = true;
    }
}

/// A semihosting call: `op` with its parameter block at `param`; returns x0.
///
/// # Safety
///
/// `param` must point to the block `op` expects, with every pointer in it valid for what
/// the call reads or writes.
unsafe fn semihost(op: u64, param: u64) -> u64 {
    let mut r = op;
    // SAFETY: the caller passes a valid block; the call is QEMU's semihosting trap (the
    // kernel runs QEMU with semihosting on; without it the hlt traps and the kernel powers
    // off, see entry::kernel_exception).
    unsafe { asm!("hlt #0xf000", inout("x0") r, in("x1") param, options(nostack)) };
    r
}
