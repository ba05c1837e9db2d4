//! Runs the country finder over news in JSON Lines (`text` field and, when
//! given, `lang`, one article a line) and prints every distinct name found with its country,
//! its count and one context, rarest first: the list to read when checking
//! precision on real text.
//!
//! `cargo run -p newsflow-enrich --example countries_scan -- FILE.jsonl [MAX_ARTICLES]`

use std::collections::BTreeMap;
use std::io::BufRead;

use newsflow_enrich::countries::{COUNTRIES, countries};
use newsflow_enrich::fold::Folded;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: countries_scan FILE.jsonl [MAX]"))?;
    let max: usize = args.next().map_or(Ok(300), |m| m.parse())?;
    let file = std::io::BufReader::new(std::fs::File::open(&path)?);
    // (code, name) -> (count, first context)
    let mut seen: BTreeMap<(String, String), (usize, String)> = BTreeMap::new();
    let mut articles = 0;
    for line in file.lines().take(max) {
        let record: serde_json::Value = serde_json::from_str(&line?)?;
        let Some(text) = record.get("text").and_then(|t| t.as_str()) else {
            continue;
        };
        articles += 1;
        let lang = record.get("lang").and_then(|l| l.as_str());
        let folded = Folded::new(text);
        for country in countries(text, &folded, lang, &COUNTRIES, 0, None, &[]) {
            for name in country.names {
                let entry = seen
                    .entry((country.code.clone(), name.clone()))
                    .or_insert_with(|| (0, context(text, &name)));
                entry.0 += country.count.min(1);
            }
        }
    }
    let mut rows: Vec<_> = seen.into_iter().collect();
    rows.sort_by_key(|(_, (count, _))| *count);
    println!("{articles} articles, {} distinct names", rows.len());
    for ((code, name), (count, context)) in rows {
        println!("{count:>4} {code} {name:<24} | {context}");
    }
    Ok(())
}

/// Up to 50 characters either side of the first `name` in `text`.
fn context(text: &str, name: &str) -> String {
    let Some(at) = text.find(name) else {
        return String::new();
    };
    let before: String = text[..at]
        .chars()
        .rev()
        .take(50)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let after: String = text[at + name.len()..].chars().take(50).collect();
    format!("{before}[{name}]{after}").replace('\n', " ")
}
