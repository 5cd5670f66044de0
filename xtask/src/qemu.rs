//! The QEMU command line that boots the kernel with a root task.

use std::path::Path;
use std::process::Command;

/// The QEMU binary.
pub const QEMU: &str = "qemu-system-aarch64";

/// The emulated machine: QEMU's `virt` board with these options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    /// `-cpu` model.
    pub cpu: String,
    /// `-m` memory size.
    pub memory: String,
    /// `virtualization=on`: the kernel is entered at EL2.
    pub virtualization: bool,
    /// `gic-version=N`; `None` leaves QEMU's default (2).
    pub gic_version: Option<u8>,
}

impl Default for Machine {
    fn default() -> Self {
        Machine {
            cpu: "cortex-a53".to_owned(),
            memory: "1G".to_owned(),
            virtualization: false,
            gic_version: None,
        }
    }
}

impl Machine {
    /// The `-M` argument.
    fn board(&self) -> String {
        let mut board = "virt".to_owned();
        if self.virtualization {
            board.push_str(",virtualization=on");
        }
        if let Some(version) = self.gic_version {
            board.push_str(&format!(",gic-version={version}"));
        }
        board
    }
}

/// Everything one boot needs.
pub struct Boot<'a> {
    /// The machine to emulate.
    pub machine: &'a Machine,
    /// The kernel ELF, loaded by QEMU's `-kernel`.
    pub kernel: &'a Path,
    /// The root task's ELF file, placed as raw bytes at `root_paddr`.
    pub root_elf: &'a Path,
    /// The value of the kernel's `__root_elf_paddr`.
    pub root_paddr: u64,
    /// `Some(port)`: wait for gdb on this TCP port before the first instruction.
    pub gdb_port: Option<u16>,
    /// `Some(file)`: the trace kernel writes its trace to this host file (semihosting
    /// command line `trace=FILE`).
    pub trace: Option<&'a Path>,
    /// `Some(name)`: the mutant kernel plants this bug (semihosting command line
    /// `mutant=NAME`).
    pub mutant: Option<&'a str>,
}

impl Boot<'_> {
    /// The QEMU command; stdio is left for the caller to set.
    pub fn command(&self) -> Command {
        let mut command = Command::new(QEMU);
        command.args(["-M", &self.machine.board()]);
        command.args(["-cpu", &self.machine.cpu]);
        command.args(["-m", &self.machine.memory]);
        command.args(["-nographic", "-no-reboot"]);
        // The kernel ends QEMU through semihosting, with the run's status; the trace
        // kernel names its trace file in the semihosting command line.
        let mut semihosting = std::ffi::OsString::from("enable=on,target=native");
        if let Some(file) = self.trace {
            semihosting.push(",arg=trace=");
            semihosting.push(file);
        }
        if let Some(name) = self.mutant {
            semihosting.push(format!(",arg=mutant={name}"));
        }
        command.arg("-semihosting-config").arg(semihosting);
        // Deterministic: the same run every time, and the cycle counter counts instructions.
        command.args(["-icount", "shift=0,sleep=off"]);
        command.arg("-kernel").arg(self.kernel);
        // force-raw: QEMU must not load the ELF itself; the kernel finds and checks it.
        let mut loader = std::ffi::OsString::from("loader,file=");
        loader.push(self.root_elf);
        loader.push(format!(",addr={:#x},force-raw=on", self.root_paddr));
        command.arg("-device").arg(loader);
        if let Some(port) = self.gdb_port {
            command.args(["-S", "-gdb", &format!("tcp::{port}")]);
        }
        command
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::render;

    #[test]
    fn default_machine_command_line() {
        let machine = Machine::default();
        let boot = Boot {
            machine: &machine,
            kernel: Path::new("target/k"),
            root_elf: Path::new("target/r"),
            root_paddr: 0x4800_0000,
            gdb_port: None,
            trace: None,
            mutant: None,
        };
        assert_eq!(
            render(&boot.command()),
            "qemu-system-aarch64 -M virt -cpu cortex-a53 -m 1G -nographic -no-reboot \
             -semihosting-config enable=on,target=native -icount shift=0,sleep=off \
             -kernel target/k -device loader,file=target/r,addr=0x48000000,force-raw=on"
        );
    }

    #[test]
    fn machine_options_and_gdb() {
        let machine = Machine {
            cpu: "max".into(),
            memory: "2G".into(),
            virtualization: true,
            gic_version: Some(3),
        };
        let boot = Boot {
            machine: &machine,
            kernel: Path::new("k"),
            root_elf: Path::new("my root"),
            root_paddr: 0x1000,
            gdb_port: Some(4321),
            trace: Some(Path::new("/t/x.trace")),
            mutant: Some("BadgeNotDelivered"),
        };
        let line = render(&boot.command());
        assert!(
            line.starts_with(
                "qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu max -m 2G "
            ),
            "{line}"
        );
        assert!(
            line.contains("'loader,file=my root,addr=0x1000,force-raw=on'"),
            "{line}"
        );
        assert!(line.ends_with(" -S -gdb tcp::4321"), "{line}");
        assert!(
            line.contains(
                "-semihosting-config enable=on,target=native,arg=trace=/t/x.trace,arg=mutant=BadgeNotDelivered "
            ),
            "{line}"
        );
    }
}
