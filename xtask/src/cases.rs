//! The QEMU test cases: every program with an `expected.txt`, plus the table of extra cases.

use crate::badelf::BadElf;
use crate::cargo_build::KernelVariant;
use crate::process::Input;
use crate::programs::Program;
use crate::qemu::Machine;

/// The expected-output file beside a program's `Cargo.toml`.
pub const EXPECTED_FILE: &str = "expected.txt";
/// The status the kernel ends QEMU with when it refuses the root task.
pub const REFUSED_STATUS: i32 = 2;
/// The console line the kernel prints when it refuses the root task.
pub const REFUSED_LINE_PREFIX: &str = "kernel: refusing root task:";

/// Typed to the UART driver once it says it is listening: two lines (Enter sends `\r`),
/// then `q`.
const UART_DRIVER_INPUT: Input = Input {
    after: "uart-driver: type something",
    bytes: b"hello\rworld\rq",
};

/// The extra cases, beyond one per program with an `expected.txt`. Add rows here; a row
/// named after a program replaces that program's default case.
pub fn extra_cases() -> Vec<Case> {
    vec![
        Case::program("hello-cortex-a72", "hello").cpu("cortex-a72"),
        Case::program("hello-cpu-max", "hello").cpu("max"),
        Case::program("hello-el2", "hello").virtualization(),
        Case::program("hello-gicv3", "hello").gic_version(3),
        Case::program("hello-2g", "hello")
            .memory("2G")
            .expect(Expect::File("expected-2g.txt")),
        Case::program("hello-cnode-bits-13", "hello")
            .root_cnode_bits(13)
            .expect(Expect::File("expected-cnode13.txt")),
        Case::refused("refuse-garbage", BadElf::Garbage),
        Case::refused("refuse-foreign-arch", BadElf::ForeignArch),
        Case::refused("refuse-64gib-segment", BadElf::HugeSegment),
        Case::refused("refuse-kernel-address", BadElf::KernelAddress),
        Case::program("uart-driver", "uart-driver").input(UART_DRIVER_INPUT),
        Case::program("uart-driver-gicv3", "uart-driver")
            .gic_version(3)
            .input(UART_DRIVER_INPUT),
    ]
}

/// What boots as the root task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootTask {
    /// An example or test program, by crate name.
    Program(String),
    /// A file the kernel must refuse.
    Bad(BadElf),
}

/// What a case must show to pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// Status 0, and the output matches this file beside the program's `Cargo.toml`.
    File(&'static str),
    /// Status 2, and a console line starting with `kernel: refusing root task:`.
    Refused,
}

/// One boot under QEMU and what it must show.
#[derive(Debug, Clone)]
pub struct Case {
    /// Unique name, shown in progress and reports (and matched by `test FILTER`).
    pub name: String,
    /// The root task.
    pub root_task: RootTask,
    /// The emulated machine.
    pub machine: Machine,
    /// Kernel build option: `SEL4_ROOT_CNODE_SIZE_BITS`, if not the default.
    pub root_cnode_bits: Option<u32>,
    /// The verdict rule.
    pub expect: Expect,
    /// What is typed on the serial console (QEMU's stdin), and when; `None`: nothing.
    pub input: Option<Input>,
    /// Boot the kernel built with the `trace` feature and replay its trace on the spec:
    /// the case passes only if the console matches and the spec agrees at every entry.
    pub trace: bool,
}

impl Case {
    /// A program on the default machine, checked against its `expected.txt`.
    pub fn program(name: &str, program: &str) -> Case {
        Case {
            name: name.to_owned(),
            root_task: RootTask::Program(program.to_owned()),
            machine: Machine::default(),
            root_cnode_bits: None,
            expect: Expect::File(EXPECTED_FILE),
            input: None,
            trace: false,
        }
    }

    /// A root-task file the kernel must refuse, on the default machine.
    pub fn refused(name: &str, file: BadElf) -> Case {
        Case {
            root_task: RootTask::Bad(file),
            expect: Expect::Refused,
            ..Case::program(name, "")
        }
    }

    /// With this `-cpu`.
    pub fn cpu(mut self, cpu: &str) -> Case {
        self.machine.cpu = cpu.to_owned();
        self
    }

    /// With this `-m`.
    pub fn memory(mut self, memory: &str) -> Case {
        self.machine.memory = memory.to_owned();
        self
    }

    /// With EL2 (`virtualization=on`).
    pub fn virtualization(mut self) -> Case {
        self.machine.virtualization = true;
        self
    }

    /// With this GIC version.
    pub fn gic_version(mut self, version: u8) -> Case {
        self.machine.gic_version = Some(version);
        self
    }

    /// With the kernel built for a root CNode of 2^bits slots.
    pub fn root_cnode_bits(mut self, bits: u32) -> Case {
        self.root_cnode_bits = Some(bits);
        self
    }

    /// With this verdict rule.
    pub fn expect(mut self, expect: Expect) -> Case {
        self.expect = expect;
        self
    }

    /// With this input on the serial console.
    pub fn input(mut self, input: Input) -> Case {
        self.input = Some(input);
        self
    }

    /// Under the trace kernel, replayed on the spec, named `trace-NAME`.
    pub fn traced(mut self) -> Case {
        self.name = format!("{TRACE_PREFIX}{}", self.name);
        self.trace = true;
        self
    }

    /// The kernel this case boots.
    pub fn kernel(&self) -> KernelVariant {
        KernelVariant {
            cnode_bits: self.root_cnode_bits,
            trace: self.trace,
            mutants: false,
            slowpath: false,
        }
    }

    /// The program this case boots, if it boots one.
    pub fn program_name(&self) -> Option<&str> {
        match &self.root_task {
            RootTask::Program(name) => Some(name),
            RootTask::Bad(_) => None,
        }
    }
}

/// The name prefix of the cases run under the trace kernel.
pub const TRACE_PREFIX: &str = "trace-";

/// Every case: one per program that has an `expected.txt` (or the table's row of that
/// name), then the other extra cases, then each program's case again under the trace
/// kernel (`trace-NAME`), keeping those whose name contains `filter`.
pub fn all(programs: &[Program], filter: Option<&str>) -> Vec<Case> {
    let mut extra = extra_cases();
    let mut cases: Vec<Case> = programs
        .iter()
        .filter(|p| p.expected_file(EXPECTED_FILE).is_file())
        .map(|p| match extra.iter().position(|c| c.name == p.name) {
            Some(row) => extra.remove(row),
            None => Case::program(&p.name, &p.name),
        })
        .collect();
    // Every program's own case again under the trace kernel, checked against the spec.
    let traced: Vec<Case> = cases.iter().map(|c| c.clone().traced()).collect();
    cases.append(&mut extra);
    cases.extend(traced);
    cases.retain(|case| filter.is_none_or(|f| case.name.contains(f)));
    cases
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_names_are_unique() {
        let mut names: Vec<String> = extra_cases().into_iter().map(|c| c.name).collect();
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count);
    }

    #[test]
    fn rows_change_only_what_they_say() {
        let case = Case::program("x", "hello").cpu("max").gic_version(3);
        assert_eq!(
            case.machine,
            Machine {
                cpu: "max".into(),
                gic_version: Some(3),
                ..Machine::default()
            }
        );
        assert_eq!(case.expect, Expect::File("expected.txt"));
        assert_eq!(case.program_name(), Some("hello"));
        assert_eq!(case.input, None);
        let refused = Case::refused("bad", BadElf::Garbage);
        assert_eq!(
            (refused.program_name(), &refused.expect),
            (None, &Expect::Refused)
        );
    }

    #[test]
    fn a_row_named_after_a_program_replaces_its_default_case() {
        let root = std::env::temp_dir().join(format!("xtask-cases-{}", std::process::id()));
        let program = |name: &str| {
            let dir = root.join(name);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(EXPECTED_FILE), "x\n").unwrap();
            Program {
                name: name.into(),
                package: name.into(),
                bin: name.into(),
                dir,
                kind: crate::programs::Kind::Example,
            }
        };
        let programs = [program("hello"), program("uart-driver")];
        let cases = all(&programs, None);
        let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        // In the programs' order, once, and with the row's input.
        assert_eq!(names[..2], ["hello", "uart-driver"]);
        assert_eq!(names.iter().filter(|n| **n == "uart-driver").count(), 1);
        assert_eq!(cases[0].input, None);
        assert_eq!(cases[1].input, Some(UART_DRIVER_INPUT));
        let uart: Vec<String> = all(&programs, Some("uart"))
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(
            uart,
            ["uart-driver", "uart-driver-gicv3", "trace-uart-driver"]
        );
        // Each program's own case runs again under the trace kernel, with its row's input.
        let traced = cases
            .iter()
            .find(|c| c.name == "trace-uart-driver")
            .unwrap();
        assert!(traced.trace && traced.kernel().trace);
        assert_eq!(traced.input, Some(UART_DRIVER_INPUT));
        assert!(cases.iter().filter(|c| c.trace).count() == 2);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
