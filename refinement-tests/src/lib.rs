//! Refinement tests: the kernel checked against the spec on recorded traces (filled by the refinement issue).
#![forbid(unsafe_code)]
