# Recipes for `just`: each calls the same `cargo xtask` command CI and the README use.

# Build the kernel and an example (default: hello), boot it under QEMU.
run *ARGS:
    cargo xtask run {{ARGS}}

# Host tests, then every QEMU test case; ends with `N passed, M failed`.
test *ARGS:
    cargo xtask test {{ARGS}}

# Boot EXAMPLE with QEMU waiting for gdb (the attach command is printed first).
debug EXAMPLE *ARGS:
    cargo xtask debug {{EXAMPLE}} {{ARGS}}

# Instructions per IPC and other operations, beside seL4's.
bench:
    cargo xtask bench

# The kernel checked against the spec on generated programs (`--cases N --seed S`), the
# mutant run (`--mutants`), generated programs on QEMU (`--qemu`), a recorded trace
# (`--trace FILE`), or a program recorded on the trace kernel and replayed
# (`--record EXAMPLE [--mutant NAME]`).
refine *ARGS:
    cargo xtask refine {{ARGS}}

# Run a scenario on the executable specification.
spec FILE *ARGS:
    cargo xtask spec {{FILE}} {{ARGS}}
