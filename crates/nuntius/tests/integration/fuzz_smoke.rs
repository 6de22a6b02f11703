//! The CI smoke of the fuzz targets, on stable: every target's body (fuzz/src/lib.rs, the code
//! the libFuzzer binaries run) over its seeds in fuzz/seeds/NAME/ (crash reproducers included,
//! so each fixed crash stays a regression test) and over inputs mutated from them with a fixed
//! seed. A target without seeds fails the test rather than passing empty.

use std::path::Path;

#[path = "../../../../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod bodies;

/// Mutated inputs per target.
const MUTATIONS: usize = 1500;

/// Bytes that matter to the parsers: brackets, quotes, markup, escapes, NUL, bad UTF-8, gzip magic.
const INTERESTING: &[u8] =
    b"()[]{}<>\"'&;:\\/\r\n\t \0\x1f\x8b\xff\xfe\xef\xbb\xbf-+*~^!?#%=0123456789";

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One to four random edits of a seed, sometimes spliced with another seed.
fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seeds[rng.below(seeds.len())].clone();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(7) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 => data.insert(at, INTERESTING[rng.below(INTERESTING.len())]),
            2 => data.truncate(at),
            3 if at < data.len() => {
                let end = (at + 1 + rng.below(64)).min(data.len());
                let piece = data[at..end].to_vec();
                let most = if rng.below(8) == 0 { 400 } else { 4 };
                let times = 1 + rng.below(most);
                for _ in 0..times {
                    data.splice(at..at, piece.iter().copied());
                }
            }
            4 => {
                let other = &seeds[rng.below(seeds.len())];
                let from = rng.below(other.len() + 1);
                data.splice(at..at, other[from..].iter().copied());
            }
            5 if at < data.len() => {
                let end = (at + 1 + rng.below(16)).min(data.len());
                data.drain(at..end);
            }
            _ => data.insert(at, rng.next() as u8),
        }
    }
    data
}

#[test]
fn every_fuzz_target_survives_its_seeds_and_mutations() {
    let seeds_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds");
    let mut rng = Rng(0x6e75_6e74_6975_7321);
    for (name, body) in bodies::TARGETS {
        let dir = seeds_root.join(name);
        let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("fuzz target {name} has no seed directory {dir:?}: {e}"))
            .map(|entry| std::fs::read(entry.expect("seed entry").path()).expect("seed file"))
            .collect();
        seeds.sort();
        assert!(!seeds.is_empty(), "fuzz target {name} has no seeds");
        for seed in &seeds {
            body(seed);
        }
        for _ in 0..MUTATIONS {
            body(&mutate(&mut rng, &seeds));
        }
    }
}
