//! The BootInfo frame the kernel hands the root task: a typed view with accessors.

use sel4_abi::bootinfo::{BOOTINFO_HEADER_FDT, BootInfoHeader};
use sel4_abi::{SlotRegion, UntypedDesc};

use crate::cap::Cap;
use crate::cap::cap_type::Untyped;

/// The BootInfo frame (seL4_BootInfo), followed in memory by the extra BootInfo chunks.
#[derive(Debug)]
#[repr(transparent)]
pub struct BootInfo(sel4_abi::BootInfo);

impl BootInfo {
    /// The BootInfo at `addr` (the value of x0 when the root task starts).
    ///
    /// # Safety
    /// `addr` must be the BootInfo frame's address, as the kernel passed it; the frame and
    /// the extra BootInfo pages after it stay mapped and unchanged while the result lives.
    pub unsafe fn from_addr(addr: u64) -> &'static BootInfo {
        // SAFETY: the caller guarantees a mapped, kernel-written BootInfo at addr.
        unsafe { &*(addr as *const BootInfo) }
    }
    /// The raw seL4 structure.
    pub fn raw(&self) -> &sel4_abi::BootInfo {
        &self.0
    }
    /// The untyped memory descriptors, one per cap in [`untyped`](Self::untyped).
    pub fn untyped_list(&self) -> &[UntypedDesc] {
        self.0.untyped_descs()
    }
    /// Slots of the untyped caps.
    pub fn untyped(&self) -> SlotRegion {
        self.0.untyped
    }
    /// The untyped caps, each with its descriptor (physical address, size, device or not).
    pub fn untyped_caps(&self) -> impl Iterator<Item = (Cap<Untyped>, &UntypedDesc)> {
        (self.0.untyped.start..self.0.untyped.end)
            .map(Cap::from_cptr)
            .zip(self.untyped_list())
    }
    /// The free slots of the root CNode.
    pub fn empty(&self) -> SlotRegion {
        self.0.empty
    }
    /// Slots of the caps to the frames of the root task's image.
    pub fn user_image_frames(&self) -> SlotRegion {
        self.0.user_image_frames
    }
    /// Slots of the caps to the page tables mapping the image.
    pub fn user_image_paging(&self) -> SlotRegion {
        self.0.user_image_paging
    }
    /// Slots of the caps to the extra BootInfo frames.
    pub fn extra_bi_pages(&self) -> SlotRegion {
        self.0.extra_bi_pages
    }
    /// log2 of the root CNode's slot count.
    pub fn cnode_size_bits(&self) -> u64 {
        self.0.init_thread_cnode_size_bits
    }
    /// Address of the root task's IPC buffer.
    pub fn ipc_buffer(&self) -> u64 {
        self.0.ipc_buffer
    }
    /// The extra BootInfo: chunks of `(id, bytes)` in the pages after this frame.
    pub fn extra(&self) -> impl Iterator<Item = (u64, &[u8])> {
        let base = self as *const BootInfo as usize + (1 << sel4_abi::BOOTINFO_FRAME_BITS);
        let len = self.0.extra_len as usize;
        // SAFETY: the kernel maps extra_len bytes of extra BootInfo right after the
        // BootInfo frame (from_addr's contract keeps them mapped).
        let bytes = unsafe { core::slice::from_raw_parts(base as *const u8, len) };
        let mut at = 0usize;
        core::iter::from_fn(move || {
            let h = size_of::<BootInfoHeader>();
            let head = bytes.get(at..at + h)?;
            let id = u64::from_le_bytes(head[..8].try_into().ok()?);
            let n = u64::from_le_bytes(head[8..].try_into().ok()?) as usize;
            let chunk = bytes.get(at + h..at.checked_add(n)?)?;
            at += n.max(h);
            Some((id, chunk))
        })
    }
    /// The flattened device tree the kernel booted with, if it passed one.
    pub fn device_tree(&self) -> Option<&[u8]> {
        self.extra()
            .find(|(id, _)| *id == BOOTINFO_HEADER_FDT)
            .map(|(_, b)| b)
    }
}
