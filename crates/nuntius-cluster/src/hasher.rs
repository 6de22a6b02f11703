//! The clusterer's map hasher: fast on keys that are already hashes, unseeded so that iteration
//! order depends on the insertions alone.

use std::collections::HashMap;

/// Hashes keys that are already hashes or small ids with one multiply: the clusterer's maps are
/// looked up tens of thousands of times per article, where SipHash cost a third of the time.
/// Unseeded, so iteration order depends only on the insertions.
#[derive(Default, Clone, Copy)]
pub struct U64Hasher(u64);

impl std::hash::Hasher for U64Hasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, x: u64) {
        let x = (self.0 ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = x ^ (x >> 29);
    }
}

/// A hash map with [`U64Hasher`]: fast, and the same iteration order in every run.
pub type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<U64Hasher>>;

/// A map whose iteration order depends only on its insertions, so sums over it come out the same
/// in every run without sorting.
pub(crate) type FixedMap = FastMap<u64, f32>;
