//! Physical memory regions at boot: a sorted list of disjoint ranges, and seL4's rule for
//! cutting a range into naturally aligned untyped blocks.

/// A half-open physical address range `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Region {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
}

impl Region {
    /// The range `[start, end)`.
    pub const fn new(start: u64, end: u64) -> Region {
        Region { start, end }
    }
    /// `len` bytes from `start`.
    pub const fn sized(start: u64, len: u64) -> Region {
        Region {
            start,
            end: start + len,
        }
    }
    /// Bytes in the range.
    pub const fn len(&self) -> u64 {
        self.end - self.start
    }
    /// True if the range holds no bytes.
    pub const fn is_empty(&self) -> bool {
        self.end <= self.start
    }
    /// True if the two ranges share a byte.
    pub const fn overlaps(&self, o: &Region) -> bool {
        self.start < o.end && o.start < self.end
    }
    /// The range widened to whole pages of `2^bits` bytes.
    pub const fn page_aligned_out(&self, bits: u64) -> Region {
        let m = (1 << bits) - 1;
        Region {
            start: self.start & !m,
            end: (self.end + m) & !m,
        }
    }
}

/// The most ranges a list holds (RAM banks, reserved areas and the holes they make).
pub const MAX_REGIONS: usize = 64;

/// Sorted, disjoint, non-adjacent ranges, with no heap.
#[derive(Clone, Copy, Debug)]
pub struct RegionList {
    regions: [Region; MAX_REGIONS],
    len: usize,
}

impl Default for RegionList {
    fn default() -> Self {
        Self::new()
    }
}

impl RegionList {
    /// An empty list.
    pub const fn new() -> Self {
        RegionList {
            regions: [Region::new(0, 0); MAX_REGIONS],
            len: 0,
        }
    }
    /// The ranges, lowest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Region> {
        self.regions[..self.len].iter()
    }
    /// Total bytes covered.
    pub fn total(&self) -> u64 {
        self.iter().map(Region::len).sum()
    }

    fn insert_at(&mut self, i: usize, r: Region) -> Result<(), RegionError> {
        if self.len == MAX_REGIONS {
            return Err(RegionError::TooMany);
        }
        self.regions.copy_within(i..self.len, i + 1);
        self.regions[i] = r;
        self.len += 1;
        Ok(())
    }
    fn remove_at(&mut self, i: usize) {
        self.regions.copy_within(i + 1..self.len, i);
        self.len -= 1;
    }

    /// Adds a range, merging it with any it touches.
    pub fn add(&mut self, r: Region) -> Result<(), RegionError> {
        if r.is_empty() {
            return Ok(());
        }
        let mut merged = r;
        let mut i = 0;
        while i < self.len {
            let c = self.regions[i];
            if c.end < merged.start {
                i += 1;
            } else if c.start > merged.end {
                break;
            } else {
                merged = Region::new(c.start.min(merged.start), c.end.max(merged.end));
                self.remove_at(i);
            }
        }
        self.insert_at(i, merged)
    }

    /// Removes a range, splitting any range it falls inside.
    pub fn remove(&mut self, r: Region) -> Result<(), RegionError> {
        if r.is_empty() {
            return Ok(());
        }
        let mut i = 0;
        while i < self.len {
            let c = self.regions[i];
            if !c.overlaps(&r) {
                i += 1;
                continue;
            }
            let (low, high) = (Region::new(c.start, r.start), Region::new(r.end, c.end));
            self.remove_at(i);
            if !high.is_empty() {
                self.insert_at(i, high)?;
            }
            if !low.is_empty() {
                self.insert_at(i, low)?;
                i += 1;
            }
        }
        Ok(())
    }
}

/// A region list ran out of room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionError {
    /// More than [`MAX_REGIONS`] disjoint ranges.
    TooMany,
}

/// seL4's create_untypeds_for_region: cuts `r` into blocks, each as large as both the
/// remaining length and the alignment of its start allow (at most 2^max_bits), dropping
/// blocks smaller than 2^min_bits, which could never be retyped into anything.
pub fn untyped_blocks(r: Region, min_bits: u64, max_bits: u64) -> impl Iterator<Item = (u64, u64)> {
    let mut start = r.start;
    core::iter::from_fn(move || {
        while start < r.end {
            let len = r.end - start;
            let mut bits = 63 - len.leading_zeros() as u64;
            bits = bits.min(max_bits);
            // Address 0 is aligned to anything.
            if start != 0 {
                bits = bits.min(start.trailing_zeros() as u64);
            }
            let block = start;
            start += 1 << bits;
            if bits >= min_bits {
                return Some((block, bits));
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(rs: &[(u64, u64)]) -> RegionList {
        let mut l = RegionList::new();
        for &(s, e) in rs {
            l.add(Region::new(s, e)).unwrap();
        }
        l
    }
    fn ranges(l: &RegionList) -> Vec<(u64, u64)> {
        l.iter().map(|r| (r.start, r.end)).collect()
    }

    #[test]
    fn add_merges_touching_and_overlapping() {
        let l = list(&[(10, 20), (30, 40), (20, 25), (35, 50), (0, 5)]);
        assert_eq!(ranges(&l), [(0, 5), (10, 25), (30, 50)]);
        assert_eq!(l.total(), 5 + 15 + 20);
    }

    #[test]
    fn remove_splits_and_trims() {
        let mut l = list(&[(0, 100), (200, 300)]);
        l.remove(Region::new(10, 20)).unwrap();
        l.remove(Region::new(90, 210)).unwrap();
        l.remove(Region::new(290, 400)).unwrap();
        assert_eq!(ranges(&l), [(0, 10), (20, 90), (210, 290)]);
        l.remove(Region::new(0, 1000)).unwrap();
        assert_eq!(ranges(&l), []);
    }

    #[test]
    fn untyped_blocks_follow_alignment_and_size() {
        // 0x4000_1000..0x4010_0000: a 4K block, then 8K, 16K, ... up to the 512K half.
        let blocks: Vec<_> = untyped_blocks(Region::new(0x4000_1000, 0x4010_0000), 4, 47).collect();
        assert_eq!(blocks.first(), Some(&(0x4000_1000, 12)));
        assert_eq!(blocks.last(), Some(&(0x4008_0000, 19)));
        let covered: u64 = blocks.iter().map(|&(_, b)| 1u64 << b).sum();
        assert_eq!(covered, 0x4010_0000 - 0x4000_1000);
        for &(p, b) in &blocks {
            assert_eq!(p % (1 << b), 0, "block {p:#x} not aligned to 2^{b}");
        }
    }

    #[test]
    fn untyped_blocks_drop_slivers_and_cap_size() {
        let blocks: Vec<_> = untyped_blocks(Region::new(0x8, 0x30), 4, 47).collect();
        // 0x8 (8 bytes, too small), 0x10 (16), 0x20 (16)
        assert_eq!(blocks, [(0x10, 4), (0x20, 4)]);
        let big: Vec<_> = untyped_blocks(Region::new(0, 1 << 49), 4, 47).collect();
        assert_eq!(big, [(0, 47), (1 << 47, 47), (2 << 47, 47), (3 << 47, 47)]);
    }
}
