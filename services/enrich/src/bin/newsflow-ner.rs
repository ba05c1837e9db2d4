//! newsflow-ner: trains the enrich stage's name tagger and measures it.
//!
//! `train` fits one language's weights on CoNLL-style files (see
//! `services/enrich/ner/README.md` for the public corpora and `train.sh`).
//! `eval` scores what the enrich stage finds (the shipped tagger and the
//! entity list together, exactly as `analyze` runs them) on the news NER
//! dev files in `../shared/data/ner/`, with exact-span precision, recall
//! and F1 per type and language (conlleval), next to the list alone.

use std::path::{Path, PathBuf};

/// `println!` that ends the program quietly when the reader has gone
/// (`newsflow-ner articles --verbose | head`) instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(err) = writeln!(std::io::stdout().lock(), $($arg)*) {
            if err.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
            panic!("writing to stdout: {err}");
        }
    }};
}
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
        /// Learn from the kind a word was tagged earlier in its document
        /// (documents are shuffled whole).
        #[arg(long)]
        document_memory: bool,
        /// Learn from whether a word and the words beside it are known
        /// first names or surnames (`data/person_names.tsv`).
        #[arg(long)]
        name_list: bool,
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
        /// Also print every error of this kind (PER, ORG or LOC): names
        /// found that are not in the gold file (`extra`) and gold names not
        /// found exactly (`missed`), each with its sentence.
        #[arg(long, value_parser = ["PER", "ORG", "LOC"])]
        errors: Option<String>,
    },
    /// Print the entities, quotes and countries the enrich stage finds in a text read
    /// from stdin (one article), as JSON.
    Tag {
        /// Language of the text (ISO 639-1).
        #[arg(long)]
        lang: String,
    },
    /// Score quote speakers and countries on real articles annotated by
    /// reading (`services/enrich/eval/articles/annotations.jsonl`), each
    /// article enriched as the service would with its language given.
    Articles {
        /// The annotations.
        #[arg(
            long,
            default_value = "services/enrich/eval/articles/annotations.jsonl"
        )]
        annotations: PathBuf,
        /// Folder of the news files the annotations name.
        #[arg(long, default_value = "../shared/data/news")]
        news: PathBuf,
        /// Print each quote whose speaker is wrong or missing, and each
        /// country error, of the dev split (the test split is for checking only).
        #[arg(long)]
        verbose: bool,
        /// Only the articles of this annotation round (1, 2, 3, …: the
        /// fifth column of `choose_articles.py`; round-1 lines carry no
        /// `round` field), so that a new round can be scored on its own.
        #[arg(long)]
        round: Option<u32>,
        /// Only one half of the dev split (the test split is left out): the
        /// dev articles of each language in the annotations' order, the 1st,
        /// 3rd, 5th, … being half `a` and the others half `b`. Rules are
        /// chosen on one half's errors and checked on the other.
        #[arg(long, value_parser = ["a", "b"])]
        half: Option<String>,
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
            document_memory,
            name_list,
            dev,
        } => train(
            &files,
            &out,
            TrainOptions {
                epochs,
                seed,
                prune_below,
                document_memory,
                name_list,
            },
            dev.as_deref(),
        ),
        Command::Eval { data, lang, errors } => eval(&data, &lang, errors.as_deref()),
        Command::Tag { lang } => tag(&lang),
        Command::Articles {
            annotations,
            news,
            verbose,
            round,
            half,
        } => articles::score(&annotations, &news, verbose, round, half.as_deref()),
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
        let started = Instant::now();
        let tokens: usize = sentences.iter().map(|s| s.tokens.len()).sum();
        for document in documents(&sentences) {
            let words: Vec<Vec<&str>> = document
                .iter()
                .map(|s| s.tokens.iter().map(String::as_str).collect())
                .collect();
            for (sentence, predicted) in document.iter().zip(model.tag_document(&words)) {
                score.add_sentence(&sentence.labels, &predicted);
            }
        }
        let elapsed = started.elapsed();
        say!(
            "{} (gold tokens; {tokens} tokens tagged in {elapsed:.1?}, {:.0} ns a token):",
            dev.display(),
            elapsed.as_nanos() as f64 / tokens.max(1) as f64
        );
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
        say!(
            "  {kind:<5} P {:.3}  R {:.3}  F1 {:.3}  (gold {}, found {})",
            c.precision(),
            c.recall(),
            c.f1(),
            c.tp + c.fn_,
            c.tp + c.fp
        );
    }
    let c = score.micro(&HEADLINE);
    say!(
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

/// Prints the names of kind `kind` that `predicted` and `gold` disagree on
/// in one sentence.
fn print_errors(kind: &str, sentence: &LabelledSentence, predicted: &[usize]) {
    let kind = tagger::KINDS
        .iter()
        .position(|k| *k == kind)
        .expect("a kind");
    let of_kind = |labels: &[usize]| -> Vec<(usize, usize)> {
        conll::spans(labels)
            .into_iter()
            .filter(|s| s.0 == kind)
            .map(|s| (s.1, s.2))
            .collect()
    };
    let (gold, found) = (of_kind(&sentence.labels), of_kind(predicted));
    let words = |(a, b): (usize, usize)| sentence.tokens[a..b].join(" ");
    for (what, spans, other) in [("extra", &found, &gold), ("missed", &gold, &found)] {
        for span in spans.iter().filter(|s| !other.contains(s)) {
            say!(
                "  {what:<6} {:<30} | {}",
                words(*span),
                sentence.tokens.join(" ")
            );
        }
    }
}

fn eval(data: &Path, languages: &[String], errors: Option<&str>) -> anyhow::Result<()> {
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
    say!(
        "Entity-level exact-span scores (conlleval) of the enrich stage on {} (models for: {})",
        data.display(),
        newsflow_enrich::ner::languages().join(", ")
    );
    say!(
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
                if let Some(kind) = errors {
                    print_errors(kind, sentence, p);
                }
                score.add_sentence(&sentence.labels, p);
                list.add_sentence(&sentence.labels, l);
                overlap.add(&sentence.labels, p);
            }
        }
        let cell = |c: Counts| format!("{:.2}/{:.2}/{:.2}", c.precision(), c.recall(), c.f1());
        say!(
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
    say!();
    say!("Micro-average over {}:", target_files.join(", "));
    for (what, score) in [("tagger + list", &target), ("list alone", &target_list)] {
        let f = |k: &str| score.of(k).f1();
        say!(
            "  {what:<14} PER F1 {:.3}  ORG F1 {:.3}  LOC F1 {:.3}  PER+ORG+LOC F1 {:.3}",
            f("PER"),
            f("ORG"),
            f("LOC"),
            score.micro(&HEADLINE).f1()
        );
    }
    say!("  targets        PER F1 0.80  ORG F1 0.60  LOC F1 0.75; no language below PER F1 0.65");
    Ok(())
}

mod articles {
    //! Quote speakers and countries against annotations made by reading.

    use std::collections::{BTreeMap, HashMap};
    use std::path::Path;

    use anyhow::Context;
    use newsflow_core::contracts::{Article, Language, STAGED_SCHEMA_VERSION, StagedArticle};
    use newsflow_enrich::fold::fold_str;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Annotated {
        file: String,
        id: String,
        lang: String,
        split: String,
        countries: Vec<String>,
        quotes: Vec<AnnotatedQuote>,
        /// Absent on the lines of the first round.
        #[serde(default)]
        round: Option<u32>,
    }

    impl Annotated {
        fn round(&self) -> u32 {
            self.round.unwrap_or(1)
        }
    }

    #[derive(Deserialize)]
    struct AnnotatedQuote {
        start: String,
        speaker: Option<String>,
    }

    #[derive(Deserialize)]
    struct NewsArticle {
        id: String,
        title: Option<String>,
        text: String,
    }

    #[derive(Default)]
    struct Tally {
        articles: usize,
        named_quotes: usize,
        quotes_found: usize,
        speakers_right: usize,
        /// Articles with a named speaker, and the sum of their shares of
        /// speakers right (one article with many quotations, a speech, does
        /// not outweigh the others).
        articles_with_speakers: usize,
        article_shares: f64,
        countries_gold: usize,
        countries_found: usize,
        countries_right: usize,
    }

    fn collapse(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Whether a found speaker names the annotated one: the same name, or
    /// one a shorter form of the other (`Retailleau`, `Bruno Retailleau`).
    fn same_speaker(found: &str, gold: &str) -> bool {
        let (f, g) = (fold_str(found), fold_str(gold));
        f == g || g.ends_with(&format!(" {f}")) || f.ends_with(&format!(" {g}"))
    }

    pub fn score(
        annotations: &Path,
        news: &Path,
        verbose: bool,
        round: Option<u32>,
        half: Option<&str>,
    ) -> anyhow::Result<()> {
        let text = std::fs::read_to_string(annotations)
            .with_context(|| format!("reading {}", annotations.display()))?;
        let annotated: Vec<Annotated> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(n, l)| {
                serde_json::from_str(l)
                    .with_context(|| format!("{} line {}", annotations.display(), n + 1))
            })
            .collect::<anyhow::Result<_>>()?;
        // Each dev article's half, by its place among its language's dev
        // articles in the file (before any other filter, so that a half
        // stays the same whatever else is chosen).
        let mut dev_seen: HashMap<String, usize> = HashMap::new();
        let halves: Vec<Option<&str>> = annotated
            .iter()
            .map(|a| {
                (a.split == "dev").then(|| {
                    let n = dev_seen.entry(a.lang.clone()).or_default();
                    *n += 1;
                    if *n % 2 == 1 { "a" } else { "b" }
                })
            })
            .collect();
        let annotated: Vec<Annotated> = annotated
            .into_iter()
            .zip(halves)
            .filter(|(_, h)| half.is_none_or(|wanted| *h == Some(wanted)))
            .map(|(a, _)| a)
            .filter(|a| round.is_none_or(|r| a.round() == r))
            .collect();
        if let Some(r) = round {
            if annotated.is_empty() {
                anyhow::bail!(
                    "no annotated article of round {r} in {}",
                    annotations.display()
                );
            }
            say!("round {r} only: {} articles", annotated.len());
        }
        if let Some(h) = half {
            say!("dev half {h} only: {} articles", annotated.len());
        }
        let mut articles: HashMap<(String, String), NewsArticle> = HashMap::new();
        for file in annotated
            .iter()
            .map(|a| a.file.clone())
            .collect::<std::collections::BTreeSet<_>>()
        {
            let path = news.join(&file);
            let body = std::fs::read_to_string(&path).with_context(|| {
                format!("reading {} (see its folder's README.md)", path.display())
            })?;
            for (n, line) in body.lines().enumerate() {
                let article: NewsArticle = serde_json::from_str(line)
                    .with_context(|| format!("{} line {}", path.display(), n + 1))?;
                articles.insert((file.clone(), article.id.clone()), article);
            }
        }
        let mut tallies: BTreeMap<(String, String), Tally> = BTreeMap::new();
        for a in &annotated {
            let article = articles
                .get(&(a.file.clone(), a.id.clone()))
                .with_context(|| format!("article {} not in {}", a.id, a.file))?;
            let record = newsflow_enrich::enrich(StagedArticle {
                schema_version: STAGED_SCHEMA_VERSION,
                article: Article {
                    id: Some(a.id.clone()),
                    title: article.title.clone(),
                    text: Some(article.text.clone()),
                    ..Default::default()
                },
                source_seq: 0,
                received_at: "2024-01-01T00:00:00Z".into(),
                language: Some(Language {
                    code: a.lang.clone(),
                    iso639_1: Some(a.lang.clone()),
                    script: None,
                    confidence: 1.0,
                    reliable: true,
                    method: "given".into(),
                }),
                dedup: None,
                page: None,
                pipeline: Vec::new(),
            });
            for key in [
                (a.lang.clone(), a.split.clone()),
                ("all".into(), a.split.clone()),
            ] {
                let t = tallies.entry(key).or_default();
                t.articles += 1;
            }
            // A linked speaker goes by its canonical name (`World Health
            // Organization` in a French text); the article may name it
            // otherwise (`Organisation mondiale de la santé`): any of its
            // mentions there names it too.
            let speaker_names = |q: &newsflow_core::contracts::Quote| -> Vec<String> {
                let mut names: Vec<String> = q.speaker.iter().cloned().collect();
                if let Some(id) = &q.speaker_id {
                    for e in record.entities.iter().filter(|e| e.id.as_ref() == Some(id)) {
                        names.extend(e.mentions.iter().map(|m| m.text.clone()));
                    }
                }
                names
            };
            let found_quotes: Vec<(String, Option<String>, Vec<String>)> = record
                .quotes
                .iter()
                .chain(&record.title_quotes)
                .map(|q| (collapse(&q.text), q.speaker.clone(), speaker_names(q)))
                .collect();
            let mut named = 0;
            let mut found = 0;
            let mut right = 0;
            for q in a.quotes.iter() {
                let Some(gold) = &q.speaker else { continue };
                named += 1;
                let start = collapse(&q.start);
                let hit = found_quotes.iter().find(|(text, _, _)| {
                    text.starts_with(&start) || start.starts_with(text.as_str())
                });
                match hit {
                    Some((_, _, names)) if names.iter().any(|n| same_speaker(n, gold)) => {
                        found += 1;
                        right += 1;
                    }
                    Some((_, speaker, _)) => {
                        found += 1;
                        if verbose && a.split == "dev" {
                            say!(
                                "{} {}: «{}» speaker {:?}, annotated {gold:?}",
                                a.lang,
                                a.id,
                                q.start,
                                speaker
                            );
                        }
                    }
                    None => {
                        if verbose && a.split == "dev" {
                            say!(
                                "{} {}: «{}» not found as a quotation (annotated {gold:?})",
                                a.lang,
                                a.id,
                                q.start
                            );
                        }
                    }
                }
            }
            let found_codes: Vec<&str> = record.countries.iter().map(|c| c.code.as_str()).collect();
            let gold_codes: Vec<&str> = a.countries.iter().map(String::as_str).collect();
            let right_codes = found_codes
                .iter()
                .filter(|c| gold_codes.contains(c))
                .count();
            if verbose && a.split == "dev" {
                let spurious: Vec<&&str> = found_codes
                    .iter()
                    .filter(|c| !gold_codes.contains(c))
                    .collect();
                let missed: Vec<&&str> = gold_codes
                    .iter()
                    .filter(|c| !found_codes.contains(c))
                    .collect();
                if !spurious.is_empty() || !missed.is_empty() {
                    say!(
                        "{} {}: countries spurious {spurious:?} missed {missed:?}",
                        a.lang,
                        a.id
                    );
                }
            }
            for key in [
                (a.lang.clone(), a.split.clone()),
                ("all".into(), a.split.clone()),
            ] {
                let t = tallies.entry(key).or_default();
                t.named_quotes += named;
                t.quotes_found += found;
                t.speakers_right += right;
                if named > 0 {
                    t.articles_with_speakers += 1;
                    t.article_shares += right as f64 / named as f64;
                }
                t.countries_gold += gold_codes.len();
                t.countries_found += found_codes.len();
                t.countries_right += right_codes;
            }
        }
        say!(
            "{:<5} {:<5} {:>8} | {:>12} {:>12} {:>10} {:>12} | {:>9} {:>9}",
            "lang",
            "split",
            "articles",
            "named quotes",
            "quote found",
            "speaker ok",
            "per article",
            "country P",
            "country R"
        );
        for ((lang, split), t) in &tallies {
            let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
            say!(
                "{lang:<5} {split:<5} {:>8} | {:>12} {:>12.3} {:>10.3} {:>12.3} | {:>9.3} {:>9.3}",
                t.articles,
                t.named_quotes,
                ratio(t.quotes_found, t.named_quotes),
                ratio(t.speakers_right, t.named_quotes),
                if t.articles_with_speakers == 0 {
                    0.0
                } else {
                    t.article_shares / t.articles_with_speakers as f64
                },
                ratio(t.countries_right, t.countries_found),
                ratio(t.countries_right, t.countries_gold),
            );
        }
        say!(
            "targets: speaker ok ≥ 0.85 of quotes with a named speaker (per article: the mean of each article's share); countries P ≥ 0.95, R ≥ 0.95 (distinct countries per article)"
        );
        say!("tune on dev only: the test split checks the result independently");
        Ok(())
    }
}

fn tag(lang: &str) -> anyhow::Result<()> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).context("reading stdin")?;
    let analysis = newsflow_enrich::analyze(
        &text,
        None,
        Some(lang),
        None,
        None,
        newsflow_enrich::Knowledge::builtin(),
    );
    let out = serde_json::json!({
        "entities": analysis.entities,
        "quotes": analysis.quotes,
        "countries": analysis.countries,
    });
    say!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
