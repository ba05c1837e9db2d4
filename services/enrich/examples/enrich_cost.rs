//! Enriches the bench's 4.5 KB article of one language `COUNT` times, each
//! as a thread's first article (the tagger's word-type cache emptied), as
//! `cargo bench --bench enrich` does: the harness for counting its
//! instructions, which a busy machine does not disturb:
//!
//! `valgrind --tool=callgrind --toggle-collect='*timed_pass*' target/release/examples/enrich_cost en 20`
//!
//! then divide the total by `COUNT`. It prints the wall-clock time per
//! article: the mean, the fastest and the median of the articles each timed
//! alone (under load, the fastest is the one to compare).

#[path = "../benches/support/samples.rs"]
mod samples;

use newsflow_core::contracts::Article;

/// The articles counted (a function of its own so that callgrind can count
/// it alone: `--toggle-collect=*timed_pass*`).
#[inline(never)]
fn timed_pass(article: &Article, iso: &str, count: usize) {
    for _ in 0..count {
        newsflow_enrich::ner::clear_type_cache();
        std::hint::black_box(newsflow_enrich::enrich(
            newsflow_enrich::staged_with_language(article.clone(), iso),
        ));
    }
}

fn main() -> anyhow::Result<()> {
    let usage = "usage: enrich_cost LANG COUNT (LANG: en or one of the bench's other languages)";
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [iso, count] = args.as_slice() else {
        anyhow::bail!("{usage}");
    };
    let count: usize = count.parse()?;
    let names = if iso == "en" {
        samples::ENGLISH
    } else {
        samples::OTHER_LANGUAGES
            .iter()
            .find(|(lang, _)| lang == iso)
            .map(|(_, names)| *names)
            .ok_or_else(|| anyhow::anyhow!("no bench article in {iso}; {usage}"))?
    };
    let article = Article {
        id: Some(format!("bench-{iso}")),
        text: Some(samples::article_of(names)),
        ..Default::default()
    };
    newsflow_enrich::warm_up();
    // Once outside the count: the lazy states of this language's patterns and model.
    warm_once(&article, iso);
    // Each article timed alone: on a shared machine the fastest and the
    // median of single articles say more than the mean, which every
    // descheduling of the process inflates.
    let mut times: Vec<f64> = (0..count)
        .map(|_| {
            let start = std::time::Instant::now();
            timed_pass(&article, iso, 1);
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    if let (Some(fastest), Some(median)) = (times.first(), times.get(count / 2)) {
        println!(
            "{iso}: {:.1} µs/article over {count} (wall clock; fastest {fastest:.1}, median {median:.1})",
            times.iter().sum::<f64>() / count as f64
        );
    }
    Ok(())
}

fn warm_once(article: &Article, iso: &str) {
    std::hint::black_box(newsflow_enrich::enrich(
        newsflow_enrich::staged_with_language(article.clone(), iso),
    ));
}
