//! newsflow-ner: trains the enrich stage's name tagger and measures it.
//!
//! `train` fits one language's weights on CoNLL-style files (see
//! `services/enrich/ner/README.md` for the public corpora and `train.sh`).
//! `eval` scores what the enrich stage finds (the shipped tagger and the
//! entity list together, exactly as `analyze` runs them) on the news NER
//! dev files in `../shared/data/ner/`, with exact-span precision, recall
//! and F1 per type and language (conlleval), next to the list alone.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use newsflow_core::contracts::EntityType;
use newsflow_enrich::entities::{EntityIndex, find_entities};
use newsflow_enrich::fold::Folded;
use newsflow_enrich::ner::conll::{self, Counts, Score};
use newsflow_enrich::ner::tagger::{self, LabelledSentence, TrainOptions, label_index};
use newsflow_enrich::summary;

/// Train and evaluate the enrich stage's named-entity tagger.
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train one language's model on CoNLL files (token<TAB>IOB2 tag).
    Train {
        /// Training files (never a dev or test split).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Where to write the model.
        #[arg(long)]
        out: PathBuf,
        /// Passes over the training data.
        #[arg(long, default_value_t = 10)]
        epochs: usize,
        /// Drop features whose largest averaged weight is below this.
        #[arg(long, default_value_t = 1.0)]
        prune_below: f32,
        /// Shuffle seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// A dev file to score the model on after training (gold tokens).
        #[arg(long)]
        dev: Option<PathBuf>,
    },
    /// Score entity detection on the dev files (language = the first two
    /// letters of each file name), with the shipped models.
    Eval {
        /// Folder of `<lang>-<corpus>-dev.conll` files.
        #[arg(long, default_value = "../shared/data/ner")]
        data: PathBuf,
        /// Only files whose name starts with one of these languages.
        #[arg(long, value_delimiter = ',')]
        lang: Vec<String>,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Train {
            files,
            out,
            epochs,
            prune_below,
            seed,
            dev,
        } => train(
            &files,
            &out,
            TrainOptions {
                epochs,
                seed,
                prune_below,
            },
            dev.as_deref(),
        ),
        Command::Eval { data, lang } => eval(&data, &lang),
    }
}

fn read_file(path: &Path, first_document: usize) -> anyhow::Result<Vec<LabelledSentence>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    conll::read(&text, first_document, 20).with_context(|| format!("parsing {}", path.display()))
}

fn train(
    files: &[PathBuf],
    out: &Path,
    options: TrainOptions,
    dev: Option<&Path>,
) -> anyhow::Result<()> {
    let mut data = Vec::new();
    for file in files {
        let first = data.last().map_or(0, |s: &LabelledSentence| s.document + 1);
        let read = read_file(file, first)?;
        eprintln!("{}: {} sentences", file.display(), read.len());
        data.extend(read);
    }
    let tokens: usize = data.iter().map(|s| s.tokens.len()).sum();
    eprintln!(
        "training on {} sentences, {tokens} tokens, {} epochs",
        data.len(),
        options.epochs
    );
    let started = Instant::now();
    let model = tagger::train(&data, options, |epoch, right, total| {
        eprintln!(
            "epoch {epoch}: {:.4} of tokens tagged right ({:.0?})",
            right as f64 / total.max(1) as f64,
            started.elapsed()
        );
    });
    let bytes = model.to_bytes();
    std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    eprintln!(
        "wrote {} ({} features, {} bytes)",
        out.display(),
        model.len(),
        bytes.len()
    );
    if let Some(dev) = dev {
        let sentences = read_file(dev, 0)?;
        let mut score = Score::default();
        for document in documents(&sentences) {
            let words: Vec<Vec<&str>> = document
                .iter()
                .map(|s| s.tokens.iter().map(String::as_str).collect())
                .collect();
            for (sentence, predicted) in document.iter().zip(model.tag_document(&words)) {
                score.add_sentence(&sentence.labels, &predicted);
            }
        }
        println!("{} (gold tokens):", dev.display());
        print_kinds(&score);
    }
    Ok(())
}

/// The sentences of each document, in order.
fn documents(sentences: &[LabelledSentence]) -> Vec<&[LabelledSentence]> {
    sentences
        .chunk_by(|a, b| a.document == b.document)
        .collect()
}

const HEADLINE: [&str; 3] = ["PER", "ORG", "LOC"];

fn print_kinds(score: &Score) {
    for kind in ["PER", "ORG", "LOC", "MISC"] {
        let c = score.of(kind);
        println!(
            "  {kind:<5} P {:.3}  R {:.3}  F1 {:.3}  (gold {}, found {})",
            c.precision(),
            c.recall(),
            c.f1(),
            c.tp + c.fn_,
            c.tp + c.fp
        );
    }
    let c = score.micro(&HEADLINE);
    println!(
        "  PER+ORG+LOC  P {:.3}  R {:.3}  F1 {:.3}",
        c.precision(),
        c.recall(),
        c.f1()
    );
}

/// What the enrich stage finds in a document, as labels of its gold tokens.
fn predict(
    document: &[LabelledSentence],
    lang: Option<&str>,
    index: &EntityIndex,
) -> Vec<Vec<usize>> {
    // The document as an article: tokens joined by spaces, a sentence a line.
    let mut text = String::new();
    let mut token_chars: Vec<(usize, usize)> = Vec::new();
    let mut chars = 0;
    for sentence in document {
        for (i, token) in sentence.tokens.iter().enumerate() {
            if i > 0 {
                text.push(' ');
                chars += 1;
            }
            let n = token.chars().count();
            token_chars.push((chars, chars + n));
            text.push_str(token);
            chars += n;
        }
        text.push('\n');
        chars += 1;
    }
    let folded = Folded::new(&text);
    let sentences = summary::sentences(&text);
    let entities = find_entities(&text, &folded, &sentences, lang, index);
    let mut labels = vec![0usize; token_chars.len()];
    let token_at = |c: usize| token_chars.partition_point(|&(_, end)| end <= c);
    for entity in &entities {
        let kind = match entity.kind {
            EntityType::Person => "PER",
            EntityType::Organization => "ORG",
            EntityType::Location => "LOC",
        };
        for m in &entity.mentions {
            let first = token_at(m.start);
            let last = token_at(m.end.saturating_sub(1)).min(labels.len().saturating_sub(1));
            if first >= labels.len() || last < first || labels[first..=last].iter().any(|&l| l != 0)
            {
                continue;
            }
            labels[first] = label_index(&format!("B-{kind}")).expect("label");
            for l in &mut labels[first + 1..=last] {
                *l = label_index(&format!("I-{kind}")).expect("label");
            }
        }
    }
    let mut out = Vec::new();
    let mut at = 0;
    for sentence in document {
        out.push(labels[at..at + sentence.tokens.len()].to_vec());
        at += sentence.tokens.len();
    }
    out
}

/// Spans found that overlap a gold span of the same kind, and gold spans overlapped.
#[derive(Debug, Default, Clone, Copy)]
struct Overlap {
    found: usize,
    found_overlapping: usize,
    gold: usize,
    gold_overlapped: usize,
}

impl Overlap {
    fn add(&mut self, gold: &[usize], predicted: &[usize]) {
        let gold = conll::spans(gold);
        let predicted = conll::spans(predicted);
        let overlaps = |a: &(usize, usize, usize), b: &(usize, usize, usize)| {
            a.0 == b.0 && a.0 != 4 && a.1 < b.2 && b.1 < a.2
        };
        let headline = |s: &&(usize, usize, usize)| s.0 != 4;
        self.found += predicted.iter().filter(headline).count();
        self.gold += gold.iter().filter(headline).count();
        self.found_overlapping += predicted
            .iter()
            .filter(|p| gold.iter().any(|g| overlaps(p, g)))
            .count();
        self.gold_overlapped += gold
            .iter()
            .filter(|g| predicted.iter().any(|p| overlaps(p, g)))
            .count();
    }

    fn f1(&self) -> f64 {
        let p = self.found_overlapping as f64 / self.found.max(1) as f64;
        let r = self.gold_overlapped as f64 / self.gold.max(1) as f64;
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn eval(data: &Path, languages: &[String]) -> anyhow::Result<()> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data)
        .with_context(|| {
            format!(
                "reading the NER dev folder {} (see its README.md)",
                data.display()
            )
        })?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "conll"))
        .filter(|p| {
            let name = file_name(p);
            languages.is_empty() || languages.iter().any(|l| name.starts_with(l.as_str()))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no .conll files in {}", data.display());
    }
    let index = EntityIndex::builtin();
    println!(
        "Entity-level exact-span scores (conlleval) of the enrich stage on {} (models for: {})",
        data.display(),
        newsflow_enrich::ner::languages().join(", ")
    );
    println!(
        "{:<34} {:>5} | {:>17} {:>17} {:>17} {:>17} | {:>6} {:>7} | {:>6}",
        "file",
        "lang",
        "PER P/R/F1",
        "ORG P/R/F1",
        "LOC P/R/F1",
        "MISC P/R/F1",
        "P+O+L",
        "overlap",
        "list"
    );
    let mut target = Score::default();
    let mut target_list = Score::default();
    let mut target_files = Vec::new();
    for file in &files {
        let name = file_name(file);
        let lang = &name[..2];
        let sentences = read_file(file, 0)?;
        let started = Instant::now();
        let mut score = Score::default();
        let mut list = Score::default();
        let mut overlap = Overlap::default();
        for document in documents(&sentences) {
            let predicted = predict(document, Some(lang), &index);
            let listed = predict(document, None, &index);
            for ((sentence, p), l) in document.iter().zip(&predicted).zip(&listed) {
                score.add_sentence(&sentence.labels, p);
                list.add_sentence(&sentence.labels, l);
                overlap.add(&sentence.labels, p);
            }
        }
        let cell = |c: Counts| format!("{:.2}/{:.2}/{:.2}", c.precision(), c.recall(), c.f1());
        println!(
            "{:<34} {:>5} | {:>17} {:>17} {:>17} {:>17} | {:>6.3} {:>7.3} | {:>6.3}   ({:.1?})",
            name,
            lang,
            cell(score.of("PER")),
            cell(score.of("ORG")),
            cell(score.of("LOC")),
            cell(score.of("MISC")),
            score.micro(&HEADLINE).f1(),
            overlap.f1(),
            list.micro(&HEADLINE).f1(),
            started.elapsed()
        );
        // The targets: en, de, es, nl, ar, ru (German: both full dev
        // sets; the GermEval news file is a subset of the full one).
        if ["en", "de", "es", "nl", "ar", "ru"].contains(&lang) && !name.contains("news") {
            target.merge(&score);
            target_list.merge(&list);
            target_files.push(name);
        }
    }
    println!();
    println!("Micro-average over {}:", target_files.join(", "));
    for (what, score) in [("tagger + list", &target), ("list alone", &target_list)] {
        let f = |k: &str| score.of(k).f1();
        println!(
            "  {what:<14} PER F1 {:.3}  ORG F1 {:.3}  LOC F1 {:.3}  PER+ORG+LOC F1 {:.3}",
            f("PER"),
            f("ORG"),
            f("LOC"),
            score.micro(&HEADLINE).f1()
        );
    }
    println!(
        "  targets        PER F1 0.80  ORG F1 0.60  LOC F1 0.75; no language below PER F1 0.65"
    );
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
