//! MinHash sketches of shingle sets, what they estimate, and their wire form.
//!
//! A sketch keeps, for each of [`HASHES`] independent hash functions, the top
//! 16 bits of the smallest hash over the article's shingles, plus the number
//! of distinct shingles. The fraction of equal positions in two sketches
//! estimates their Jaccard similarity; with both set sizes it also estimates
//! containment (how much of the smaller text is inside the larger), which is
//! what a copy cut to its first half or two thirds keeps high.

use crate::shingle;

/// Hash functions per sketch. 64 gives a standard error of at most 0.0625 on
/// the Jaccard estimate and keeps the record at 149 bytes plus the id.
pub const HASHES: usize = 64;
/// LSH bands, of [`ROWS`] positions each: two texts become candidates when all
/// the positions of one band agree. With 32 bands of 2 rows, a pair with
/// Jaccard 0.3 is a candidate with probability 0.95, one with 0.5 with 0.9999.
pub const BANDS: usize = 32;
pub const ROWS: usize = HASHES / BANDS;
/// Hash functions of the lead's sketch: its [`LEAD_BANDS`] bands of
/// [`ROWS`] are a second LSH key. A copy cut to a part of a long story
/// shares too small a part of the long text's shingles for the bands
/// above (Jaccard 0.15 hits in half of the pairs), while the two leads
/// share much of theirs. 8 keeps the record under 300 bytes with a
/// 64-byte id.
pub const LEAD_HASHES: usize = 8;
pub const LEAD_BANDS: usize = LEAD_HASHES / ROWS;
/// Bands of both keys, as the index holds them: the text's, then the lead's.
pub const ALL_BANDS: usize = BANDS + LEAD_BANDS;

/// Below this estimated Jaccard similarity containment is not trusted: a
/// few chance agreements between a short and a long text would otherwise
/// estimate a high containment.
pub const CONTAINMENT_FLOOR: f64 = 0.25;

/// Texts with fewer distinct shingles than this are compared exactly only:
/// a caption or a one-sentence teaser says too little to call two texts
/// near-copies. Matches [`crate::verify::MIN_WORDS`] (30 words make 27
/// shingles of 4).
pub const MIN_SHINGLES: u32 = 27;

/// A MinHash sketch of one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sketch {
    /// Distinct shingles in the text (saturating).
    pub shingles: u32,
    /// Top 16 bits of the minimum of each hash function over the shingles.
    pub mins: [u16; HASHES],
    /// The same over the shingles of the first [`shingle::LEAD_KEY_WORDS`]
    /// words, for the first [`LEAD_HASHES`] functions: a text no longer
    /// than its lead has the first of `mins`.
    pub lead: [u16; LEAD_HASHES],
}

/// Seeds of the hash functions, fixed forever: sketches are stored in NATS
/// and compared across versions and replicas. A static, not a const: the
/// loop over them would copy a const array's 512 bytes for every shingle.
static SEEDS: [u64; HASHES] = {
    let mut seeds = [0u64; HASHES];
    let mut state: u64 = 0x6E65_7773_666C_6F77; // "newsflow"
    let mut i = 0;
    while i < HASHES {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        seeds[i] = mix(state);
        i += 1;
    }
    seeds
};

/// Odd multiplier of the per-function permutation.
const MULTIPLIER: u64 = 0x9FB2_1C65_1E98_DF25;

/// The splitmix64 finalizer: a cheap, well-mixing bijection on u64.
const fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Similarity estimates between two sketches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    /// Estimated Jaccard similarity of the shingle sets.
    pub jaccard: f64,
    /// Estimated share of the smaller set found in the larger one.
    pub containment: f64,
}

impl Similarity {
    /// The figure compared with the threshold: the larger of Jaccard and
    /// containment, containment counting only once Jaccard passes
    /// [`CONTAINMENT_FLOOR`].
    pub fn score(&self) -> f64 {
        if self.jaccard >= CONTAINMENT_FLOOR {
            self.jaccard.max(self.containment)
        } else {
            self.jaccard
        }
    }
}

impl Default for Sketch {
    fn default() -> Self {
        Self::of_shingles(&[])
    }
}

/// Top 16 bits of the minimum of the first `N` hash functions over the shingles.
fn minima<const N: usize>(shingles: &[u64]) -> [u16; N] {
    let mut mins = [u16::MAX; N];
    for (min, &seed) in mins.iter_mut().zip(&SEEDS) {
        // Shingle hashes are already uniform (xxh3), so one multiply per
        // function permutes them well enough. One function at a time over
        // all shingles keeps its minimum in a register: twice as fast as all
        // functions per shingle, which the compiler turned into SSE2 code
        // emulating 64-bit multiplies and compares.
        let lowest = shingles.iter().fold(u64::MAX, |lowest, &shingle| {
            lowest.min((shingle ^ seed).wrapping_mul(MULTIPLIER))
        });
        // The top bits of the minimum are the minimum of the top bits.
        *min = (lowest >> 48) as u16;
    }
    mins
}

impl Sketch {
    /// The sketch of a set of shingle hashes, taken as its own lead.
    pub fn of_shingles(shingles: &[u64]) -> Self {
        let mins = minima::<HASHES>(shingles);
        Self {
            shingles: u32::try_from(shingles.len()).unwrap_or(u32::MAX),
            mins,
            lead: std::array::from_fn(|i| mins[i]),
        }
    }

    /// The sketch of an analysed text, with its lead.
    pub fn of_analysis(analysis: &shingle::Analysis) -> Self {
        let mut sketch = Self::of_shingles(&analysis.shingles);
        if analysis.words.compared.len() > shingle::LEAD_KEY_WORDS {
            sketch.lead = minima::<LEAD_HASHES>(&analysis.lead_shingles());
        }
        sketch
    }

    /// The sketch of a text, through [`shingle::analyze`].
    pub fn of_text(text: &str) -> Self {
        Self::of_analysis(&shingle::analyze(text))
    }

    /// Whether the text is long enough to be compared for near-copies.
    pub fn comparable(&self) -> bool {
        self.shingles >= MIN_SHINGLES
    }

    /// The LSH key of each band: the text's, then the lead's.
    pub fn band_keys(&self) -> [u32; ALL_BANDS] {
        std::array::from_fn(|band| {
            let rows = if band < BANDS {
                &self.mins[band * ROWS..(band + 1) * ROWS]
            } else {
                let band = band - BANDS;
                &self.lead[band * ROWS..(band + 1) * ROWS]
            };
            rows.iter().fold(0u32, |key, &m| (key << 16) | u32::from(m))
        })
    }

    /// Estimated similarity with another sketch.
    pub fn compare(&self, other: &Sketch) -> Similarity {
        let equal = self
            .mins
            .iter()
            .zip(&other.mins)
            .filter(|(a, b)| a == b)
            .count();
        let jaccard = equal as f64 / HASHES as f64;
        let (a, b) = (f64::from(self.shingles), f64::from(other.shingles));
        // |A ∩ B| = J (|A| + |B|) / (1 + J)
        let intersection = jaccard * (a + b) / (1.0 + jaccard);
        let smaller = a.min(b).max(1.0);
        Similarity {
            jaccard,
            containment: (intersection / smaller).min(1.0),
        }
    }
}

/// One entry of the fingerprint stream: who, which input message, what
/// text, and what its replica's verifier decided.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fingerprint {
    /// Sequence of the article in `NEWS_RAW`: names the input message, and
    /// orders publication (the earlier of two copies is the original).
    pub source_seq: u64,
    /// Publication time the article states (Unix milliseconds), 0 when it
    /// states none: when both copies state one, it decides which is earlier.
    pub published_ms: i64,
    /// Article id, reported as `duplicate_of` / `cluster_id`.
    pub id: String,
    /// Exact-copy key: a hash of the normalized words (see [`shingle::Analysis::exact`]).
    pub exact: u64,
    pub sketch: Sketch,
    /// The last stream sequence the appending replica's index had applied
    /// when it verified the candidates: candidates stored after it were not
    /// seen, and make the verdict stale (see [`crate::index`]).
    pub decided_at: u64,
    /// Stream sequence of the candidate the verifier found this text a copy
    /// of, 0 for none.
    pub link: u64,
    /// The verifier's similarity with `link`, in thousandths.
    pub link_similarity: u16,
}

/// Version byte of the binary fingerprint record. Version 4 added the
/// lead's minima; a record of version 3 (none) is read with its text as
/// its own lead.
const RECORD_VERSION: u8 = 4;
const RECORD_VERSION_WITHOUT_LEAD: u8 = 3;
/// Bytes of the fixed part, before the variable-length integers and the id.
pub const RECORD_HEADER: usize = RECORD_HEADER_WITHOUT_LEAD + 2 * LEAD_HASHES;
const RECORD_HEADER_WITHOUT_LEAD: usize = 1 + 8 + 4 + 2 * HASHES;

/// A fingerprint record that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("fingerprint record of {len} bytes cannot be read: {reason}")]
pub struct RecordError {
    pub len: usize,
    pub reason: &'static str,
}

/// LEB128: seven bits a byte, low first. Sequences stay small for years
/// (3 bytes up to 2 million, 4 up to 268 million), which keeps the record
/// at about the size it had before it carried the verifier's choice.
fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn take_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

impl Fingerprint {
    /// The binary record: version, exact key, shingle count, the minima
    /// and the lead's minima (little-endian), then as LEB128 integers `source_seq`, the stated
    /// publication time in seconds (0: none), `decided_at`, and
    /// `decided_at - link + 1` (0: no link), followed by `link_similarity`
    /// (two bytes, only with a link), then the id in UTF-8: 157 bytes, 7 to
    /// 20 more, plus the id.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(RECORD_HEADER + 24 + self.id.len());
        out.push(RECORD_VERSION);
        out.extend_from_slice(&self.exact.to_le_bytes());
        out.extend_from_slice(&self.sketch.shingles.to_le_bytes());
        for m in self.sketch.mins.iter().chain(&self.sketch.lead) {
            out.extend_from_slice(&m.to_le_bytes());
        }
        put_varint(&mut out, self.source_seq);
        put_varint(
            &mut out,
            u64::try_from(self.published_ms / 1000).unwrap_or(0),
        );
        put_varint(&mut out, self.decided_at);
        if self.link == 0 {
            put_varint(&mut out, 0);
        } else {
            // A link is a candidate the replica had applied: never after decided_at.
            put_varint(&mut out, self.decided_at.saturating_sub(self.link) + 1);
            out.extend_from_slice(&self.link_similarity.to_le_bytes());
        }
        out.extend_from_slice(self.id.as_bytes());
        out
    }

    /// Reads a record written by [`Fingerprint::encode`].
    ///
    /// # Errors
    /// When the record is short, of another version, or the id is not UTF-8.
    pub fn decode(bytes: &[u8]) -> Result<Self, RecordError> {
        let err = |reason| RecordError {
            len: bytes.len(),
            reason,
        };
        let header = match bytes.first() {
            Some(&RECORD_VERSION) => RECORD_HEADER,
            Some(&RECORD_VERSION_WITHOUT_LEAD) => RECORD_HEADER_WITHOUT_LEAD,
            Some(_) => return Err(err("unknown record version")),
            None => return Err(err("shorter than the fixed header")),
        };
        if bytes.len() < header {
            return Err(err("shorter than the fixed header"));
        }
        let exact = u64::from_le_bytes(bytes[1..9].try_into().expect("8 bytes"));
        let shingles = u32::from_le_bytes(bytes[9..13].try_into().expect("4 bytes"));
        let mut mins = [0u16; HASHES];
        for (i, m) in mins.iter_mut().enumerate() {
            let at = 13 + 2 * i;
            *m = u16::from_le_bytes([bytes[at], bytes[at + 1]]);
        }
        let mut lead: [u16; LEAD_HASHES] = std::array::from_fn(|i| mins[i]);
        if header == RECORD_HEADER {
            for (i, m) in lead.iter_mut().enumerate() {
                let at = RECORD_HEADER_WITHOUT_LEAD + 2 * i;
                *m = u16::from_le_bytes([bytes[at], bytes[at + 1]]);
            }
        }
        let mut at = header;
        let mut next = || take_varint(bytes, &mut at).ok_or_else(|| err("truncated integer"));
        let source_seq = next()?;
        let published_s = next()?;
        let decided_at = next()?;
        let link_delta = next()?;
        let (link, link_similarity) = if link_delta == 0 {
            (0, 0)
        } else {
            let similarity = bytes
                .get(at..at + 2)
                .ok_or_else(|| err("truncated link similarity"))?;
            at += 2;
            (
                (decided_at + 1).saturating_sub(link_delta),
                u16::from_le_bytes([similarity[0], similarity[1]]),
            )
        };
        let id = std::str::from_utf8(&bytes[at..])
            .map_err(|_| err("id is not UTF-8"))?
            .to_string();
        Ok(Self {
            source_seq,
            published_ms: i64::try_from(published_s).unwrap_or(0) * 1000,
            id,
            exact,
            sketch: Sketch {
                shingles,
                mins,
                lead,
            },
            decided_at,
            link,
            link_similarity,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORY: &str = "The central bank raised its main interest rate by half a point on Tuesday, \
        the third increase this year, saying inflation was still far above its target. \
        The governor told reporters that further rises could not be ruled out if prices \
        kept climbing through the summer. Markets had expected a smaller move, and the \
        currency rose sharply against the dollar after the announcement. Economists said \
        the decision showed the bank was willing to risk slower growth to bring prices down.";

    #[test]
    fn minima_are_those_of_the_stored_definition() {
        // Sketches are stored and compared across versions: each minimum is
        // the top 16 bits of min over shingles of (shingle ^ seed) * MULTIPLIER
        // with the seeds drawn from splitmix64 of "newsflow".
        let shingles = shingle::analyze(STORY).shingles;
        let sketch = Sketch::of_shingles(&shingles);
        let mut state: u64 = 0x6E65_7773_666C_6F77;
        for (i, &stored) in sketch.mins.iter().enumerate() {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let seed = mix(state);
            let min = shingles
                .iter()
                .map(|&s| (s ^ seed).wrapping_mul(MULTIPLIER))
                .min()
                .unwrap();
            assert_eq!(stored, (min >> 48) as u16, "function {i}");
        }
    }

    #[test]
    fn identical_texts_have_identical_sketches() {
        let a = Sketch::of_text(STORY);
        assert!(a.comparable());
        let similarity = a.compare(&Sketch::of_text(&STORY.to_uppercase()));
        assert_eq!(similarity.jaccard, 1.0);
        assert_eq!(similarity.score(), 1.0);
    }

    #[test]
    fn a_copy_cut_to_its_first_half_is_highly_contained() {
        let half = &STORY[..STORY.len() / 2];
        let similarity = Sketch::of_text(STORY).compare(&Sketch::of_text(half));
        assert!(similarity.jaccard < 0.7, "{similarity:?}");
        assert!(similarity.containment > 0.8, "{similarity:?}");
    }

    #[test]
    fn unrelated_texts_score_low() {
        let other = "Heavy rain flooded several villages in the north overnight, and rescue \
            teams used boats to reach families stranded on rooftops. The weather service \
            warned that more storms were expected before the weekend and asked residents \
            to stay away from rivers. Schools in the region will remain closed on Friday.";
        let similarity = Sketch::of_text(STORY).compare(&Sketch::of_text(other));
        assert!(similarity.score() < 0.2, "{similarity:?}");
    }

    #[test]
    fn records_round_trip() {
        let fingerprint = Fingerprint {
            source_seq: 42,
            published_ms: 0,
            id: "wire-٥".into(),
            exact: 0xDEAD_BEEF_0123_4567,
            sketch: Sketch::of_text(STORY),
            decided_at: 41,
            link: 7,
            link_similarity: 875,
        };
        let bytes = fingerprint.encode();
        // 42, 0 seconds, 41, 41 - 7 + 1 = 35: one byte each, then two of similarity.
        assert_eq!(bytes.len(), RECORD_HEADER + 4 + 2 + "wire-٥".len());
        assert_eq!(Fingerprint::decode(&bytes).unwrap(), fingerprint);
        assert!(Fingerprint::decode(&bytes[..10]).is_err());
        assert!(Fingerprint::decode(&bytes[..RECORD_HEADER + 2]).is_err());
        // Large sequences and a stated time, no link.
        let unlinked = Fingerprint {
            source_seq: 7_000_000_123,
            published_ms: 1_764_374_400_000,
            decided_at: 6_999_999_999,
            link: 0,
            link_similarity: 0,
            ..fingerprint
        };
        assert_eq!(Fingerprint::decode(&unlinked.encode()).unwrap(), unlinked);
    }

    #[test]
    fn records_of_version_3_are_read_with_the_text_as_its_own_lead() {
        let long: String = (0..200).map(|i| format!("w{i} ")).collect();
        let fingerprint = Fingerprint {
            source_seq: 42,
            id: "wire-1".into(),
            sketch: Sketch::of_text(&long),
            ..Fingerprint::default()
        };
        assert_ne!(
            fingerprint.sketch.lead[..],
            fingerprint.sketch.mins[..LEAD_HASHES]
        );
        // Version 3: the same record without the lead's minima.
        let mut bytes = fingerprint.encode();
        bytes.drain(RECORD_HEADER_WITHOUT_LEAD..RECORD_HEADER);
        bytes[0] = 3;
        let read = Fingerprint::decode(&bytes).unwrap();
        assert_eq!(read.sketch.mins, fingerprint.sketch.mins);
        assert_eq!(read.sketch.lead[..], fingerprint.sketch.mins[..LEAD_HASHES]);
        assert_eq!((read.id.as_str(), read.source_seq), ("wire-1", 42));
    }

    #[test]
    fn a_text_no_longer_than_its_lead_is_its_own_lead() {
        let short = Sketch::of_text(STORY);
        assert_eq!(short.lead[..], short.mins[..LEAD_HASHES]);
        let words: String = (0..200).map(|i| format!("w{i} ")).collect();
        let long = Sketch::of_text(&words);
        assert_ne!(long.lead[..], long.mins[..LEAD_HASHES]);
        let lead: String = (0..80).map(|i| format!("w{i} ")).collect();
        assert_eq!(long.lead[..], Sketch::of_text(&lead).mins[..LEAD_HASHES]);
    }
}
