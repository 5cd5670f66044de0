//! The user-visible surface: events that enter the kernel and what user level sees after.

pub mod event;
pub mod syscall;

pub use event::{Event, Outcome, ThreadReport, handle_event};
