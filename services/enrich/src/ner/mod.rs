//! Names of persons, organizations and places that are in no list: a
//! sequence tagger per language, trained by the project on public
//! annotated corpora: human-annotated news, and silver Wikipedia sentences
//! where no news set is reachable (see `services/enrich/ner/README.md` for the data,
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
    ("id", include_bytes!("../../data/ner/id.model")),
    ("it", include_bytes!("../../data/ner/it.model")),
    ("nl", include_bytes!("../../data/ner/nl.model")),
    ("pl", include_bytes!("../../data/ner/pl.model")),
    ("pt", include_bytes!("../../data/ner/pt.model")),
    ("ru", include_bytes!("../../data/ner/ru.model")),
    ("uk", include_bytes!("../../data/ner/uk.model")),
];

/// A shipped model's bytes, and the model once read.
type Shipped = (&'static [u8], OnceLock<Option<Model>>);

/// Models are read on the first article of their language, in place: the
/// weights stay in the binary's bytes (see `tagger::Weights`).
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
        .get_or_init(|| match Model::from_static(bytes) {
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
    names_and_tokens(text, sentences, model).0
}

/// [`names`], and the tokens of each sentence the tagger read (for rules
/// that look at the words around the names without cutting them again).
pub fn names_and_tokens(
    text: &str,
    sentences: &[Range<usize>],
    model: &Model,
) -> (Vec<Name>, Vec<Vec<tokens::Token>>) {
    let tokenized: Vec<Vec<tokens::Token>> = sentences
        .iter()
        .map(|range| {
            // About one token every five bytes: rarely grown.
            let mut sentence = Vec::with_capacity(range.len() / 5 + 4);
            tokens::tokenize_into(&text[range.clone()], range.start, &mut sentence);
            sentence
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
    (out, tokenized)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One plain news sentence per shipped language, written for this test,
    /// with the person it names.
    const SENTENCES: &[(&str, &str, &str)] = &[
        (
            "ar",
            "وقال الرئيس محمد بن عبد الله في مؤتمر صحفي إن المفاوضات مستمرة.",
            "محمد بن عبد الله",
        ),
        (
            "de",
            "Die Ministerin Katharina Berger sagte am Montag in Berlin, die Gespräche gingen weiter.",
            "Katharina Berger",
        ),
        (
            "en",
            "Foreign minister Daniel Morgan said on Monday that the talks would continue.",
            "Daniel Morgan",
        ),
        (
            "es",
            "El ministro Javier Morales dijo el lunes en Madrid que las negociaciones continúan.",
            "Javier Morales",
        ),
        (
            "fr",
            "Le ministre Julien Mercier a déclaré lundi à Paris que les négociations continuaient.",
            "Julien Mercier",
        ),
        (
            "id",
            "Menteri Budi Santoso mengatakan pada hari Senin di Jakarta bahwa perundingan akan dilanjutkan.",
            "Budi Santoso",
        ),
        (
            "it",
            "Il ministro Marco Bianchi ha detto lunedì a Roma che i negoziati continuano.",
            "Marco Bianchi",
        ),
        (
            "nl",
            "Minister Pieter de Groot zei maandag in Den Haag dat de gesprekken doorgaan.",
            "Pieter de Groot",
        ),
        (
            "pl",
            "Minister Tomasz Nowak powiedział w poniedziałek w Warszawie, że rozmowy będą kontynuowane.",
            "Tomasz Nowak",
        ),
        (
            "pt",
            "O ministro João Almeida disse na segunda-feira em Lisboa que as negociações continuam.",
            "João Almeida",
        ),
        (
            "ru",
            "Министр Сергей Волков заявил в понедельник в Москве, что переговоры продолжаются.",
            "Сергей Волков",
        ),
        (
            "uk",
            "Міністр Олег Коваленко заявив у понеділок у Києві, що переговори тривають.",
            "Олег Коваленко",
        ),
    ];

    #[test]
    fn every_shipped_model_loads_and_finds_a_person() {
        let tested: Vec<&str> = SENTENCES.iter().map(|(lang, _, _)| *lang).collect();
        assert_eq!(tested, languages(), "a sentence for each shipped model");
        for (lang, text, person) in SENTENCES {
            let model = model_for(lang).unwrap_or_else(|| panic!("the {lang} model loads"));
            let found = names(text, &crate::summary::sentences(text), model);
            let persons: Vec<&str> = found
                .iter()
                .filter(|n| n.kind == EntityType::Person)
                .map(|n| &text[n.start..n.end])
                .collect();
            assert!(
                persons.contains(person),
                "{lang}: expected {person} among the persons {persons:?}"
            );
        }
    }
}
