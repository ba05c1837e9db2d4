//! `newsflow detect`: the langid transform on stdin, one JSON object per line.
//!
//! It builds the stage from the same `[langid]` settings the service reads
//! (`NEWSFLOW_CONFIG` file, then `NEWSFLOW__LANGID__*` variables) and calls
//! [`LangidStage::detect`], the service's own code path. That makes it the
//! accuracy harness as well: pipe a test set through it and compare.

use std::io::{BufRead, Write};

use anyhow::Context as _;
use newsflow_core::config::Settings;
use newsflow_core::contracts::Article;
use newsflow_langid::{LangidConfig, LangidStage};

/// Arguments of `newsflow detect`.
#[derive(Debug, clap::Args)]
pub struct DetectArgs {
    /// Read JSON articles (one per line) instead of plain text lines.
    #[arg(long)]
    json: bool,
}

/// Detects the language of each stdin line and prints the language fields.
///
/// A plain line is an article whose text is the line. A `--json` line that
/// is not an article prints `{"error": ...}` and the run goes on.
///
/// # Errors
/// When the settings are invalid, stdin cannot be read or stdout written.
pub fn run(args: &DetectArgs, settings: &Settings) -> anyhow::Result<()> {
    let stage = stage(settings)?;
    let stdin = std::io::stdin();
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    for (index, line) in stdin.lock().lines().enumerate() {
        let line = line.with_context(|| format!("reading stdin line {}", index + 1))?;
        let output = match article(&line, args.json) {
            Ok(article) => serde_json::to_value(stage.detect(&article).language)
                .context("serializing a language")?,
            Err(err) => serde_json::json!({"error": format!("line {}: {err}", index + 1)}),
        };
        writeln!(stdout, "{output}").context("writing stdout")?;
    }
    stdout.flush().context("writing stdout")
}

/// The langid stage with the service's settings.
fn stage(settings: &Settings) -> anyhow::Result<LangidStage> {
    let langid: LangidConfig = settings
        .section("langid")
        .context("reading the [langid] settings")?;
    LangidStage::new(&langid, settings.intake_limits()).context("building the language detector")
}

fn article(line: &str, json: bool) -> Result<Article, serde_json::Error> {
    if json {
        serde_json::from_str(line)
    } else {
        Ok(Article {
            text: Some(line.to_owned()),
            ..Article::default()
        })
    }
}
