//! The root task's initial caps, at the fixed slots of `sel4_abi::init_cap`.

use super::Cap;
use super::cap_type::{AsidControl, AsidPool, CNode, Domain, IrqControl, SmallPage, Tcb, VSpace};
use sel4_abi::init_cap;

/// `seL4_CapInitThreadTCB`: the root task's own TCB.
pub const fn init_thread_tcb() -> Cap<Tcb> {
    Cap::from_cptr(init_cap::INIT_THREAD_TCB)
}

/// `seL4_CapInitThreadCNode`: the root CNode (the root task's CSpace root).
pub const fn init_thread_cnode() -> Cap<CNode> {
    Cap::from_cptr(init_cap::INIT_THREAD_CNODE)
}

/// `seL4_CapInitThreadVSpace`: the root task's VSpace.
pub const fn init_thread_vspace() -> Cap<VSpace> {
    Cap::from_cptr(init_cap::INIT_THREAD_VSPACE)
}

/// `seL4_CapIRQControl`: makes IRQ handler caps.
pub const fn irq_control() -> Cap<IrqControl> {
    Cap::from_cptr(init_cap::IRQ_CONTROL)
}

/// `seL4_CapASIDControl`: makes ASID pools.
pub const fn asid_control() -> Cap<AsidControl> {
    Cap::from_cptr(init_cap::ASID_CONTROL)
}

/// `seL4_CapInitThreadASIDPool`: the ASID pool of the root task's VSpace.
pub const fn init_thread_asid_pool() -> Cap<AsidPool> {
    Cap::from_cptr(init_cap::INIT_THREAD_ASID_POOL)
}

/// `seL4_CapBootInfoFrame`: the BootInfo frame.
pub const fn boot_info_frame() -> Cap<SmallPage> {
    Cap::from_cptr(init_cap::BOOT_INFO_FRAME)
}

/// `seL4_CapInitThreadIPCBuffer`: the root task's IPC buffer frame.
pub const fn init_thread_ipc_buffer() -> Cap<SmallPage> {
    Cap::from_cptr(init_cap::INIT_THREAD_IPC_BUFFER)
}

/// `seL4_CapDomain`: the domain cap.
pub const fn domain() -> Cap<Domain> {
    Cap::from_cptr(init_cap::DOMAIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_come_from_the_abi() {
        assert_eq!(init_thread_tcb().cptr(), 1);
        assert_eq!(init_thread_cnode().cptr(), 2);
        assert_eq!(init_thread_vspace().cptr(), 3);
        assert_eq!(irq_control().cptr(), 4);
        assert_eq!(asid_control().cptr(), 5);
        assert_eq!(init_thread_asid_pool().cptr(), 6);
        assert_eq!(boot_info_frame().cptr(), 9);
        assert_eq!(init_thread_ipc_buffer().cptr(), 10);
        assert_eq!(domain().cptr(), 11);
    }
}
