//! Why setting up the driver failed: which step, and what the kernel said.

use core::fmt;

use crate::devicetree::Missing;

/// A setup step that failed; `main` returns it, and the runtime prints it (with `Debug`,
/// which reads as a sentence here) and fails.
pub enum SetupError {
    /// The BootInfo carries no device tree.
    NoDeviceTree,
    /// The device tree does not say where the UART is.
    DeviceTree(Missing),
    /// No device untyped covers the UART's registers.
    NoDeviceUntyped {
        /// The physical address looked for.
        paddr: u64,
    },
    /// The frame retyped from device memory is not the one asked for.
    WrongFrame {
        /// Where the frame should be.
        expected: u64,
        /// Where the kernel says it is.
        found: u64,
    },
    /// An invocation failed.
    Kernel {
        /// What the driver was doing.
        step: &'static str,
        /// What the kernel replied.
        error: sel4::Error,
    },
}

impl fmt::Debug for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupError::NoDeviceTree => write!(f, "the BootInfo has no device tree"),
            SetupError::DeviceTree(missing) => write!(f, "device tree: {missing:?}"),
            SetupError::NoDeviceUntyped { paddr } => {
                write!(f, "no device untyped covers {paddr:#x}")
            }
            SetupError::WrongFrame { expected, found } => {
                write!(f, "retyped the frame at {found:#x}, not at {expected:#x}")
            }
            SetupError::Kernel { step, error } => write!(f, "{step}: {error}"),
        }
    }
}

impl From<Missing> for SetupError {
    fn from(missing: Missing) -> Self {
        SetupError::DeviceTree(missing)
    }
}

/// Names the step an invocation's result belongs to.
pub trait Step<T> {
    /// The result, with a failure recorded as `SetupError::Kernel { step, .. }`.
    fn step(self, step: &'static str) -> Result<T, SetupError>;
}

impl<T> Step<T> for sel4::Result<T> {
    fn step(self, step: &'static str) -> Result<T, SetupError> {
        self.map_err(|error| SetupError::Kernel { step, error })
    }
}
