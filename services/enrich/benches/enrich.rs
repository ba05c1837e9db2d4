//! Enrichment speed: prints CPU time per article for plain text (a 4.5 KB
//! English article, all features on; then the same size in other languages
//! and scripts), for a stream of real news articles per language, and the
//! extra time of HTML input (a typical news page).
//! Target: ≤ 250 µs per 4.5 KB text article in every language; HTML adds ≤ 2 ms.
//!
//! The name tagger keeps, per thread, the scores of word types it has seen
//! (news repeats its words). The 4.5 KB lines empty that cache before each
//! run (the cost of a thread's first article, the worst case); the stream
//! lines send each real article once, in order, as the service would
//! (mean over the stream, and the same scaled to 4.5 KB). The streams
//! read `../shared/data/news/` beside the checkout and are skipped without it.
//!
//! `cargo bench -p newsflow-enrich --bench enrich`. Times are the best of
//! several batches of wall-clock time on one thread, which on an idle core
//! is its CPU time; a busy machine only makes them worse.

#[path = "support/samples.rs"]
mod samples;

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use newsflow_core::contracts::{Article, StagedArticle};
use newsflow_core::html::HtmlLimits;
use newsflow_enrich::fold::Folded;
use newsflow_enrich::{
    Knowledge, categories, countries, dates, enrich, entities, keywords, numbers, quotes,
    staged_with_language, summary,
};
use samples::{OTHER_LANGUAGES, article_of};

fn staged(article: Article) -> StagedArticle {
    staged_with_language(article, "en")
}

/// Best per-iteration time over `batches` batches of `n` runs.
fn best_of(batches: usize, n: usize, mut f: impl FnMut()) -> Duration {
    (0..batches)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..n {
                f();
            }
            start.elapsed() / n as u32
        })
        .min()
        .expect("at least one batch")
}

/// A 4.5 KB English news article made of the project's English samples.
fn text_article() -> String {
    article_of(samples::ENGLISH)
}

/// Real news per language (file in `../shared/data/news/`, how many articles).
const NEWS_STREAMS: &[(&str, &str, usize)] = &[
    ("en", "masakhanews_en_fr.jsonl", 948),
    ("fr", "masakhanews_en_fr.jsonl", 422),
    ("ar", "saudinewsnet_ar.jsonl", 1_000),
];

/// The texts of the first `limit` articles in language `iso` of a news file
/// beside the checkout, if it is there.
fn real_news(file: &str, iso: &str, limit: usize) -> Option<Vec<String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/news")
        .join(file);
    let content = std::fs::read_to_string(path).ok()?;
    let texts: Vec<String> = content
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|v| v["lang"] == iso)
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .take(limit)
        .collect();
    (!texts.is_empty()).then_some(texts)
}

/// A typical news page: the article inside navigation, scripts, a cookie
/// banner, "most read" and footer blocks, about 60 KB in all.
fn html_page(body: &str) -> String {
    let mut page = String::from(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Allies pledge air defence | The Example Herald</title>
<link rel="canonical" href="https://herald.example/world/air-defence">
<meta property="og:site_name" content="The Example Herald"><meta property="article:published_time" content="2025-03-10T09:30:00Z">
<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle","headline":"Allies pledge air defence","author":{"@type":"Person","name":"Sam Okafor"},"datePublished":"2025-03-10T09:30:00Z"}</script>
"#,
    );
    // Real pages are mostly scripts and styles: the median news page is
    // about 115 KB, and this one about 150 KB.
    for i in 0..40 {
        let config = format!(
            "{{\"slot\": {i}, \"sizes\": [[300, 250], [728, 90]], \"if\": (i < n && x > 0)}}, "
        )
        .repeat(40);
        page.push_str(&format!("<script>window.analytics_{i} = {{id: {i}, events: ['view','scroll','click'], enabled: true, slots: [{config}]}};</script>\n<style>.c{i}{{margin:{i}px;padding:{i}px}}</style>\n"));
    }
    page.push_str("</head><body><header><nav><ul>");
    for i in 0..120 {
        page.push_str(&format!(
            "<li><a href=\"/section/{i}\">Section {i}</a></li>"
        ));
    }
    page.push_str("</ul></nav></header><div class=\"cookie-banner\">We use cookies to improve your experience. <button>Accept</button></div><main><article><h1>Allies pledge air defence</h1>");
    for paragraph in body.split('\n').filter(|p| !p.trim().is_empty()) {
        page.push_str(&format!("<p>{paragraph}</p>\n"));
    }
    page.push_str("</article><aside><h3>Most read</h3><ul>");
    for i in 0..60 {
        page.push_str(&format!("<li><a href=\"/story/{i}\"><img src=\"/img/{i}.jpg\" alt=\"\">Story number {i} that many people read today</a></li>"));
    }
    page.push_str("</ul></aside></main><footer>");
    for i in 0..80 {
        page.push_str(&format!("<a href=\"/about/{i}\">Footer link {i}</a> "));
    }
    page.push_str("<p>© 2025 The Example Herald</p></footer></body></html>");
    page
}

fn main() {
    let text = text_article();
    let article = Article {
        id: Some("bench".into()),
        text: Some(text.clone()),
        ..Default::default()
    };
    // The service builds the dictionaries at start; not part of the per-article cost.
    let warm = Instant::now();
    newsflow_enrich::warm_up();
    let startup = warm.elapsed();

    let per_text = best_of(7, 200, || {
        newsflow_enrich::ner::clear_type_cache();
        black_box(enrich(staged(black_box(article.clone()))));
    });
    let per_language: Vec<(&str, usize, Duration)> = OTHER_LANGUAGES
        .iter()
        .map(|&(iso, names)| {
            let article = Article {
                id: Some(format!("bench-{iso}")),
                text: Some(article_of(names)),
                ..Default::default()
            };
            let bytes = article.text.as_ref().map_or(0, String::len);
            let per = best_of(5, 100, || {
                newsflow_enrich::ner::clear_type_cache();
                black_box(enrich(staged_with_language(
                    black_box(article.clone()),
                    iso,
                )));
            });
            (iso, bytes, per)
        })
        .collect();
    let streams: Vec<(&str, usize, f64, Duration)> = NEWS_STREAMS
        .iter()
        .filter_map(|&(iso, file, limit)| {
            let texts = real_news(file, iso, limit)?;
            newsflow_enrich::ner::clear_type_cache();
            let bytes: usize = texts.iter().map(String::len).sum();
            let start = Instant::now();
            for (i, text) in texts.iter().enumerate() {
                let article = Article {
                    id: Some(format!("stream-{iso}-{i}")),
                    text: Some(text.clone()),
                    ..Default::default()
                };
                black_box(enrich(staged_with_language(article, iso)));
            }
            let per = start.elapsed() / texts.len() as u32;
            Some((iso, texts.len(), bytes as f64 / texts.len() as f64, per))
        })
        .collect();
    let page = html_page(&text);
    let html_article = Article {
        id: Some("bench-html".into()),
        html: Some(page.clone()),
        url: Some("https://herald.example/world/air-defence".into()),
        ..Default::default()
    };
    let per_html = best_of(5, 30, || {
        black_box(enrich(staged(black_box(html_article.clone()))));
    });
    let per_extract = best_of(5, 30, || {
        black_box(newsflow_core::html::extract(
            black_box(&page),
            None,
            &HtmlLimits::default(),
        ));
    });
    let record = enrich(staged(html_article));
    // Where the plain-text time goes.
    let k = Knowledge::builtin();
    let folded = Folded::new(&text);
    let found = entities::known_entities(&text, &folded, k.entities);
    let reference = chrono::Utc::now();
    let parts: Vec<(&str, Duration)> = vec![
        (
            "fold",
            best_of(5, 200, || {
                black_box(Folded::new(black_box(&text)));
            }),
        ),
        (
            "entities",
            best_of(5, 200, || {
                black_box(entities::known_entities(&text, &folded, k.entities));
            }),
        ),
        (
            "candidates",
            best_of(5, 200, || {
                black_box(entities::candidate_entities(&text, &folded, &found));
            }),
        ),
        (
            "names (en)",
            best_of(5, 200, || {
                newsflow_enrich::ner::clear_type_cache();
                let sentences = newsflow_enrich::summary::sentences(&text);
                black_box(newsflow_enrich::ner::names(
                    &text,
                    &sentences,
                    newsflow_enrich::ner::model_for("en").expect("an English model"),
                ));
            }),
        ),
        (
            "countries",
            best_of(5, 200, || {
                black_box(countries::countries(
                    &text,
                    &folded,
                    Some("en"),
                    k.countries,
                    200,
                    None,
                    &[],
                ));
            }),
        ),
        (
            "categories",
            best_of(5, 200, || {
                black_box(categories::categorize(&text, &folded, &found, k.rules));
            }),
        ),
        (
            "dates",
            best_of(5, 200, || {
                black_box(dates::dates_mentioned(&text, &folded, reference));
            }),
        ),
        (
            "quotes",
            best_of(5, 200, || {
                black_box(quotes::quotes(&text, &found));
            }),
        ),
        (
            "numbers",
            best_of(5, 200, || {
                black_box(numbers::numbers(&text, &folded));
            }),
        ),
        (
            "keywords",
            best_of(5, 200, || {
                black_box(keywords::keywords(&text, Some("en")));
            }),
        ),
        (
            "summary",
            best_of(5, 200, || {
                black_box(summary::summary(&text));
            }),
        ),
    ];
    println!("enrich bench (best of batches, one thread)");
    println!(
        "  warm-up (dictionaries, at start):    {:>9.1} ms",
        startup.as_secs_f64() * 1e3
    );
    println!(
        "  plain text, {:.1} KB, all features:   {:>9.1} µs/article  ({:.0} articles/s per core; target ≤ 250 µs)",
        text.len() as f64 / 1e3,
        per_text.as_secs_f64() * 1e6,
        1.0 / per_text.as_secs_f64()
    );
    for (iso, bytes, per) in &per_language {
        println!(
            "    {iso}, plain text, {:.1} KB:          {:>9.1} µs/article",
            *bytes as f64 / 1e3,
            per.as_secs_f64() * 1e6
        );
    }
    if streams.is_empty() {
        println!("  (no ../shared/data/news beside the checkout: real-news streams skipped)");
    }
    for (iso, n, mean_bytes, per) in &streams {
        let per_us = per.as_secs_f64() * 1e6;
        println!(
            "    {iso}, stream of {n} real articles (mean {:.1} KB): {per_us:>7.1} µs/article, {:>7.1} µs per 4.5 KB (target ≤ 250)",
            mean_bytes / 1e3,
            per_us * 4_500.0 / mean_bytes
        );
    }
    println!(
        "  HTML page, {:.1} KB, whole enrichment: {:>9.1} µs/article",
        page.len() as f64 / 1e3,
        per_html.as_secs_f64() * 1e6
    );
    println!(
        "  HTML extraction alone:               {:>9.1} µs/page     (target: ≤ 3000 µs for a 150 KB page)",
        per_extract.as_secs_f64() * 1e6
    );
    println!(
        "  HTML overhead over plain text:       {:>9.1} µs/page",
        (per_html.as_secs_f64() - per_text.as_secs_f64()) * 1e6
    );
    for (name, t) in &parts {
        println!("    {name:<12} {:>9.1} µs", t.as_secs_f64() * 1e6);
    }
    println!(
        "  (page gave {} words, {} entities, {} countries)",
        record.word_count,
        record.entities.len(),
        record.countries.len()
    );
}
