//! Accuracy and speed of newsflow's language detector next to raw whatlang,
//! in one run: `cargo bench -p newsflow-langid`.
//!
//! Reads the third-party test data in `../shared/data/` (lingua-rs test
//! sets, news corpora) and skips with a note when it is absent. Nothing here
//! feeds back into the detector: the sets are only scored.
//!
//! Speed is thread CPU time (from /proc/thread-self/schedstat, wall clock
//! where that is missing), the best of three passes, because the machine is
//! shared and wall time swings with other jobs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use newsflow_core::contracts::Article;
use newsflow_langid::{LangidConfig, LangidStage};
use whatlang::Lang;

/// The 20 news languages of the test sets, as (folder, whatlang language).
const LANGUAGES: &[(&str, Lang)] = &[
    ("en", Lang::Eng),
    ("fr", Lang::Fra),
    ("ar", Lang::Ara),
    ("de", Lang::Deu),
    ("es", Lang::Spa),
    ("it", Lang::Ita),
    ("pt", Lang::Por),
    ("ru", Lang::Rus),
    ("tr", Lang::Tur),
    ("fa", Lang::Pes),
    ("ur", Lang::Urd),
    ("zh", Lang::Cmn),
    ("ja", Lang::Jpn),
    ("ko", Lang::Kor),
    ("hi", Lang::Hin),
    ("id", Lang::Ind),
    ("nl", Lang::Nld),
    ("pl", Lang::Pol),
    ("uk", Lang::Ukr),
    ("he", Lang::Heb),
];

const PASSES: usize = 3;
const ARTICLE_BYTES: usize = 4096;
const ARTICLES: usize = 2000;

fn shared_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"))
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this with
    // no flag, and then only a smoke check is wanted, not minutes of timing.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("langid bench: run with `cargo bench -p newsflow-langid`");
        return;
    }
    let data = shared_dir().join("data");
    if !data.join("langid").is_dir() {
        println!(
            "langid bench: skipped, no test data at {}",
            data.join("langid").display()
        );
        return;
    }
    let newsflow = LangidStage::default();
    let without_fallback = LangidStage::new(
        &LangidConfig {
            fallback: false,
            ..LangidConfig::default()
        },
        Default::default(),
    )
    .expect("default settings without fallback are valid");
    println!(
        "newsflow detector: {} languages, fallback {}",
        newsflow.detector().allowlist().len(),
        if newsflow.detector().has_fallback() {
            "lingua (high accuracy, restricted to the allowlist)"
        } else {
            "not built in (cargo feature lingua-fallback off)"
        }
    );
    let detectors: Vec<(&str, Detect<'_>)> = vec![
        ("whatlang", Box::new(raw_whatlang)),
        (
            "newsflow, no fallback",
            Box::new(|text| scored(&without_fallback, text)),
        ),
        ("newsflow", Box::new(|text| scored(&newsflow, text))),
    ];
    let sets: Vec<SetResult> = ["sentences", "word-pairs"]
        .into_iter()
        .map(|set| run_set(&data.join("langid"), set, &detectors))
        .collect();
    print_accuracy(&sets, &detectors);
    print_speed(&sets, &detectors);
    print_reliability(&sets, &detectors);
    articles(&data.join("news"), &newsflow);
}

/// One detection as the bench scores it.
struct Scored {
    lang: Option<Lang>,
    reliable: bool,
    fallback: bool,
}

fn raw_whatlang(text: &str) -> Scored {
    let info = whatlang::detect(text);
    Scored {
        lang: info.as_ref().map(whatlang::Info::lang),
        reliable: info.is_some_and(|i| i.is_reliable()),
        fallback: false,
    }
}

fn scored(stage: &LangidStage, text: &str) -> Scored {
    let detection = stage.detector().detect_text(text);
    Scored {
        lang: Lang::from_code(&detection.language.code),
        reliable: detection.language.reliable,
        fallback: detection.fallback_ran,
    }
}

/// Per detector: per-language accuracy, speed, and reliability counts.
struct SetResult {
    name: &'static str,
    sizes: Vec<usize>,
    /// `[detector][language]` share correct.
    accuracy: Vec<Vec<f64>>,
    per_second: Vec<f64>,
    /// `[detector]` (reliable, reliable and right, fallback ran, total).
    reliability: Vec<(usize, usize, usize, usize)>,
}

/// A detector under test, by name.
type Detect<'a> = Box<dyn Fn(&str) -> Scored + 'a>;
type Detectors<'a> = [(&'a str, Detect<'a>)];

fn run_set(dir: &Path, set: &'static str, detectors: &Detectors<'_>) -> SetResult {
    let lines: Vec<Vec<String>> = LANGUAGES
        .iter()
        .map(|(folder, _)| {
            let path = dir.join(folder).join(format!("{set}.txt"));
            std::fs::read_to_string(&path)
                .unwrap_or_else(|err| panic!("reading {}: {err}", path.display()))
                .lines()
                .filter(|line| !line.trim().is_empty())
                .map(str::to_owned)
                .collect()
        })
        .collect();
    let total: usize = lines.iter().map(Vec::len).sum();
    let mut result = SetResult {
        name: set,
        sizes: lines.iter().map(Vec::len).collect(),
        accuracy: Vec::new(),
        per_second: Vec::new(),
        reliability: Vec::new(),
    };
    for (_, detect) in detectors {
        let mut accuracy = Vec::new();
        let mut counts = (0, 0, 0, total);
        let mut best = Duration::MAX;
        for pass in 0..PASSES {
            let clock = Clock::start();
            for ((_, expected), samples) in LANGUAGES.iter().zip(&lines) {
                let mut right = 0;
                for text in samples {
                    let s = detect(text);
                    let ok = s.lang == Some(*expected);
                    right += usize::from(ok);
                    if pass == 0 {
                        counts.0 += usize::from(s.reliable);
                        counts.1 += usize::from(s.reliable && ok);
                        counts.2 += usize::from(s.fallback);
                    }
                }
                if pass == 0 {
                    accuracy.push(right as f64 / samples.len() as f64);
                }
            }
            best = best.min(clock.elapsed());
        }
        result.accuracy.push(accuracy);
        result.per_second.push(total as f64 / best.as_secs_f64());
        result.reliability.push(counts);
    }
    result
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn print_accuracy(sets: &[SetResult], detectors: &Detectors<'_>) {
    println!("\n## Accuracy per language (%)\n");
    let mut header = String::from("| language |");
    let mut rule = String::from("|---|");
    for set in sets {
        header.push_str(&format!(" n {} |", set.name));
        rule.push_str("---:|");
        for (name, _) in detectors {
            header.push_str(&format!(" {name} |"));
            rule.push_str("---:|");
        }
    }
    println!("{header}\n{rule}");
    for (i, (folder, _)) in LANGUAGES.iter().enumerate() {
        let mut row = format!("| {folder} |");
        for set in sets {
            row.push_str(&format!(" {} |", set.sizes[i]));
            for accuracy in &set.accuracy {
                row.push_str(&format!(" {:.1} |", accuracy[i] * 100.0));
            }
        }
        println!("{row}");
    }
    let mut row = String::from("| **mean** |");
    for set in sets {
        row.push_str(" |");
        for accuracy in &set.accuracy {
            row.push_str(&format!(" **{:.2}** |", mean(accuracy) * 100.0));
        }
    }
    println!("{row}");
}

fn print_speed(sets: &[SetResult], detectors: &Detectors<'_>) {
    println!("\n## Detections per second, one thread (CPU time, best of {PASSES})\n");
    println!("| detector | {} |", names(sets).join(" | "));
    println!("|---|{}", "---:|".repeat(sets.len()));
    for (d, (name, _)) in detectors.iter().enumerate() {
        let cells: Vec<String> = sets
            .iter()
            .map(|set| format!("{:.0}", set.per_second[d]))
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    }
}

fn print_reliability(sets: &[SetResult], detectors: &Detectors<'_>) {
    println!("\n## Reliable flag and fallback use\n");
    println!("| set | detector | reliable (%) | right when reliable (%) | fallback ran (%) |");
    println!("|---|---|---:|---:|---:|");
    for set in sets {
        for (d, (name, _)) in detectors.iter().enumerate() {
            let (reliable, right, fallback, total) = set.reliability[d];
            println!(
                "| {} | {name} | {:.1} | {:.2} | {:.1} |",
                set.name,
                percent(reliable, total),
                percent(right, reliable),
                percent(fallback, total),
            );
        }
    }
}

fn names(sets: &[SetResult]) -> Vec<&'static str> {
    sets.iter().map(|set| set.name).collect()
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// A labelled news article.
struct NewsArticle {
    file: String,
    lang: String,
    article: Article,
}

fn read_news(dir: &Path) -> Vec<NewsArticle> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|err| panic!("reading {}: {err}", path.display()));
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        for (n, line) in text.lines().enumerate() {
            let article: Article = serde_json::from_str(line)
                .unwrap_or_else(|err| panic!("{file} line {}: {err}", n + 1));
            // The label travels in an unknown field, so the detector never
            // sees it as a hint.
            let lang = article.extra["lang"]
                .as_str()
                .unwrap_or_else(|| panic!("{file} line {}: no lang", n + 1))
                .to_owned();
            out.push(NewsArticle {
                file: file.clone(),
                lang,
                article,
            });
        }
    }
    out
}

fn articles(dir: &Path, stage: &LangidStage) {
    let news = read_news(dir);
    if news.is_empty() {
        println!("\nnews articles: skipped, no *.jsonl at {}", dir.display());
        return;
    }
    article_throughput(&news, stage);
    agreement(&news, stage);
}

/// The transform on articles of exactly 4 KB of text (news bodies repeated
/// or cut to size), with the record built as the service builds it.
fn article_throughput(news: &[NewsArticle], stage: &LangidStage) {
    let step = (news.len() / ARTICLES).max(1);
    let articles: Vec<Article> = news
        .iter()
        .step_by(step)
        .take(ARTICLES)
        .map(|n| {
            let body = n.article.text.as_deref().unwrap_or_default();
            let mut text = String::with_capacity(ARTICLE_BYTES + body.len());
            while text.len() < ARTICLE_BYTES && !body.is_empty() {
                text.push_str(body);
                text.push('\n');
            }
            let text = newsflow_langid::sample::prefix(&text, ARTICLE_BYTES).to_owned();
            Article {
                title: n.article.title.clone(),
                text: Some(text),
                ..Article::default()
            }
        })
        .collect();
    let mut best = Duration::MAX;
    let mut raw_best = Duration::MAX;
    for _ in 0..PASSES {
        let clock = Clock::start();
        for article in &articles {
            let staged = stage.stage_article(article.clone(), 1, String::new());
            std::hint::black_box(staged.expect("bench articles are long enough"));
        }
        best = best.min(clock.elapsed());
        let clock = Clock::start();
        for article in &articles {
            let text = article.text.as_deref().unwrap_or_default();
            std::hint::black_box(whatlang::detect(text));
        }
        raw_best = raw_best.min(clock.elapsed());
    }
    println!(
        "\n## Articles of 4 KB, one thread (CPU time, best of {PASSES}, {} articles)\n",
        articles.len()
    );
    println!("| detector | articles/s |\n|---|---:|");
    println!(
        "| whatlang on the whole 4 KB | {:.0} |",
        articles.len() as f64 / raw_best.as_secs_f64()
    );
    println!(
        "| newsflow transform (stage_article) | {:.0} |",
        articles.len() as f64 / best.as_secs_f64()
    );
}

/// Agreement with each news file's `lang` label, whole articles, no hints.
fn agreement(news: &[NewsArticle], stage: &LangidStage) {
    println!("\n## Agreement with the `lang` label of the news corpora (%)\n");
    println!("| file | articles | whatlang (title + 2 KB) | newsflow |\n|---|---:|---:|---:|");
    let mut files: Vec<&str> = news.iter().map(|n| n.file.as_str()).collect();
    files.dedup();
    let mut misses = Vec::new();
    let (mut total, mut raw_total, mut count) = (0, 0, 0);
    for file in files {
        let (mut right, mut raw_right, mut n) = (0, 0, 0);
        for item in news.iter().filter(|n| n.file == file) {
            let language = stage.detect(&item.article).language;
            if language.iso639_1.as_deref() == Some(item.lang.as_str()) {
                right += 1;
            } else {
                misses.push((item, language));
            }
            let title = item.article.title.as_deref().unwrap_or_default();
            let body = item.article.text.as_deref().unwrap_or_default();
            let raw = format!("{title}\n{}", newsflow_langid::sample::prefix(body, 2048));
            let raw_lang = whatlang::detect(&raw).map(|i| i.lang());
            raw_right += usize::from(
                raw_lang.and_then(newsflow_langid::codes::iso639_1) == Some(item.lang.as_str()),
            );
            n += 1;
        }
        println!(
            "| {file} | {n} | {:.2} | {:.2} |",
            percent(raw_right, n),
            percent(right, n)
        );
        total += right;
        raw_total += raw_right;
        count += n;
    }
    println!(
        "| **all** | {count} | **{:.3}** | **{:.3}** |",
        percent(raw_total, count),
        percent(total, count)
    );
    println!("\nnewsflow disagreements ({}):", misses.len());
    for (item, language) in misses.iter().take(12) {
        let title: String = item
            .article
            .title
            .as_deref()
            .unwrap_or_default()
            .chars()
            .take(60)
            .collect();
        println!(
            "- {} label {} got {} ({}, confidence {}): {title}",
            item.article.id.as_deref().unwrap_or("?"),
            item.lang,
            language.code,
            language.method,
            language.confidence
        );
    }
}

/// Thread CPU time where the kernel exposes it, wall time otherwise.
enum Clock {
    Cpu(u64),
    Wall(Instant),
}

impl Clock {
    fn start() -> Self {
        match thread_cpu_nanos() {
            Some(ns) => Self::Cpu(ns),
            None => Self::Wall(Instant::now()),
        }
    }

    fn elapsed(&self) -> Duration {
        match self {
            Self::Cpu(start) => {
                Duration::from_nanos(thread_cpu_nanos().unwrap_or(*start).saturating_sub(*start))
            }
            Self::Wall(start) => start.elapsed(),
        }
    }
}

/// Nanoseconds this thread has run, the first field of its schedstat.
fn thread_cpu_nanos() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
