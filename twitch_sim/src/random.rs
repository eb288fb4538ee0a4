//! Deterministic pseudo-randomness: the same seed gives the same population
//! and the same traffic, without a random-number crate.

/// SplitMix64 of `seed` and `n`: a well-spread 64-bit value.
pub fn mix(seed: u64, n: u64) -> u64 {
    let mut z = seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A value in (0, 1], never 0 (so it can be raised to a negative power).
pub fn unit(seed: u64, n: u64) -> f64 {
    // The top 53 bits fit an f64 mantissa exactly.
    ((mix(seed, n) >> 11) + 1) as f64 / (1u64 << 53) as f64
}
