//! What the previous exit record wrote, so the writer of the next one writes only what
//! changed (SAME items), and the limits of one projection's walk.

/// How many CNodes and TCBs one projection visits at most (the walk needs no allocation;
/// the replay cuts its walk at the same number).
pub const MAX_CONTAINERS: usize = 512;

/// Entries in the [`Cache`] (a power of two).
const CACHE_ENTRIES: usize = 4096;

/// What the previous exit wrote: a hash per thread and per chunk of slots, so the next
/// exit writes only what changed. An open-addressing table keyed by slot address (chunks)
/// or TCB address + 1 (threads), with the exit each entry was last written in.
#[derive(Clone, Copy, Debug)]
pub struct Cache {
    keys: [u64; CACHE_ENTRIES],
    hashes: [u64; CACHE_ENTRIES],
    exits: [u64; CACHE_ENTRIES],
    /// The number of the exit being written (from 1).
    exit: u64,
    /// The endpoints (false) and notifications (true) this exit writes.
    objects: [(u64, bool); MAX_OBJECTS],
    n_objects: usize,
    /// Which of them are in already: an address set, entries stamped with the exit.
    seen: [u64; SEEN_ENTRIES],
    seen_exit: [u64; SEEN_ENTRIES],
}

impl Cache {
    /// Nothing written yet.
    pub const fn new() -> Self {
        Cache {
            keys: [0; CACHE_ENTRIES],
            hashes: [0; CACHE_ENTRIES],
            exits: [0; CACHE_ENTRIES],
            exit: 1,
            objects: [(0, false); MAX_OBJECTS],
            n_objects: 0,
            seen: [0; SEEN_ENTRIES],
            seen_exit: [0; SEEN_ENTRIES],
        }
    }

    pub fn objects_clear(&mut self) {
        self.n_objects = 0;
    }

    /// Adds an endpoint or notification to write this exit, unless it is in already. (A
    /// full list drops it: the replay then reports the object missing.)
    pub fn add_object(&mut self, o: (u64, bool)) {
        let mask = SEEN_ENTRIES - 1;
        let mut i = (o.0.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40) as usize & mask;
        for _ in 0..SEEN_ENTRIES {
            if self.seen_exit[i] != self.exit {
                // A free entry (stale from an earlier exit): the object is new.
                self.seen[i] = o.0;
                self.seen_exit[i] = self.exit;
                if self.n_objects < MAX_OBJECTS {
                    self.objects[self.n_objects] = o;
                    self.n_objects += 1;
                }
                return;
            }
            if self.seen[i] == o.0 {
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// Whether `key` had this `hash` in the previous exit (so the decoder holds it); records
    /// it for this one. A full table answers "changed", which is always safe.
    pub fn unchanged(&mut self, key: u64, hash: u64) -> bool {
        let mask = CACHE_ENTRIES - 1;
        let mut i = (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40) as usize & mask;
        for _ in 0..CACHE_ENTRIES {
            if self.keys[i] == key || self.keys[i] == 0 {
                let same =
                    self.keys[i] == key && self.hashes[i] == hash && self.exits[i] + 1 == self.exit;
                self.keys[i] = key;
                self.hashes[i] = hash;
                self.exits[i] = self.exit;
                return same;
            }
            i = (i + 1) & mask;
        }
        false
    }

    /// The exit is written.
    pub fn next_exit(&mut self) {
        self.exit += 1;
    }
}

impl Default for Cache {
    fn default() -> Self {
        Self::new()
    }
}

/// Endpoints and notifications one projection writes at most.
pub const MAX_OBJECTS: usize = 2048;
/// Entries of the set that keeps an exit's object list free of repeats (a power of two).
const SEEN_ENTRIES: usize = 4096;

impl Cache {
    /// How many endpoints and notifications this exit writes.
    pub fn object_count(&self) -> usize {
        self.n_objects
    }

    /// The `k`th endpoint (false) or notification (true) added this exit.
    pub fn object(&self, k: usize) -> (u64, bool) {
        self.objects[k]
    }
}
