//! The kernel window's map: which gigabytes of physical memory the kernel's TTBR1 mapping
//! covers, so cache maintenance by address never touches memory the window does not map.
//! Pure logic, built everywhere (host tests check it).

/// The gigabytes of physical memory the kernel window maps, one bit each (gigabyte 0, the
/// `virt` board's MMIO, and every gigabyte holding RAM; the window spans 512).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WindowMap([u64; 8]);

impl WindowMap {
    /// Records that gigabyte `g` is mapped (out-of-range numbers are ignored).
    pub fn add(&mut self, g: u64) {
        if g < 512 {
            self.0[(g / 64) as usize] |= 1 << (g % 64);
        }
    }

    /// True if every byte of `pa..pa + len` lies in a mapped gigabyte.
    pub fn covers(&self, pa: u64, len: u64) -> bool {
        let Some(last) = pa.checked_add(len.max(1) - 1) else {
            return false;
        };
        ((pa >> 30)..=(last >> 30))
            .all(|g| g < 512 && self.0[(g / 64) as usize] & 1 << (g % 64) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_map_covers_exactly_the_mapped_gigabytes() {
        let mut w = WindowMap::default();
        w.add(0);
        w.add(1);
        w.add(600); // beyond the window: ignored
        assert!(w.covers(0x0900_0000, 0x1000));
        assert!(w.covers(0x3fff_f000, 0x2000), "across two mapped gigabytes");
        assert!(w.covers(0x4000_0000, 1 << 30));
        assert!(!w.covers(0x7fff_f000, 0x2000), "into gigabyte 2");
        assert!(!w.covers(0x1_0000_0000, 0x1000));
        assert!(!w.covers(u64::MAX - 10, 100), "wraps");
        assert!(!w.covers(600 << 30, 1));
    }
}
