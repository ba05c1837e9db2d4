//! Names of persons, organizations and places that are in no list: a
//! sequence tagger per language, trained by the project on public
//! human-annotated news (see `services/enrich/ner/README.md` for the data,
//! licences and the commands that rebuild the weights in `data/ner/`).
//!
//! [`names`] tags a text sentence by sentence and returns the spans of the
//! names it finds; `entities` turns them into entities (grouped mentions,
//! linked to the known-entity list where a name matches).

pub mod conll;
pub mod tagger;
pub mod tokens;

use std::ops::Range;
use std::sync::{LazyLock, OnceLock};

use newsflow_core::contracts::EntityType;
use rustc_hash::FxHashMap;

pub use tagger::{Model, clear_type_cache};

/// The weights shipped with the service, by language (ISO 639-1).
const SHIPPED: &[(&str, &[u8])] = &[
    ("ar", include_bytes!("../../data/ner/ar.model")),
    ("de", include_bytes!("../../data/ner/de.model")),
    ("en", include_bytes!("../../data/ner/en.model")),
    ("es", include_bytes!("../../data/ner/es.model")),
    ("fr", include_bytes!("../../data/ner/fr.model")),
    ("nl", include_bytes!("../../data/ner/nl.model")),
    ("ru", include_bytes!("../../data/ner/ru.model")),
];

/// A shipped model's bytes, and the model once read.
type Shipped = (&'static [u8], OnceLock<Option<Model>>);

/// Models are read on the first article of their language.
static MODELS: LazyLock<FxHashMap<&'static str, Shipped>> = LazyLock::new(|| {
    SHIPPED
        .iter()
        .map(|&(lang, bytes)| (lang, (bytes, OnceLock::new())))
        .collect()
});

/// The shipped model for `lang`, if there is one.
pub fn model_for(lang: &str) -> Option<&'static Model> {
    let (bytes, model) = MODELS.get(lang)?;
    model
        .get_or_init(|| match Model::from_bytes(bytes) {
            Ok(model) => Some(model),
            Err(error) => {
                tracing::error!(lang, %error, "the shipped NER model does not load; names in this language come from the lists only");
                None
            }
        })
        .as_ref()
}

/// Languages with a shipped model.
pub fn languages() -> Vec<&'static str> {
    let mut out: Vec<&str> = SHIPPED.iter().map(|(l, _)| *l).collect();
    out.sort_unstable();
    out
}

/// A name the tagger found: its kind and byte span in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    pub kind: EntityType,
    pub start: usize,
    pub end: usize,
}

/// The names in `text`, tagged sentence by sentence (`sentences` are byte
/// ranges of `text`, as `summary::sentences` gives them). Miscellaneous
/// names (events, nationalities, works) are left out.
pub fn names(text: &str, sentences: &[Range<usize>], model: &Model) -> Vec<Name> {
    let tokenized: Vec<Vec<tokens::Token>> = sentences
        .iter()
        .map(|range| {
            tokens::tokenize(&text[range.clone()])
                .into_iter()
                .map(|t| tokens::Token {
                    start: t.start + range.start,
                    end: t.end + range.start,
                })
                .collect()
        })
        .collect();
    let words: Vec<Vec<&str>> = tokenized
        .iter()
        .map(|s| s.iter().map(|t| &text[t.start..t.end]).collect())
        .collect();
    let labels = model.tag_document(&words);
    let mut out = Vec::new();
    for (sentence, labels) in tokenized.iter().zip(&labels) {
        for (kind, first, last) in conll::spans(labels) {
            let kind = match tagger::KINDS[kind] {
                "PER" => EntityType::Person,
                "ORG" => EntityType::Organization,
                "LOC" => EntityType::Location,
                _ => continue,
            };
            out.push(Name {
                kind,
                start: sentence[first].start,
                end: sentence[last - 1].end,
            });
        }
    }
    out
}
