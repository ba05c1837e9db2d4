//! CoNLL-style NER files (`token<TAB>tag`, blank line between sentences,
//! `-DOCSTART-` between documents) and conlleval's entity-level scoring.

use std::collections::BTreeMap;

use super::tagger::{KINDS, LabelledSentence, is_inside, kind_of, label_index};

/// A problem in a CoNLL file.
#[derive(Debug, thiserror::Error)]
pub enum ConllError {
    #[error("line {line}: {reason}")]
    Line { line: usize, reason: String },
}

/// Reads sentences with their labels. Sentences of one document share a
/// document number; where the file marks no documents, every
/// `sentences_per_document` sentences count as one (about an article).
///
/// # Errors
/// On a line that is not `token<TAB>tag` with a known IOB2 tag.
pub fn read(
    text: &str,
    first_document: usize,
    sentences_per_document: usize,
) -> Result<Vec<LabelledSentence>, ConllError> {
    let marks_documents = text.lines().any(|l| l.starts_with("-DOCSTART-"));
    let mut out = Vec::new();
    let mut document = first_document;
    let mut in_document = 0;
    let mut current = LabelledSentence {
        tokens: Vec::new(),
        labels: Vec::new(),
        document,
    };
    let finish =
        |current: &mut LabelledSentence, out: &mut Vec<LabelledSentence>, document: usize| {
            if !current.tokens.is_empty() {
                current.document = document;
                out.push(std::mem::replace(
                    current,
                    LabelledSentence {
                        tokens: Vec::new(),
                        labels: Vec::new(),
                        document,
                    },
                ));
            }
        };
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.starts_with("-DOCSTART-") {
            finish(&mut current, &mut out, document);
            document += 1;
            continue;
        }
        if line.trim().is_empty() {
            if !current.tokens.is_empty() {
                finish(&mut current, &mut out, document);
                in_document += 1;
                if !marks_documents && in_document == sentences_per_document {
                    document += 1;
                    in_document = 0;
                }
            }
            continue;
        }
        let (token, tag) = line
            .rsplit_once('\t')
            .or_else(|| line.rsplit_once(' '))
            .ok_or_else(|| ConllError::Line {
                line: n + 1,
                reason: format!("expected token<TAB>tag, got {line:?}"),
            })?;
        let label = label_index(tag.trim()).ok_or_else(|| ConllError::Line {
            line: n + 1,
            reason: format!("unknown tag {tag:?} (expected O or B-/I- PER, ORG, LOC, MISC)"),
        })?;
        current.tokens.push(token.trim().to_string());
        current.labels.push(label);
    }
    finish(&mut current, &mut out, document);
    Ok(out)
}

/// Entity spans `(kind, first token, one past the last)` of a label
/// sequence, by the conlleval rule: a span starts at `B-X` and at an `I-X`
/// after `O` or another kind.
pub fn spans(labels: &[usize]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut open: Option<(usize, usize)> = None;
    for (i, &label) in labels.iter().enumerate() {
        let kind = kind_of(label);
        let continues = is_inside(label) && open.is_some_and(|(k, _)| k == kind);
        if continues {
            continue;
        }
        if let Some((k, start)) = open.take() {
            out.push((k, start, i));
        }
        if kind != 0 {
            open = Some((kind, i));
        }
    }
    if let Some((k, start)) = open {
        out.push((k, start, labels.len()));
    }
    out
}

/// True positives, false positives and false negatives of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    pub fn add(&mut self, other: Counts) {
        self.tp += other.tp;
        self.fp += other.fp;
        self.fn_ += other.fn_;
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Exact-span scores by kind name (`PER`, `ORG`, `LOC`, `MISC`).
#[derive(Debug, Clone, Default)]
pub struct Score {
    pub by_kind: BTreeMap<&'static str, Counts>,
}

impl Score {
    /// Adds one sentence: gold and predicted labels of the same tokens.
    pub fn add_sentence(&mut self, gold: &[usize], predicted: &[usize]) {
        let gold = spans(gold);
        let predicted = spans(predicted);
        for &(kind, ..) in gold.iter().chain(&predicted) {
            self.by_kind.entry(KINDS[kind]).or_default();
        }
        for span in &predicted {
            let counts = self.by_kind.get_mut(KINDS[span.0]).expect("entry made");
            if gold.contains(span) {
                counts.tp += 1;
            } else {
                counts.fp += 1;
            }
        }
        for span in &gold {
            if !predicted.contains(span) {
                self.by_kind.get_mut(KINDS[span.0]).expect("entry made").fn_ += 1;
            }
        }
    }

    /// Counts of a kind (zero when never seen).
    pub fn of(&self, kind: &str) -> Counts {
        self.by_kind.get(kind).copied().unwrap_or_default()
    }

    /// Micro-average over the given kinds.
    pub fn micro(&self, kinds: &[&str]) -> Counts {
        let mut total = Counts::default();
        for kind in kinds {
            total.add(self.of(kind));
        }
        total
    }

    pub fn merge(&mut self, other: &Score) {
        for (kind, counts) in &other.by_kind {
            self.by_kind.entry(kind).or_default().add(*counts);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(tags: &str) -> Vec<usize> {
        tags.split_whitespace()
            .map(|t| label_index(t).unwrap())
            .collect()
    }

    #[test]
    fn spans_follow_the_conlleval_rule() {
        assert_eq!(
            spans(&labels("B-PER I-PER O I-LOC B-ORG I-PER")),
            [(1, 0, 2), (3, 3, 4), (2, 4, 5), (1, 5, 6)]
        );
    }

    #[test]
    fn exact_spans_only_count() {
        let mut score = Score::default();
        score.add_sentence(&labels("B-PER I-PER O B-LOC"), &labels("B-PER O O B-LOC"));
        assert_eq!(
            score.of("PER"),
            Counts {
                tp: 0,
                fp: 1,
                fn_: 1
            }
        );
        assert_eq!(
            score.of("LOC"),
            Counts {
                tp: 1,
                fp: 0,
                fn_: 0
            }
        );
        assert!((score.micro(&["PER", "LOC"]).f1() - 0.5).abs() < 1e-9);
    }

    #[test]
    fn documents_and_sentences_are_read() {
        let text =
            "-DOCSTART-\tO\n\nJohn\tB-PER\nran\tO\n\nHe\tO\n\n-DOCSTART-\tO\n\nParis\tB-LOC\n";
        let read = read(text, 0, 20).unwrap();
        assert_eq!(read.len(), 3);
        assert_eq!(read[0].document, read[1].document);
        assert_ne!(read[1].document, read[2].document);
        let err = read_error("x\tB-FOO\n");
        assert!(err.contains("line 1") && err.contains("B-FOO"), "{err}");
    }

    fn read_error(text: &str) -> String {
        read(text, 0, 20).unwrap_err().to_string()
    }
}
