//! Refinement tests: the kernel checked against the spec. The tests are in `tests/`
//! (see docs/refinement.md); this library will hold the trace replay harness.
#![forbid(unsafe_code)]
