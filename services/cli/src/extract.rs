//! `newsflow extract`: the HTML extraction alone, page by page, without NATS.
//!
//! It reads JSON lines `{"id", "url", "html"}` and writes one JSON line
//! `{"id", "title", "published_at", "text"}` per page, so the extraction can
//! be measured against ground truth and against other extractors
//! (`deploy/eval/extraction/`). Everything that depends on where the
//! extraction lives is in [`extract_page`].

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use newsflow_core::html::HtmlLimits;
use serde::{Deserialize, Serialize};

/// Arguments of `newsflow extract`.
#[derive(Debug, clap::Args)]
pub struct ExtractArgs {
    /// JSON-lines files of pages `{"id", "url", "html"}`, or `-` for stdin.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// One input page.
#[derive(Debug, Deserialize)]
struct PageIn {
    id: String,
    #[serde(default)]
    url: Option<String>,
    html: String,
}

/// What the extraction found on one page.
#[derive(Debug, Serialize)]
struct PageOut {
    id: String,
    title: Option<String>,
    published_at: Option<String>,
    text: String,
}

/// Extracts every page of every input and prints one JSON line per page.
///
/// A malformed line or a page whose extraction fails is reported on stderr
/// with its file and line number; the others still go.
///
/// # Errors
/// When an input cannot be read or stdout written, or, at the end, when any
/// line or page failed.
pub fn run(args: &ExtractArgs) -> anyhow::Result<()> {
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut failed = 0usize;
    for path in &args.paths {
        let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            let file =
                std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
            Box::new(BufReader::new(file))
        };
        failed += extract_lines(path, reader, &mut stdout)?;
    }
    stdout.flush().context("writing stdout")?;
    if failed > 0 {
        anyhow::bail!("{failed} lines or pages could not be extracted");
    }
    Ok(())
}

/// Extracts the pages of one input; returns how many lines failed.
fn extract_lines(path: &Path, reader: impl BufRead, out: &mut impl Write) -> anyhow::Result<usize> {
    let name = if path.as_os_str() == "-" {
        "stdin".to_string()
    } else {
        path.display().to_string()
    };
    let mut failed = 0;
    for (index, line) in reader.lines().enumerate() {
        let number = index + 1;
        let line = line.with_context(|| format!("reading {name} line {number}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let page: PageIn = match serde_json::from_str(&line) {
            Ok(page) => page,
            Err(err) => {
                eprintln!("{name}:{number}: not a page {{\"id\", \"url\", \"html\"}}: {err}");
                failed += 1;
                continue;
            }
        };
        // A panic inside the HTML libraries must cost one page, not the run.
        let result = std::panic::catch_unwind(|| extract_page(&page.html, page.url.as_deref()));
        match result {
            Ok(Ok(fields)) => {
                let record = PageOut {
                    id: page.id,
                    title: fields.title,
                    published_at: fields.published_at,
                    text: fields.text,
                };
                serde_json::to_writer(&mut *out, &record).context("writing stdout")?;
                writeln!(out).context("writing stdout")?;
            }
            Ok(Err(err)) => {
                eprintln!(
                    "{name}:{number}: page {:?}: extraction failed: {err}",
                    page.id
                );
                failed += 1;
            }
            Err(_) => {
                eprintln!("{name}:{number}: page {:?}: extraction panicked", page.id);
                failed += 1;
            }
        }
    }
    Ok(failed)
}

/// The fields of one page that the evaluation scores.
struct Fields {
    title: Option<String>,
    published_at: Option<String>,
    text: String,
}

/// The pipeline's HTML extraction of one page: the headline, the publication
/// time enrich would take from the page, and the main text.
fn extract_page(html: &str, url: Option<&str>) -> anyhow::Result<Fields> {
    let page = newsflow_core::html::extract(html, url, &HtmlLimits::default());
    let published_at = newsflow_enrich::page_published(&page, None)
        .map(|(time, _)| newsflow_enrich::dates::format_timestamp(time));
    Ok(Fields {
        title: page.title,
        published_at,
        text: page.text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_on(input: &str) -> (String, usize) {
        let mut out = Vec::new();
        let failed = extract_lines(Path::new("pages.jsonl"), input.as_bytes(), &mut out).unwrap();
        (String::from_utf8(out).unwrap(), failed)
    }

    #[test]
    fn extracts_one_line_per_page_and_reports_malformed_lines() {
        let page = serde_json::json!({
            "id": "p1",
            "url": "https://example.org/a",
            "html": "<html><head><title>Storm closes port | Example News</title></head><body>\
                     <article><h1>Storm closes port</h1><p>The harbour authority closed the port on \
                     Tuesday after waves of six metres damaged the northern pier, officials said.</p>\
                     <p>Ferries to the islands were cancelled until further notice and freight was \
                     diverted to the southern terminal.</p></article></body></html>"
        });
        let input = format!("{page}\n{{not json\n\n");
        let (out, failed) = run_on(&input);
        assert_eq!(failed, 1);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 1);
        let record: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(record["id"], "p1");
        assert!(
            record["text"]
                .as_str()
                .unwrap()
                .contains("Ferries to the islands")
        );
        assert!(
            record["title"]
                .as_str()
                .unwrap()
                .contains("Storm closes port")
        );
    }

    #[test]
    fn a_line_without_html_is_an_error() {
        let (out, failed) = run_on(r#"{"id": "p2", "url": "https://example.org/b"}"#);
        assert_eq!(failed, 1);
        assert!(out.is_empty());
    }
}
