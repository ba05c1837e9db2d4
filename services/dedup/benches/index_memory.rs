//! Memory of the duplicate index at scale (`cargo bench -p newsflow-dedup --bench index_memory`).
//!
//! Fills one replica's in-memory index the way the fingerprint stream does,
//! with synthetic fingerprints (random sketches, 24-byte ids, 30 % copies:
//! half exact, half near), and prints the resident memory per article and
//! the apply rate at several sizes, then the memory a 7-day window of one
//! million articles a day would take. `INDEX_MEMORY_ARTICLES` sets the
//! largest size (default 2,000,000).

use std::time::Instant;

use newsflow_dedup::index::{DupIndex, IndexSettings};
use newsflow_dedup::sketch::{Fingerprint, HASHES, Sketch, SketchFamily};
use newsflow_dedup::{DEFAULT_CAPACITY, DEFAULT_THRESHOLD};

/// Resident memory of this process in bytes.
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("reading /proc/self/statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("statm has a resident field");
    pages * 4096
}

/// A deterministic generator (splitmix64).
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn random_sketch(seed: u64) -> Sketch {
    let mut state = seed;
    Sketch {
        family: SketchFamily::OnePermutation,
        shingles: 600,
        mins: std::array::from_fn(|_| {
            state = mix(state);
            state as u16
        }),
        lead: std::array::from_fn(|_| {
            state = mix(state);
            state as u16
        }),
    }
}

/// Article `i` (stream sequence `i + 1`): an original, or (30 %) a copy of
/// an earlier one, exact or with a fifth of its minima changed and linked to
/// it as the verifier would.
fn fingerprint(i: u64) -> Fingerprint {
    let h = mix(i ^ 0xFACE);
    let mut link = 0;
    let (exact, sketch) = if h % 100 < 30 && i > 1000 {
        let of = i - 1 - (h >> 8) % 1000;
        let mut sketch = random_sketch(of);
        if (h >> 40) & 1 == 0 {
            (of, sketch)
        } else {
            for (n, m) in sketch.mins.iter_mut().enumerate().take(HASHES) {
                if n % 5 == 0 {
                    *m = mix(i + n as u64) as u16;
                }
            }
            link = of + 1;
            (i, sketch)
        }
    } else {
        (i, random_sketch(i))
    };
    Fingerprint {
        source_seq: i + 1,
        id: format!("article-{i:016}"),
        exact: mix(exact),
        sketch,
        published_ms: 0,
        decided_at: i,
        link,
        link_similarity: if link == 0 { 0 } else { 900 },
    }
}

fn main() {
    let largest: u64 = std::env::var("INDEX_MEMORY_ARTICLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000_000);
    let mut index = DupIndex::new(IndexSettings {
        near: true,
        threshold: DEFAULT_THRESHOLD,
        window_ms: i64::MAX / 4,
        capacity: DEFAULT_CAPACITY,
    });
    let base = rss_bytes();
    println!("duplicate index memory (one replica, 24-byte ids, 30 % copies)");
    println!("  articles    near   exact   RSS MB  bytes/article  applies/s");
    let mut applied = 0u64;
    let mut checkpoint = 250_000u64;
    let mut per_article = 0.0;
    while applied < largest {
        let started = Instant::now();
        let target = checkpoint.min(largest);
        let batch = target - applied;
        while applied < target {
            index.apply(fingerprint(applied), applied + 1, 0);
            applied += 1;
        }
        let rate = batch as f64 / started.elapsed().as_secs_f64();
        let grown = rss_bytes().saturating_sub(base);
        per_article = grown as f64 / applied as f64;
        println!(
            "  {applied:>8} {:>7} {:>7} {:>8.0} {per_article:>14.0} {rate:>10.0}",
            index.members(),
            index.exact_keys(),
            grown as f64 / 1e6
        );
        checkpoint *= 2;
    }
    let week = 7_000_000.0;
    println!(
        "  a 7-day window of 1 million articles a day: about {:.1} GB per replica at {per_article:.0} bytes per article",
        week * per_article / 1e9
    );
}
