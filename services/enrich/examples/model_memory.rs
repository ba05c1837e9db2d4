//! What the name tagger's models cost in resident memory: prints the
//! process's resident set (heap and other anonymous memory apart from the
//! mapped binary, where the shipped weights live) at start, after the
//! dictionaries are built, and after each language's model is read.
//!
//! `cargo run --release -p newsflow-enrich --example model_memory [LANG...]`
//! (default: the languages of the pipeline benchmark's articles, then the
//! rest). Linux only (reads `/proc/self/status`).

/// `VmRSS`, `RssAnon` and `RssFile` of this process, in MB.
fn resident() -> (f64, f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("RssAnon:"), field("RssFile:"))
}

fn report(step: &str) {
    let (total, anonymous, file) = resident();
    println!(
        "{step:<28} RSS {total:>7.1} MB  (anonymous {anonymous:>7.1} MB, file {file:>6.1} MB)"
    );
}

fn main() {
    let asked: Vec<String> = std::env::args().skip(1).collect();
    let mut languages: Vec<&str> = if asked.is_empty() {
        vec!["en", "fr", "es", "de", "ru", "ar"]
    } else {
        asked.iter().map(String::as_str).collect()
    };
    if asked.is_empty() {
        for lang in newsflow_enrich::ner::languages() {
            if !languages.contains(&lang) {
                languages.push(lang);
            }
        }
    }
    report("start");
    newsflow_enrich::warm_up();
    report("after warm-up");
    for lang in languages {
        let features = newsflow_enrich::ner::model_for(lang).map_or(0, |m| m.len());
        report(&format!("+ {lang} model ({features} features)"));
    }
}
