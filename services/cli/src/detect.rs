//! `newsflow detect`: the langid transform on stdin, one JSON object per line.

use std::io::{BufRead, Write};

use anyhow::Context as _;
use newsflow_core::contracts::Article;
use newsflow_langid::detect;

/// Arguments of `newsflow detect`.
#[derive(Debug, clap::Args)]
pub struct DetectArgs {
    /// Read JSON articles (one per line) instead of plain text lines.
    #[arg(long)]
    json: bool,
}

/// Detects the language of each stdin line and prints the language fields.
///
/// # Errors
/// When stdin cannot be read or stdout written.
pub fn run(args: &DetectArgs) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for (index, line) in stdin.lock().lines().enumerate() {
        let line = line.with_context(|| format!("reading stdin line {}", index + 1))?;
        let output = if args.json {
            match serde_json::from_str::<Article>(&line) {
                Ok(article) => {
                    let body = article.text.as_deref().unwrap_or_default();
                    serde_json::to_value(detect::detect_article(article.title.as_deref(), body))?
                }
                Err(err) => serde_json::json!({"error": format!("line {}: {err}", index + 1)}),
            }
        } else {
            serde_json::to_value(detect::detect_text(&line))?
        };
        writeln!(stdout, "{output}").context("writing stdout")?;
    }
    Ok(())
}
