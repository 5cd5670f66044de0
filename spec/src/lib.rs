//! Executable specification of the kernel (filled by the spec issue).
#![forbid(unsafe_code)]
