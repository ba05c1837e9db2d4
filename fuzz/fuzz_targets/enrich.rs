//! The enrich transform on an article built from fields (see `Fields`):
//! debris cleaning, header split, dates, numbers, quotes, entities,
//! countries, categories, keywords, summary. An `html` field is extracted
//! first as langid does (`attach_page`), so the page's metadata reaches
//! enrich too. Checks that every span in the record lies inside its text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsflow_core::contracts::{Language, STAGED_SCHEMA_VERSION, StagedArticle};
use newsflow_core::html::{HtmlLimits, attach_page};
use newsflow_fuzz::Fields;

fuzz_target!(|data: &[u8]| {
    let fields = Fields::parse(data);
    let article = fields.article();
    if article.text.is_none() && article.html.is_none() {
        return;
    }
    let language = fields.lang_hint.as_ref().map(|code| Language {
        code: code.clone(),
        iso639_1: Some(code.clone()),
        script: None,
        confidence: 1.0,
        reliable: true,
        method: "hint".into(),
    });
    let mut staged = StagedArticle {
        schema_version: STAGED_SCHEMA_VERSION,
        article,
        source_seq: 7,
        received_at: fields
            .received_at
            .clone()
            .unwrap_or_else(|| "2025-03-10T12:00:00Z".into()),
        language,
        dedup: None,
        page: None,
        pipeline: Vec::new(),
    };
    attach_page(&mut staged, &HtmlLimits::default());
    let record = newsflow_enrich::enrich(staged);
    let chars: Vec<char> = record.text.chars().collect();
    let span = |what: &str, start: usize, end: usize| {
        assert!(
            start <= end && end <= chars.len(),
            "{what} span {start}..{end} outside a text of {} characters",
            chars.len()
        );
    };
    for entity in &record.entities {
        for mention in &entity.mentions {
            span("entity mention", mention.start, mention.end);
            let written: String = chars[mention.start..mention.end].iter().collect();
            assert_eq!(
                written, mention.text,
                "an entity mention is not the text at its span"
            );
        }
    }
    for date in &record.dates_mentioned {
        span("date", date.start, date.end);
    }
    for quote in &record.quotes {
        span("quote", quote.start, quote.end);
    }
    for number in &record.numbers {
        span("number", number.start, number.end);
    }
    serde_json::to_vec(&record).expect("a record serializes");
});
