//! The exception syndrome register (ESR_EL1): exception classes and their names.

/// Exception class field of an ESR value.
pub const fn class(esr: u64) -> u64 {
    (esr >> 26) & 0x3f
}

/// Unknown reason (includes undefined instructions).
pub const EC_UNKNOWN: u64 = 0x00;
/// Trapped WFI or WFE.
pub const EC_WFX: u64 = 0x01;
/// Access to FP/SIMD trapped by CPACR_EL1.
pub const EC_FP: u64 = 0x07;
/// Illegal execution state.
pub const EC_ILLEGAL_STATE: u64 = 0x0e;
/// SVC from AArch64.
pub const EC_SVC64: u64 = 0x15;
/// Trapped MSR, MRS or system instruction.
pub const EC_SYSREG: u64 = 0x18;
/// Instruction abort from a lower exception level.
pub const EC_IABT_LOWER: u64 = 0x20;
/// Instruction abort at the current level.
pub const EC_IABT_SAME: u64 = 0x21;
/// PC alignment fault.
pub const EC_PC_ALIGN: u64 = 0x22;
/// Data abort from a lower exception level.
pub const EC_DABT_LOWER: u64 = 0x24;
/// Data abort at the current level.
pub const EC_DABT_SAME: u64 = 0x25;
/// SP alignment fault.
pub const EC_SP_ALIGN: u64 = 0x26;
/// BRK instruction from AArch64.
pub const EC_BRK64: u64 = 0x3c;

/// A readable name for the exception class of `esr`.
pub const fn class_name(esr: u64) -> &'static str {
    match class(esr) {
        EC_UNKNOWN => "undefined instruction",
        EC_WFX => "trapped WFI/WFE",
        EC_FP => "FP/SIMD access",
        EC_ILLEGAL_STATE => "illegal execution state",
        EC_SVC64 => "SVC",
        EC_SYSREG => "system register access",
        EC_IABT_LOWER | EC_IABT_SAME => "instruction abort",
        EC_PC_ALIGN => "PC alignment fault",
        EC_DABT_LOWER | EC_DABT_SAME => "data abort",
        EC_SP_ALIGN => "SP alignment fault",
        EC_BRK64 => "breakpoint (BRK)",
        _ => "exception",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_decode() {
        assert_eq!(class(0x5600_0000), EC_SVC64);
        assert_eq!(class_name(0x0200_0000), "undefined instruction");
        assert_eq!(class_name(0x9200_0047), "data abort");
        assert_eq!(class_name(0x8200_0007), "instruction abort");
    }
}
