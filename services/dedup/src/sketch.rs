//! MinHash sketches of shingle sets, what they estimate, and their wire form.
//!
//! A sketch holds [`HASHES`] positions, each the top 16 bits of a minimum
//! over the article's shingles, plus the number of distinct shingles. The
//! fraction of equal positions in two sketches estimates their Jaccard
//! similarity; with both set sizes it also estimates containment (how much
//! of the smaller text is inside the larger), which is what a copy cut to
//! its first half or two thirds keeps high.
//!
//! The positions come from **one permutation with densification**
//! ([`SketchFamily::OnePermutation`], record version 5): each shingle is
//! hashed once, the hash's top bits choose one of the [`HASHES`] bins and
//! the bin keeps the minimum of the remaining bits (Li, Owen and Zhang,
//! "One permutation hashing", NIPS 2012). A text of fewer shingles than bins
//! leaves bins empty; each empty bin takes the value of the first non-empty
//! bin in a fixed random order of the bins of its own, the same for every
//! text (the "optimal densification" of Shrivastava, "Optimal densification
//! for fast and accurate minwise hashing", ICML 2017, with its probe
//! sequence drawn without repetition so that it ends within [`HASHES`]
//! probes). Two texts' empty bins then copy the same bin wherever that bin
//! is filled in both, so a position agrees with probability equal to the
//! Jaccard similarity, as with independent hash functions, at one hash per
//! shingle instead of one per shingle and function.
//!
//! Records of versions 3 and 4 hold sketches of 64 independent hash
//! functions ([`SketchFamily::IndependentMinHash`]). They are still read,
//! but their positions have nothing in common with a one-permutation
//! sketch's: [`Sketch::compare`] gives sketches of two families no
//! similarity and the index keeps their LSH bands apart
//! ([`crate::index`]), so only exact copies are found across the two.

use crate::shingle;

/// Positions (bins) per sketch. 64 gives a standard error of at most 0.0625
/// on the Jaccard estimate and keeps the record at 149 bytes plus the id.
pub const HASHES: usize = 64;
/// LSH bands, of [`ROWS`] positions each: two texts become candidates when all
/// the positions of one band agree. With 32 bands of 2 rows, a pair with
/// Jaccard 0.3 is a candidate with probability 0.95, one with 0.5 with 0.9999.
pub const BANDS: usize = 32;
pub const ROWS: usize = HASHES / BANDS;
/// Positions of the lead's sketch: its [`LEAD_BANDS`] bands of
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

/// Which hash functions made a sketch. Sketches of two families share no
/// function: their positions agree only by chance, so they are never
/// compared (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SketchFamily {
    /// One permutation with densification: what this version computes
    /// (record version 5).
    #[default]
    OnePermutation,
    /// 64 independent hash functions, the lead's the first 8 of them:
    /// records of versions 3 and 4, read and never computed.
    IndependentMinHash,
}

impl SketchFamily {
    /// Families as numbers from 0, for tables kept per family.
    pub const COUNT: usize = 2;

    pub fn index(self) -> usize {
        match self {
            Self::OnePermutation => 0,
            Self::IndependentMinHash => 1,
        }
    }
}

/// A MinHash sketch of one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sketch {
    /// The hash functions the minima come from.
    pub family: SketchFamily,
    /// Distinct shingles in the text (saturating).
    pub shingles: u32,
    /// Top 16 bits of the minimum of each bin over the shingles.
    pub mins: [u16; HASHES],
    /// The same, in [`LEAD_HASHES`] bins, over the shingles of the first
    /// [`shingle::LEAD_KEY_WORDS`] words: a text no longer than its lead
    /// has the sketch of all its shingles.
    pub lead: [u16; LEAD_HASHES],
}

/// Seed of the one permutation, fixed forever: sketches are stored in NATS
/// and compared across versions and replicas.
const PERMUTATION_SEED: u64 = 0x6F6E_6570_6572_6D35; // "oneperm5"

/// The splitmix64 finalizer: a cheap, well-mixing bijection on u64.
const fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// For each bin, the order in which an empty bin looks at the others for a
/// value to copy: a random permutation of the bins (Fisher-Yates on
/// splitmix64 from `seed`), fixed forever like the permutation.
const fn probe_orders<const N: usize>(seed: u64) -> [[u8; N]; N] {
    let mut orders = [[0u8; N]; N];
    let mut state = seed;
    let mut bin = 0;
    while bin < N {
        let mut i = 0;
        while i < N {
            orders[bin][i] = i as u8;
            i += 1;
        }
        let mut i = N - 1;
        while i > 0 {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let j = (mix(state) % (i as u64 + 1)) as usize;
            let swap = orders[bin][i];
            orders[bin][i] = orders[bin][j];
            orders[bin][j] = swap;
            i -= 1;
        }
        bin += 1;
    }
    orders
}

/// Probe orders of the text's bins and of the lead's. Statics, not consts:
/// a const array would be copied where it is used.
static TEXT_PROBES: [[u8; HASHES]; HASHES] = probe_orders::<HASHES>(0x7465_7874_7072_6F62); // "textprob"
static LEAD_PROBES: [[u8; LEAD_HASHES]; LEAD_HASHES] =
    probe_orders::<LEAD_HASHES>(0x6C65_6164_7072_6F62); // "leadprob"

/// The one-permutation sketch of `shingles` in `N` bins (a power of two),
/// densified through `probes`: the top 16 bits of each bin's minimum, every
/// bin `u16::MAX` when there are no shingles. Repeated shingles change
/// nothing.
fn one_permutation<const N: usize>(
    shingles: impl Iterator<Item = u64>,
    probes: &[[u8; N]; N],
) -> [u16; N] {
    let bin_bits = N.ilog2();
    // The bits below the bin's, shifted up: never all ones, so `EMPTY`
    // marks a bin no shingle reached.
    const EMPTY: u64 = u64::MAX;
    let mut bins = [EMPTY; N];
    for shingle in shingles {
        let hash = mix(shingle ^ PERMUTATION_SEED);
        let bin = &mut bins[(hash >> (64 - bin_bits)) as usize];
        *bin = (*bin).min(hash << bin_bits);
    }
    std::array::from_fn(|i| {
        let value = if bins[i] != EMPTY {
            bins[i]
        } else {
            probes[i]
                .iter()
                .map(|&j| bins[usize::from(j)])
                .find(|&value| value != EMPTY)
                .unwrap_or(EMPTY)
        };
        // The top bits of the minimum are the minimum of the top bits.
        (value >> 48) as u16
    })
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
    /// The sketch of no shingles ([`Sketch::EMPTY`]).
    fn default() -> Self {
        Self::EMPTY
    }
}

impl Sketch {
    /// The sketch of no shingles: every bin empty. A constant, as
    /// `Fingerprint::default()` makes one for every article and the
    /// densification of 64 empty bins probes all 64 of them for each (a
    /// twentieth of the stage's instructions).
    pub const EMPTY: Self = Self {
        family: SketchFamily::OnePermutation,
        shingles: 0,
        mins: [u16::MAX; HASHES],
        lead: [u16::MAX; LEAD_HASHES],
    };

    /// The sketch of a set of distinct shingle hashes and of the lead's
    /// shingle hashes.
    fn new(shingles: &[u64], lead: impl Iterator<Item = u64>) -> Self {
        Self {
            family: SketchFamily::OnePermutation,
            shingles: u32::try_from(shingles.len()).unwrap_or(u32::MAX),
            mins: one_permutation(shingles.iter().copied(), &TEXT_PROBES),
            lead: one_permutation(lead, &LEAD_PROBES),
        }
    }

    /// The sketch of a set of distinct shingle hashes, taken as its own lead.
    pub fn of_shingles(shingles: &[u64]) -> Self {
        Self::new(shingles, shingles.iter().copied())
    }

    /// The sketch of an analysed text, with its lead.
    pub fn of_analysis(analysis: &shingle::Analysis) -> Self {
        match analysis.lead_shingles() {
            Some(lead) => Self::new(&analysis.shingles, lead),
            None => Self::of_shingles(&analysis.shingles),
        }
    }

    /// The sketch of a text, through [`shingle::analyze`].
    pub fn of_text(text: &str) -> Self {
        Self::of_analysis(&shingle::analyze(text))
    }

    /// Whether the text is long enough to be compared for near-copies.
    pub fn comparable(&self) -> bool {
        self.shingles >= MIN_SHINGLES
    }

    /// The LSH key of each band: the text's, then the lead's. Keys of two
    /// families are not comparable (the index keeps them apart).
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

    /// Estimated similarity with another sketch: none with a sketch of
    /// another family, whose agreeing positions would be chance.
    pub fn compare(&self, other: &Sketch) -> Similarity {
        if self.family != other.family {
            return Similarity {
                jaccard: 0.0,
                containment: 0.0,
            };
        }
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

/// Version byte of the binary fingerprint record. Version 5 holds a
/// one-permutation sketch; versions 4 and 3 held independent MinHash
/// functions' ([`SketchFamily::IndependentMinHash`]), read as such: version
/// 4 added the lead's minima, and a record of version 3 (none) is read with
/// the first 8 of its text's as its lead. The layout is the same but for
/// version 3's missing lead. A version 4 dedup cannot read version 5
/// records: it logs and skips them (see `proto/README.md`).
const RECORD_VERSION: u8 = 5;
const RECORD_VERSION_INDEPENDENT: u8 = 4;
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
    /// The binary record: version (5, or 4 for a sketch of the old
    /// family), exact key, shingle count, the minima
    /// and the lead's minima (little-endian), then as LEB128 integers `source_seq`, the stated
    /// publication time in seconds (0: none), `decided_at`, and
    /// `decided_at - link + 1` (0: no link), followed by `link_similarity`
    /// (two bytes, only with a link), then the id in UTF-8: 157 bytes, 7 to
    /// 20 more, plus the id.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(RECORD_HEADER + 24 + self.id.len());
        out.push(match self.sketch.family {
            SketchFamily::OnePermutation => RECORD_VERSION,
            SketchFamily::IndependentMinHash => RECORD_VERSION_INDEPENDENT,
        });
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
        let (family, header) = match bytes.first() {
            Some(&RECORD_VERSION) => (SketchFamily::OnePermutation, RECORD_HEADER),
            Some(&RECORD_VERSION_INDEPENDENT) => (SketchFamily::IndependentMinHash, RECORD_HEADER),
            Some(&RECORD_VERSION_WITHOUT_LEAD) => {
                (SketchFamily::IndependentMinHash, RECORD_HEADER_WITHOUT_LEAD)
            }
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
                family,
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

    /// Values of the stored definition, computed once by this code.
    const PINNED_STORY_MINS: [u16; 8] = [12565, 24036, 18741, 47467, 29752, 43060, 24767, 33009];
    const PINNED_FIRST_PROBES: [u8; 8] = [17, 20, 13, 44, 33, 10, 27, 9];

    /// The stored definition, written out plainly: bin `b` holds the top
    /// 16 bits of the least `hash << 6` over the shingles whose
    /// `hash = splitmix64(shingle ^ PERMUTATION_SEED)` has `b` in its top 6
    /// bits; an empty bin takes the first filled bin of its probe order.
    fn by_definition(shingles: &[u64]) -> [u16; HASHES] {
        let hashes: Vec<u64> = shingles
            .iter()
            .map(|&s| mix(s ^ PERMUTATION_SEED))
            .collect();
        let filled = |bin: usize| {
            hashes
                .iter()
                .filter(|&&h| (h >> 58) as usize == bin)
                .map(|&h| h << 6)
                .min()
        };
        std::array::from_fn(|bin| {
            let min = filled(bin)
                .or_else(|| {
                    TEXT_PROBES[bin]
                        .iter()
                        .find_map(|&j| filled(usize::from(j)))
                })
                .unwrap();
            (min >> 48) as u16
        })
    }

    #[test]
    fn minima_are_those_of_the_stored_definition() {
        // Sketches are stored and compared across versions and replicas.
        let shingles = shingle::analyze(STORY).shingles;
        let sketch = Sketch::of_shingles(&shingles);
        assert_eq!(sketch.mins, by_definition(&shingles));
        // A short text leaves most bins empty: densified ones too.
        let short = &shingles[..30];
        assert_eq!(Sketch::of_shingles(short).mins, by_definition(short));
        // The constants themselves, fixed forever: the first bins of the
        // story and the first probe order's start.
        assert_eq!(sketch.mins[..8], PINNED_STORY_MINS);
        assert_eq!(TEXT_PROBES[0][..8], PINNED_FIRST_PROBES);
        for order in TEXT_PROBES.iter() {
            let mut seen = [false; HASHES];
            order.iter().for_each(|&j| seen[usize::from(j)] = true);
            assert!(seen.iter().all(|&s| s), "probe orders are permutations");
        }
    }

    #[test]
    fn no_shingles_leave_every_bin_empty() {
        let none = Sketch::of_shingles(&[]);
        assert_eq!(none.mins, [u16::MAX; HASHES]);
        assert_eq!(none.lead, [u16::MAX; LEAD_HASHES]);
        assert_eq!(Sketch::default(), none);
    }

    /// Random sets of `shared` common and `own` elements each.
    fn random_pair(trial: u64, shared: u64, own: u64) -> (Vec<u64>, Vec<u64>) {
        let element = |n: u64| mix(trial.wrapping_mul(0x1_0000_0001) ^ n);
        let a = (0..shared + own).map(element).collect();
        let b = (0..shared)
            .chain(shared + own..shared + 2 * own)
            .map(element)
            .collect();
        (a, b)
    }

    #[test]
    fn the_densified_estimate_is_unbiased_for_short_and_long_texts() {
        // Equal positions estimate Jaccard whether or not bins were empty:
        // 30 shingles fill about 24 of 64 bins, 600 fill them all. A
        // densification that copied a neighbour's value, or borrowed from
        // already densified bins, would be biased for the short sets.
        for (shared, own) in [(20, 10), (60, 20), (300, 150), (12, 24)] {
            let jaccard = shared as f64 / (shared + 2 * own) as f64;
            let trials = 2000;
            let (mut text, mut lead) = (0.0, 0.0);
            for trial in 0..trials {
                let (a, b) = random_pair(trial, shared, own);
                let (sa, sb) = (Sketch::of_shingles(&a), Sketch::of_shingles(&b));
                text += sa.compare(&sb).jaccard;
                let equal = sa.lead.iter().zip(&sb.lead).filter(|(x, y)| x == y).count();
                lead += equal as f64 / LEAD_HASHES as f64;
            }
            let (text, lead) = (text / trials as f64, lead / trials as f64);
            // Standard errors of the means: under 0.0025 and 0.0055.
            assert!(
                (text - jaccard).abs() < 0.01,
                "{shared}+{own}: {text} for {jaccard}"
            );
            assert!(
                (lead - jaccard).abs() < 0.02,
                "{shared}+{own}: lead {lead} for {jaccard}"
            );
        }
    }

    #[test]
    fn sketches_of_two_families_are_never_similar() {
        let new = Sketch::of_text(STORY);
        let old = Sketch {
            family: SketchFamily::IndependentMinHash,
            ..new.clone()
        };
        assert_eq!(new.compare(&new).jaccard, 1.0);
        assert_eq!(old.compare(&old).jaccard, 1.0);
        assert_eq!(new.compare(&old).score(), 0.0);
        assert_eq!(old.compare(&new).score(), 0.0);
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
    fn records_of_versions_3_and_4_are_read_as_the_old_family() {
        let long: String = (0..200).map(|i| format!("w{i} ")).collect();
        let fingerprint = Fingerprint {
            source_seq: 42,
            id: "wire-1".into(),
            sketch: Sketch::of_text(&long),
            ..Fingerprint::default()
        };
        let bytes = fingerprint.encode();
        assert_eq!(bytes[0], 5);
        // Version 4: the same layout, minima of the old hash functions.
        let mut old = bytes.clone();
        old[0] = 4;
        let read = Fingerprint::decode(&old).unwrap();
        assert_eq!(read.sketch.family, SketchFamily::IndependentMinHash);
        assert_eq!(
            (read.sketch.mins, read.sketch.lead),
            (fingerprint.sketch.mins, fingerprint.sketch.lead)
        );
        assert_eq!(
            read.encode(),
            old,
            "an old record is written back as it was"
        );
        // Version 3: without the lead's minima, the text's first 8 are its lead.
        let mut oldest = old;
        oldest.drain(RECORD_HEADER_WITHOUT_LEAD..RECORD_HEADER);
        oldest[0] = 3;
        let read = Fingerprint::decode(&oldest).unwrap();
        assert_eq!(read.sketch.family, SketchFamily::IndependentMinHash);
        assert_eq!(read.sketch.mins, fingerprint.sketch.mins);
        assert_eq!(read.sketch.lead[..], fingerprint.sketch.mins[..LEAD_HASHES]);
        assert_eq!((read.id.as_str(), read.source_seq), ("wire-1", 42));
        let mut unknown = bytes;
        unknown[0] = 6;
        assert!(Fingerprint::decode(&unknown).is_err());
    }

    #[test]
    fn a_text_no_longer_than_its_lead_is_its_own_lead() {
        let words: String = (0..200).map(|i| format!("w{i} ")).collect();
        let long = Sketch::of_text(&words);
        let lead: String = (0..80).map(|i| format!("w{i} ")).collect();
        let short = Sketch::of_text(&lead);
        assert_eq!(long.lead, short.lead);
        assert_ne!(long.mins, short.mins);
        let shingles = shingle::analyze(&lead).shingles;
        assert_eq!(short.lead, Sketch::of_shingles(&shingles).lead);
    }
}
