//! The cost of one merged dictionary scan against today's three (listed
//! entities, countries, categories), over the bench's articles: the
//! measurement behind a change not made yet (`ner/README.md`, session 24).
//!
//! Today each dictionary runs its own leftmost-longest automaton over the
//! folded text. Here the patterns of all three (their folded aliases, the
//! Arabic ones also without the article, as `GazetteerBuilder::add` makes
//! them; the country table without its stopwords) go into one automaton
//! that reports every match, overlapping ones too, and each dictionary's
//! leftmost-longest choice is replayed from the matches of its own
//! patterns: leftmost first, then longest, then the next one starting at or
//! after its end. It prints whether the replayed spans are the three scans'
//! spans, article by article, and the automata's heap sizes;
//! `three_scans` and `merged_scan` are counted under callgrind:
//!
//! `valgrind --tool=callgrind target/release/examples/scan_merge_cost LANG 10`
//!
//! (`LANG`: en or one of the bench's other languages, or `all`; the counts
//! are per 10 articles.)

#[path = "../benches/support/samples.rs"]
mod samples;

use std::collections::HashMap;

use daachorse::{
    CharwiseDoubleArrayAhoCorasick, CharwiseDoubleArrayAhoCorasickBuilder, DoubleArrayAhoCorasick,
    DoubleArrayAhoCorasickBuilder, MatchKind,
};
use newsflow_enrich::fold::{Folded, fold_str, is_arabic};

enum Leftmost {
    Bytes(DoubleArrayAhoCorasick<u32>),
    Chars(CharwiseDoubleArrayAhoCorasick<u32>),
}

impl Leftmost {
    fn build(patterns: &[String]) -> Self {
        let values = patterns
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_str(), i as u32));
        if patterns.len() <= 10_000 {
            Self::Bytes(
                DoubleArrayAhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build_with_values(values)
                    .unwrap(),
            )
        } else {
            Self::Chars(
                CharwiseDoubleArrayAhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build_with_values(values)
                    .unwrap(),
            )
        }
    }

    fn spans(&self, text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::with_capacity(text.len() / 16);
        match self {
            Self::Bytes(ac) => {
                for m in ac.leftmost_find_iter(text) {
                    out.push((m.start(), m.end()));
                }
            }
            Self::Chars(ac) => {
                for m in ac.leftmost_find_iter(text) {
                    out.push((m.start(), m.end()));
                }
            }
        }
        out
    }
}

fn add(patterns: &mut Vec<String>, alias: &str) {
    let alias = alias.strip_suffix('*').unwrap_or(alias);
    let folded = fold_str(alias);
    if folded.chars().count() < 2 {
        return;
    }
    if let Some(bare) = folded.strip_prefix("ال")
        && bare.chars().count() >= 3
        && bare.chars().next().is_some_and(is_arabic)
    {
        patterns.push(bare.to_string());
    }
    patterns.push(folded);
}

fn dictionaries() -> [Vec<String>; 3] {
    let mut entities = Vec::new();
    for def in newsflow_enrich::entities::parse_list(newsflow_enrich::entities::BUILTIN).unwrap() {
        for alias in &def.aliases {
            add(&mut entities, alias.trim_start_matches('='));
        }
    }
    let stopwords: std::collections::HashSet<String> = [
        "en", "fr", "de", "es", "it", "pt", "nl", "ru", "ar", "tr", "pl", "sv", "id", "fa",
    ]
    .iter()
    .filter_map(|lang| stop_words::lookup(lang))
    .flat_map(|words| words.iter().map(|w| fold_str(w)))
    .collect();
    let mut countries = Vec::new();
    for line in newsflow_enrich::countries::TABLE
        .lines()
        .filter(|l| !l.starts_with('#'))
    {
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() < 2 {
            continue;
        }
        if fields.get(3) != Some(&"exact") && stopwords.contains(&fold_str(fields[0])) {
            continue;
        }
        add(&mut countries, fields[0]);
    }
    let mut categories = Vec::new();
    for line in newsflow_enrich::categories::BUILTIN.lines() {
        let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
        if line.trim_start().starts_with('#') || fields.len() != 4 {
            continue;
        }
        for term in fields[3]
            .split('|')
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            if term.starts_with('@') {
                continue;
            }
            add(&mut categories, term);
            if term.chars().next().is_some_and(is_arabic) && !term.starts_with("ال") {
                add(&mut categories, &format!("ال{term}"));
            }
        }
    }
    for d in [&mut entities, &mut countries, &mut categories] {
        d.sort();
        d.dedup();
    }
    [entities, countries, categories]
}

struct Merged {
    ac: CharwiseDoubleArrayAhoCorasick<u32>,
    /// Dictionaries (bits 0, 1, 2) of each merged pattern.
    masks: Vec<u8>,
}

#[inline(never)]
fn three_scans(automata: &[Leftmost; 3], text: &str) -> [Vec<(usize, usize)>; 3] {
    [
        automata[0].spans(text),
        automata[1].spans(text),
        automata[2].spans(text),
    ]
}

#[inline(never)]
fn merged_scan(merged: &Merged, text: &str) -> [Vec<(usize, usize)>; 3] {
    let mut all: [Vec<(usize, usize)>; 3] = Default::default();
    for m in merged.ac.find_overlapping_iter(text) {
        let mask = merged.masks[m.value() as usize];
        for (d, spans) in all.iter_mut().enumerate() {
            if mask & (1 << d) != 0 {
                spans.push((m.start(), m.end()));
            }
        }
    }
    all.map(|mut spans| {
        // Leftmost, then longest; then greedy without overlaps.
        spans.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut chosen = Vec::with_capacity(spans.len());
        let mut from = 0;
        for (s, e) in spans {
            if s >= from {
                chosen.push((s, e));
                from = e;
            }
        }
        chosen
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let only = args.first().cloned().unwrap_or_else(|| "all".into());
    let count: usize = args.get(1).and_then(|c| c.parse().ok()).unwrap_or(10);
    let dicts = dictionaries();
    let automata = dicts.clone().map(|d| Leftmost::build(&d));
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut patterns: Vec<&str> = Vec::new();
    let mut masks: Vec<u8> = Vec::new();
    for (d, dict) in dicts.iter().enumerate() {
        for p in dict {
            let i = *index.entry(p.as_str()).or_insert_with(|| {
                patterns.push(p.as_str());
                masks.push(0);
                patterns.len() - 1
            });
            masks[i] |= 1 << d;
        }
    }
    let merged = Merged {
        ac: CharwiseDoubleArrayAhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build_with_values(patterns.iter().enumerate().map(|(i, p)| (*p, i as u32)))
            .unwrap(),
        masks,
    };
    let sizes: Vec<usize> = dicts.iter().map(Vec::len).collect();
    println!(
        "patterns {sizes:?}, merged {}; heap: merged {} B, three {} B",
        patterns.len(),
        merged.ac.heap_bytes(),
        automata
            .iter()
            .map(|a| match a {
                Leftmost::Bytes(ac) => ac.heap_bytes(),
                Leftmost::Chars(ac) => ac.heap_bytes(),
            })
            .sum::<usize>()
    );
    let mut languages = vec![("en", samples::ENGLISH)];
    languages.extend(samples::OTHER_LANGUAGES.iter().copied());
    for (lang, names) in languages {
        if only != "all" && only != lang {
            continue;
        }
        // The text as `enrich` folds it: cleaned, header taken off, tidied.
        let raw = newsflow_enrich::clean::clean_debris(&samples::article_of(names));
        let (_, body) = newsflow_enrich::header::split_header(&raw);
        let folded = Folded::new(&newsflow_core::text::tidy_lines(&body));
        let text = folded.text.as_str();
        let three = three_scans(&automata, text);
        let one = merged_scan(&merged, text);
        let overlapping = merged.ac.find_overlapping_iter(text).count();
        println!(
            "{lang}: leftmost {:?}, overlapping {overlapping}, same spans: {}",
            three.iter().map(Vec::len).collect::<Vec<_>>(),
            three == one
        );
        for _ in 0..count {
            std::hint::black_box(three_scans(&automata, std::hint::black_box(text)));
            std::hint::black_box(merged_scan(&merged, std::hint::black_box(text)));
        }
    }
}
