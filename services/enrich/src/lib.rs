//! newsflow enrich: the third stage.
//!
//! Consumes unique staged articles from `news.stage.unique` and publishes
//! enriched records to `news.enriched`: cleaned text (main text of HTML pages,
//! page debris removed), title, authors, dates with their precision, domain,
//! entities with ids across languages, countries, categories, keywords,
//! quotes, numbers, a lead summary and a reading time.
//!
//! Each enrichment is a pure function in its own module; [`enrich_with`]
//! composes them over a [`Knowledge`] (entity list, country table, category
//! rules), and [`EnrichStage`] adapts it to the loop.

pub mod arabic_names;
pub mod categories;
pub mod clean;
pub mod countries;
pub mod dates;
pub mod entities;
pub mod fold;
pub mod gazetteer;
pub mod german_names;
pub mod header;
pub mod keywords;
pub mod line_ups;
pub mod ner;
pub mod numbers;
pub mod quotes;
pub mod service;
pub mod summary;
pub mod watchlist;

use std::sync::{Arc, LazyLock, OnceLock};

use bytes::Bytes;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use newsflow_core::contracts::{
    Article, DatePrecision, Dateline, DedupInfo, EnrichedRecord, EntityType, ExtractedPage,
    Language, RECORD_SCHEMA_VERSION, STAGED_SCHEMA_VERSION, StagedArticle,
};
use newsflow_core::html::HtmlLimits;
use newsflow_core::intake::decode_staged;
use newsflow_core::metrics::{counter_vec, gauge_vec, histogram_vec};
use newsflow_core::runtime::{CpuThreads, Incoming, Outgoing, Processed, Processor, StageError};
use newsflow_core::{stamp, subjects};
use prometheus::{Histogram, IntCounterVec, IntGaugeVec};

use crate::categories::Rules;
use crate::countries::{COUNTRIES, CountryIndex};
use crate::entities::EntityIndex;
use crate::fold::Folded;
use crate::watchlist::Watchlist;

pub const STAGE: &str = "enrich";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Longest first line taken as the title of an article that has none.
const MAX_TITLE_LINE_CHARS: usize = 150;
/// Length a title cut from the first sentence is trimmed to.
const MAX_DERIVED_TITLE_CHARS: usize = 120;

/// What the enrichment matches against.
#[derive(Debug, Clone, Copy)]
pub struct Knowledge<'a> {
    pub entities: &'a EntityIndex,
    pub countries: &'a CountryIndex,
    pub rules: &'a Rules,
}

/// The project's own entity list and category rules, built on first use.
static BUILTIN_ENTITIES: LazyLock<EntityIndex> = LazyLock::new(EntityIndex::builtin);
static BUILTIN_RULES: LazyLock<Rules> = LazyLock::new(Rules::builtin);

impl Knowledge<'static> {
    /// The project's lists, without a watch-list.
    pub fn builtin() -> Self {
        Self {
            entities: &BUILTIN_ENTITIES,
            countries: &COUNTRIES,
            rules: &BUILTIN_RULES,
        }
    }
}

/// An article reaching every pattern of the enrichment: dateline, quotations
/// with speakers, numbers, days, names.
const WARM_UP_TEXT: &str = "BRUSSELS, March 10 (Reuters) - \"We will rebuild the city together,\" \
    Mayor Jane Doe said on Monday, after 12 people were killed. President John Roe told \
    reporters: \"It is a sad day for all of us.\"";

/// Builds now what is otherwise built on first use (the dictionaries, the
/// patterns, the character tables and stopword sets), so that the first
/// article does not wait for it: by enriching two small articles, as text
/// and as HTML.
pub fn warm_up() {
    newsflow_core::chars::warm_up();
    fold::warm_up();
    ner::tagger::warm_up();
    keywords::warm_up(countries::STOPWORD_LANGUAGES);
    let staged = |article: Article| StagedArticle {
        schema_version: STAGED_SCHEMA_VERSION,
        article,
        source_seq: 0,
        received_at: "2025-03-10T12:00:00Z".into(),
        language: None,
        dedup: None,
        page: None,
        pipeline: Vec::new(),
    };
    enrich(staged(Article {
        published_at: Some("2025-03-10T09:30:00Z".into()),
        text: Some(WARM_UP_TEXT.into()),
        ..Default::default()
    }));
    enrich(staged(Article {
        html: Some(format!(
            "<html><head><title>Warm-up</title></head><body><p>{WARM_UP_TEXT}</p></body></html>"
        )),
        ..Default::default()
    }));
}

/// `article` as langid would stage it with language `iso` (ISO 639-1) found
/// for sure: for benchmarks and examples that enrich without the stages
/// before. The receive time is fixed, so relative dates are reproducible.
pub fn staged_with_language(article: Article, iso: &str) -> StagedArticle {
    let (code, script) = match iso {
        "ar" => ("ara", "Arabic"),
        "de" => ("deu", "Latin"),
        "es" => ("spa", "Latin"),
        "fa" => ("pes", "Arabic"),
        "fr" => ("fra", "Latin"),
        "he" => ("heb", "Hebrew"),
        "hi" => ("hin", "Devanagari"),
        "id" => ("ind", "Latin"),
        "it" => ("ita", "Latin"),
        "ja" => ("jpn", "Katakana"),
        "ko" => ("kor", "Hangul"),
        "nl" => ("nld", "Latin"),
        "pl" => ("pol", "Latin"),
        "pt" => ("por", "Latin"),
        "ru" => ("rus", "Cyrillic"),
        "tr" => ("tur", "Latin"),
        "uk" => ("ukr", "Cyrillic"),
        "ur" => ("urd", "Arabic"),
        "zh" => ("cmn", "Mandarin"),
        _ => ("eng", "Latin"),
    };
    StagedArticle {
        schema_version: STAGED_SCHEMA_VERSION,
        article,
        source_seq: 1,
        received_at: "2025-09-19T06:00:00.000Z".into(),
        language: Some(Language {
            code: code.into(),
            iso639_1: Some(iso.into()),
            script: Some(script.into()),
            confidence: 1.0,
            reliable: true,
            method: "trigram".into(),
        }),
        dedup: None,
        page: None,
        pipeline: vec![],
    }
}

/// Enriches one unique staged article into a record, with the project's lists.
pub fn enrich(staged: StagedArticle) -> EnrichedRecord {
    enrich_with(staged, Knowledge::builtin())
}

/// Enriches one unique staged article into a record.
pub fn enrich_with(staged: StagedArticle, knowledge: Knowledge<'_>) -> EnrichedRecord {
    let mut staged = staged;
    // Envelopes from a langid older than the page field still carry HTML.
    newsflow_core::html::attach_page(&mut staged, &HtmlLimits::default());
    let id = staged.id().to_string();
    let received_at = staged.received_at.clone();
    let page = staged.page.take();
    let article = staged.article;
    let raw_text = match (&page, &article.text) {
        (Some(page), _) => page.text.clone(),
        (None, Some(text)) => clean::clean_debris(text),
        (None, None) => String::new(),
    };
    let (header, body) = header::split_header(&raw_text);
    let mut text = newsflow_core::text::tidy_lines(&body);

    let given_title = article
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .or_else(|| page.as_ref().and_then(|p| p.title.clone()));
    let title = match given_title {
        Some(title) => Some(title),
        None => {
            let (title, rest) = derive_title(&text);
            if let Some(rest) = rest {
                text = rest;
            }
            title
        }
    };

    // The crawler's date, else the page's (most trusted first), else the
    // dateline's; each only when it is a plausible publication time: a
    // page's date is not after the article was received, the crawler's not
    // after now (a backfill may be received long after).
    let received = DateTime::parse_from_rfc3339(&received_at)
        .ok()
        .map(|t| t.with_timezone(&Utc));
    let crawler_date = article
        .published_at
        .as_deref()
        .and_then(dates::parse_timestamp)
        .filter(|(t, _)| dates::plausible_publication(*t, None));
    let published = crawler_date
        .or_else(|| page.as_ref().and_then(|p| page_published(p, received)))
        .or_else(|| {
            header
                .date
                .map(|d| (dates::midnight(d), DatePrecision::Day))
        })
        .or_else(|| {
            // An agency dateline's day and month (`BRUSSELS, March 10 (Reuters)`),
            // in the year that puts it last before the article was received.
            let written = header.date_text.as_deref()?;
            let received = DateTime::parse_from_rfc3339(&received_at).ok()?;
            let day = dates::dates_mentioned(
                written,
                &Folded::new(written),
                received.with_timezone(&Utc),
            )
            .into_iter()
            .next()?;
            let mut day = NaiveDate::parse_from_str(&day.date, "%Y-%m-%d").ok()?;
            // A dateline is never after the article arrived.
            if day > received.date_naive() {
                day = day.with_year(day.year() - 1)?;
            }
            Some((dates::midnight(day), DatePrecision::Day))
        });
    let dateline = (header.location.is_some() || header.date.is_some()).then(|| Dateline {
        location: header.location.clone(),
        date: header.date.map(|d| d.format("%Y-%m-%d").to_string()),
    });
    let reference = published.map(|(t, _)| t).or_else(|| {
        DateTime::parse_from_rfc3339(&received_at)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    });
    let language = staged
        .language
        .unwrap_or_else(|| Language::undetermined(None));
    let analysis = analyze(
        &text,
        title.as_deref(),
        language.iso639_1.as_deref(),
        reference,
        header.location.as_deref(),
        knowledge,
    );
    let mut authors = header.authors;
    if authors.is_empty()
        && let Some(page) = &page
    {
        authors.clone_from(&page.authors);
    }
    let canonical_url = page.as_ref().and_then(|p| p.canonical_url.clone());
    let site_name = page.as_ref().and_then(|p| p.site_name.clone());
    let html_lang = page.as_ref().and_then(|p| p.lang.clone());
    let domain = canonical_url
        .as_deref()
        .or(article.url.as_deref())
        .and_then(domain_of);
    let mut pipeline = staged.pipeline;
    pipeline.push(stamp(STAGE, VERSION));
    let word_count = newsflow_core::text::word_count(&text);
    EnrichedRecord {
        word_count,
        dedup: staged.dedup.unwrap_or_else(|| DedupInfo {
            status: "unique".into(),
            cluster_id: id.clone(),
            resend: false,
        }),
        id,
        schema_version: RECORD_SCHEMA_VERSION,
        title,
        text,
        url: article.url,
        source: article.source,
        language,
        published_at: published.map(|(t, _)| dates::format_timestamp(t)),
        published_precision: published.map(|(_, p)| p),
        authors,
        dateline,
        pipeline,
        domain,
        canonical_url,
        site_name,
        html_lang,
        dates_mentioned: analysis.dates_mentioned,
        entities: analysis.entities,
        countries: analysis.countries,
        categories: analysis.categories,
        keywords: analysis.keywords,
        quotes: analysis.quotes,
        title_quotes: analysis.title_quotes,
        numbers: analysis.numbers,
        summary: analysis.summary,
        reading_time_seconds: summary::reading_time_seconds(word_count),
        metadata: article.metadata,
        replay: article.replay,
        extra: article.extra,
    }
}

/// What [`analyze`] finds in a text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Analysis {
    pub dates_mentioned: Vec<newsflow_core::contracts::DateMention>,
    pub entities: Vec<newsflow_core::contracts::Entity>,
    pub countries: Vec<newsflow_core::contracts::CountryCount>,
    pub categories: Vec<newsflow_core::contracts::Category>,
    pub keywords: Vec<newsflow_core::contracts::Keyword>,
    pub quotes: Vec<newsflow_core::contracts::Quote>,
    /// Quotations in the title, offsets in characters of the title.
    pub title_quotes: Vec<newsflow_core::contracts::Quote>,
    pub numbers: Vec<newsflow_core::contracts::NumberMention>,
    pub summary: Option<String>,
}

/// Runs every text enrichment over the cleaned `text`. All offsets are
/// characters of `text`. `reference` resolves relative dates (none without it).
pub fn analyze(
    text: &str,
    title: Option<&str>,
    lang: Option<&str>,
    reference: Option<DateTime<Utc>>,
    dateline_place: Option<&str>,
    knowledge: Knowledge<'_>,
) -> Analysis {
    let folded = Folded::new(text);
    let sentences = summary::sentences(text);
    let entities = entities::find_entities(text, &folded, &sentences, lang, knowledge.entities);
    // The lead (first sentence) weighs more for the main country; a title
    // naming a country counts as lead too.
    let lead_chars = sentences
        .first()
        .map_or(0, |r| text[..r.end].chars().count());
    // A country word inside an organization's or a person's name is not a
    // mention of the country (`New York Post`, `Paris Hilton`, `Chad Smith`).
    // A state body (`وحكومة المملكة العربية السعودية`, `Ministry of Defence
    // of Ukraine`) is the state: its country counts.
    let names: Vec<countries::NameSpan> = entities
        .iter()
        .filter(|e| matches!(e.kind, EntityType::Organization | EntityType::Person))
        .flat_map(|e| {
            e.mentions
                .iter()
                .filter(|m| !names_a_state_body(&m.text))
                .map(|m| countries::NameSpan {
                    start: m.start,
                    end: m.end,
                    person: e.kind == EntityType::Person,
                })
        })
        .collect();
    let mut countries = countries::countries(
        text,
        &folded,
        lang,
        knowledge.countries,
        lead_chars,
        dateline_place,
        &names,
    );
    let title_folded = title.map(|t| (t, Folded::new(t)));
    if let Some((title, title_folded)) = &title_folded {
        let in_title =
            countries::countries(title, title_folded, lang, knowledge.countries, 0, None, &[]);
        if let Some(main) = in_title.first()
            && let Some(i) = countries.iter().position(|c| c.code == main.code)
        {
            let main = countries.remove(i);
            countries.insert(0, main);
        }
    }
    // The headline often names the topic the body only describes.
    let mut sources = vec![(text, &folded)];
    if let Some((t, f)) = &title_folded {
        sources.push((t, f));
    }
    let categories = categories::categorize_all(&sources, &entities, knowledge.rules);
    Analysis {
        dates_mentioned: reference
            .map(|r| dates::dates_mentioned(text, &folded, r))
            .unwrap_or_default(),
        quotes: quotes::quotes(text, &entities),
        title_quotes: title
            .map(|t| quotes::title_quotes(t, &entities))
            .unwrap_or_default(),
        numbers: numbers::numbers_in(text, &folded, lang),
        keywords: keywords::keywords_in(text, &sentences, lang),
        summary: summary::summary_of(text, &sentences),
        entities,
        countries,
        categories,
    }
}

/// The first words of state bodies, whose names carry their country as
/// the state (`حكومة`, government; `وزارة`, ministry; `سفارة`, embassy).
const STATE_BODIES: &[&str] = &[
    "حكومة",
    "وزارة",
    "سفارة",
    "قنصلية",
    "Government",
    "Ministry",
    "Embassy",
    "Gouvernement",
    "Ministère",
    "Ambassade",
];

/// Whether a name opens with a state body's word (an Arabic one also after
/// a one-letter conjunction or preposition: `وحكومة`).
fn names_a_state_body(name: &str) -> bool {
    let first = name.split_whitespace().next().unwrap_or("");
    STATE_BODIES.iter().any(|body| {
        first == *body
            || first.strip_suffix(body).is_some_and(|joined| {
                joined.chars().count() == 1
                    && joined
                        .trim_start_matches(crate::fold::ARABIC_JOINED)
                        .is_empty()
            })
    })
}

/// The first publication time a page states (most trusted source first)
/// that parses and is plausible: not before 1990, not after the article was
/// `received` (or now) plus a day.
pub fn page_published(
    page: &ExtractedPage,
    received: Option<DateTime<Utc>>,
) -> Option<(DateTime<Utc>, DatePrecision)> {
    page.published
        .iter()
        .filter_map(|raw| dates::parse_timestamp(raw))
        .find(|(t, _)| dates::plausible_publication(*t, received))
}

/// The host of a URL, lower case, without `www.` and port.
pub fn domain_of(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit('@').next()?;
    let host = host.split(':').next()?.trim().to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    (!host.is_empty() && host.contains('.')).then(|| host.to_string())
}

/// A title for an article without one: a short first line (removed from the
/// text, returned as the rest), else the start of the first sentence.
fn derive_title(text: &str) -> (Option<String>, Option<String>) {
    let Some((first, rest)) = text.split_once('\n').or(Some((text, ""))) else {
        return (None, None);
    };
    let first = first.trim();
    if first.is_empty() {
        return (None, None);
    }
    let chars = first.chars().count();
    if chars <= MAX_TITLE_LINE_CHARS && !rest.trim().is_empty() && !first.ends_with(['.', ':']) {
        return (Some(first.to_string()), Some(rest.to_string()));
    }
    let sentence_end = first
        .char_indices()
        .find(|&(i, c)| matches!(c, '.' | '!' | '?' | '؟' | '。') && i > 20)
        .map_or(first.len(), |(i, _)| i);
    let sentence = &first[..sentence_end];
    if sentence.chars().count() <= MAX_DERIVED_TITLE_CHARS {
        return (
            Some(sentence.trim().trim_end_matches('.').to_string()),
            None,
        );
    }
    let mut cut: String = sentence.chars().take(MAX_DERIVED_TITLE_CHARS).collect();
    if let Some(space) = cut.rfind(' ') {
        cut.truncate(space);
    }
    cut.push('…');
    (Some(cut), None)
}

/// RFC 3339 UTC from the timestamp shapes crawlers send.
pub fn normalize_timestamp(raw: &str) -> Option<String> {
    dates::parse_timestamp(raw).map(|(t, _)| dates::format_timestamp(t))
}

/// Midnight UTC of a day, RFC 3339.
pub fn midnight_utc(date: NaiveDate) -> String {
    dates::format_timestamp(dates::midnight(date))
}

/// Values of the `field` label of `newsflow_enrich_fields_found_total`.
pub const FIELDS: &[&str] = &[
    "dateline",
    "published_at",
    "authors",
    "title_derived",
    "domain",
    "dates_mentioned",
    "entities",
    "candidates",
    "countries",
    "categories",
    "keywords",
    "quotes",
    "numbers",
    "casualties",
    "summary",
];

struct EnrichMetrics {
    articles: IntCounterVec,
    fields: IntCounterVec,
    words: Histogram,
    watchlist_reloads: IntCounterVec,
    watchlist_entities: IntGaugeVec,
}

fn metrics() -> &'static EnrichMetrics {
    static METRICS: OnceLock<EnrichMetrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let metrics = new_metrics();
        for input in ["text", "html"] {
            metrics.articles.with_label_values(&[input]);
        }
        for field in FIELDS {
            metrics.fields.with_label_values(&[field]);
        }
        for outcome in ["ok", "error"] {
            metrics.watchlist_reloads.with_label_values(&[outcome]);
        }
        metrics.watchlist_entities.with_label_values(&[] as &[&str]);
        metrics
    })
}

fn new_metrics() -> EnrichMetrics {
    EnrichMetrics {
        articles: counter_vec(
            "newsflow_enrich_articles_total",
            "Articles enriched, by input kind (text, html).",
            &["input"],
        ),
        fields: counter_vec(
            "newsflow_enrich_fields_found_total",
            "Records in which a field was found (dateline, published_at, authors, title_derived, domain, dates_mentioned, entities, candidates, countries, categories, keywords, quotes, numbers, casualties, summary).",
            &["field"],
        ),
        words: histogram_vec(
            "newsflow_enrich_article_words",
            "Words per enriched article.",
            &[],
            &[
                10.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0,
            ],
        )
        .with_label_values(&[] as &[&str]),
        watchlist_reloads: counter_vec(
            "newsflow_enrich_watchlist_reloads_total",
            "Loads of the entity watch-list file, by outcome (ok, error).",
            &["outcome"],
        ),
        watchlist_entities: gauge_vec(
            "newsflow_enrich_watchlist_entities",
            "Entities in the loaded watch-list file.",
            &[],
        ),
    }
}

/// Counts a watch-list load.
pub fn record_watchlist_load(result: Result<usize, ()>) {
    let m = metrics();
    match result {
        Ok(entities) => {
            m.watchlist_reloads.with_label_values(&["ok"]).inc();
            m.watchlist_entities
                .with_label_values(&[] as &[&str])
                .set(entities as i64);
        }
        Err(()) => m.watchlist_reloads.with_label_values(&["error"]).inc(),
    }
}

/// The enrich stage: the project's lists plus an optional watch-list.
#[derive(Debug, Clone, Default)]
pub struct EnrichStage {
    watchlist: Option<Arc<Watchlist>>,
    /// Bounds on reading a page that an older langid passed on as raw HTML.
    html_limits: HtmlLimits,
}

impl EnrichStage {
    /// A stage matching entities of the project's list and of `watchlist`.
    pub fn new(watchlist: Option<Arc<Watchlist>>, html_limits: HtmlLimits) -> Self {
        Self {
            watchlist,
            html_limits,
        }
    }

    /// The record of a staged article, as the message to publish on
    /// `news.enriched`, counted in the stage's metrics. The service decodes
    /// the article from its input first; the fused pipeline hands it over
    /// from dedup as it is.
    pub fn record_message(&self, mut staged: StagedArticle) -> Outgoing {
        newsflow_core::html::attach_page(&mut staged, &self.html_limits);
        let message_id = staged.message_id();
        let from_html = staged.page.is_some();
        let had_title = staged.article.title.is_some();
        let record = match &self.watchlist {
            Some(watchlist) => {
                let entities = watchlist.current();
                enrich_with(
                    staged,
                    Knowledge {
                        entities: entities.as_ref(),
                        ..Knowledge::builtin()
                    },
                )
            }
            None => enrich(staged),
        };

        let m = metrics();
        m.articles
            .with_label_values(&[if from_html { "html" } else { "text" }])
            .inc();
        m.words.observe(record.word_count as f64);
        for (field, found) in [
            ("dateline", record.dateline.is_some()),
            ("published_at", record.published_at.is_some()),
            ("authors", !record.authors.is_empty()),
            ("title_derived", !had_title && record.title.is_some()),
            ("domain", record.domain.is_some()),
            ("dates_mentioned", !record.dates_mentioned.is_empty()),
            ("entities", record.entities.iter().any(|e| !e.candidate)),
            ("candidates", record.entities.iter().any(|e| e.candidate)),
            ("countries", !record.countries.is_empty()),
            ("categories", !record.categories.is_empty()),
            ("keywords", !record.keywords.is_empty()),
            ("quotes", !record.quotes.is_empty()),
            ("numbers", !record.numbers.is_empty()),
            (
                "casualties",
                record.numbers.iter().any(|n| n.kind != "count"),
            ),
            ("summary", record.summary.is_some()),
        ] {
            if found {
                m.fields.with_label_values(&[field]).inc();
            }
        }
        Outgoing {
            subject: subjects::ENRICHED,
            output: "enriched",
            message_id,
            payload: Bytes::from(serde_json::to_vec(&record).expect("record serializes")),
        }
    }
}

impl Processor for EnrichStage {
    type Transformed = Processed;
    type Finished = Processed;

    fn stage(&self) -> &'static str {
        STAGE
    }

    fn init_metrics(&self) {
        metrics();
    }

    fn transform(&self, input: Incoming<'_>) -> Result<Processed, StageError> {
        let staged = decode_staged(input.payload)?;
        Ok(vec![self.record_message(staged)].into())
    }

    async fn finish(
        &self,
        processed: Processed,
        _cpu: &CpuThreads,
    ) -> Result<Processed, StageError> {
        Ok(processed)
    }

    fn complete(&self, processed: Processed) -> Result<Processed, StageError> {
        Ok(processed)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_country_word_inside_a_person_or_organization_name_is_not_the_country() {
        // Surnames, so that the first-name guard of `countries` (`Chad
        // Smith`) does not decide it.
        let text = "Coach Kevin Jordan said the team trained in Los Angeles on Monday. \
            The striker Marcus Israel scored twice.";
        let found = super::analyze(
            text,
            None,
            Some("en"),
            None,
            None,
            super::Knowledge::builtin(),
        );
        let codes: Vec<&str> = found.countries.iter().map(|c| c.code.as_str()).collect();
        assert!(codes.is_empty(), "{codes:?}");
        assert!(
            found
                .entities
                .iter()
                .any(|e| e.name == "Los Angeles" && e.kind == EntityType::Location)
        );
    }

    #[test]
    fn a_state_body_s_name_keeps_its_country() {
        assert!(super::names_a_state_body("وحكومة المملكة العربية السعودية"));
        assert!(super::names_a_state_body("Ministry of Defence of Ukraine"));
        assert!(!super::names_a_state_body("New York Post"));
        // A word that only ends like one is no state body.
        assert!(!super::names_a_state_body("Subministry Records"));
    }

    use super::*;
    use newsflow_core::contracts::{Article, STAGED_SCHEMA_VERSION};

    fn staged(article: Article) -> StagedArticle {
        StagedArticle {
            schema_version: STAGED_SCHEMA_VERSION,
            article,
            source_seq: 3,
            received_at: "2024-01-16T08:00:00.000Z".into(),
            language: None,
            dedup: None,
            page: None,
            pipeline: vec![],
        }
    }

    #[test]
    fn a_dateline_header_gives_date_author_and_place() {
        let record = enrich(staged(Article {
            id: Some("d1".into()),
            text: Some(
                " date 2024-01-15 Dina Mahmoud (London)\n\nThe   first paragraph.\n\nThe second."
                    .into(),
            ),
            ..Default::default()
        }));
        assert_eq!(record.published_at.as_deref(), Some("2024-01-15T00:00:00Z"));
        assert_eq!(record.authors, vec!["Dina Mahmoud"]);
        let dateline = record.dateline.unwrap();
        assert_eq!(dateline.location.as_deref(), Some("London"));
        assert_eq!(dateline.date.as_deref(), Some("2024-01-15"));
        assert_eq!(record.text, "The first paragraph.\nThe second.");
        assert_eq!(record.title.as_deref(), Some("The first paragraph"));
        assert_eq!(record.word_count, 5);
        assert_eq!(record.pipeline.last().unwrap().stage, "enrich");
    }

    /// The enriched-record example of `proto/README.md`.
    #[test]
    fn the_contract_example_record() {
        let mut input = staged(Article {
            id: Some("ferry-night-service".into()),
            url: Some("https://harbour-gazette.test/transport/ferry-night-service".into()),
            published_at: Some("2024-05-02T09:30:00+02:00".into()),
            text: Some("date 2024-05-02 Jonas Berg (Gothenburg)\n\nThe harbour authority will run a night ferry from June 1. Boats leave every forty minutes after midnight, and tickets cost the same as daytime fares.".into()),
            title: Some("Night ferry service starts in June".into()),
            ..Default::default()
        });
        input.language = Some(Language {
            code: "eng".into(),
            iso639_1: Some("en".into()),
            script: Some("Latin".into()),
            confidence: 1.0,
            reliable: true,
            method: "trigram".into(),
        });
        let record = enrich(input);
        let value = serde_json::to_value(&record).unwrap();
        assert_eq!(value["published_precision"], "minute");
        assert_eq!(value["domain"], "harbour-gazette.test");
        assert_eq!(
            value["dates_mentioned"],
            serde_json::json!([{"text": "June 1", "start": 50, "end": 56, "date": "2024-06-01", "kind": "year_inferred"}])
        );
        assert_eq!(
            value["numbers"],
            serde_json::json!([{"value": 40.0, "kind": "count", "unit": "minutes", "approximate": false, "phrase": "forty minutes", "start": 76, "end": 89}])
        );
        assert_eq!(value["reading_time_seconds"], 7);
        assert_eq!(value["summary"].as_str(), Some(record.text.as_str()));
        let keywords: Vec<&str> = record.keywords.iter().map(|k| k.text.as_str()).collect();
        assert_eq!(
            keywords[..3],
            ["ferry from June", "harbour authority", "night ferry"],
            "{keywords:?}"
        );
    }

    #[test]
    fn a_short_first_line_becomes_the_title() {
        let record = enrich(staged(Article {
            id: Some("t1".into()),
            text: Some("No Perfect Defense\n\nBody of the article goes here.".into()),
            ..Default::default()
        }));
        assert_eq!(record.title.as_deref(), Some("No Perfect Defense"));
        assert_eq!(record.text, "Body of the article goes here.");
    }

    #[test]
    fn the_crawlers_title_and_date_win() {
        let record = enrich(staged(Article {
            id: Some("t2".into()),
            title: Some("Given".into()),
            published_at: Some("2024-03-01T10:00:00+02:00".into()),
            text: Some("date 2024-01-15 Someone (Paris)\nBody.".into()),
            ..Default::default()
        }));
        assert_eq!(record.title.as_deref(), Some("Given"));
        assert_eq!(record.published_at.as_deref(), Some("2024-03-01T08:00:00Z"));
    }

    #[test]
    fn html_input_is_reduced_to_text_with_its_title() {
        let record = enrich(staged(Article {
            id: Some("h1".into()),
            html: Some("<html><head><title>Page title</title></head><body><nav>Menu</nav><p>One.</p><p>Two.</p></body></html>".into()),
            ..Default::default()
        }));
        assert_eq!(record.title.as_deref(), Some("Page title"));
        assert_eq!(record.text, "One.\nTwo.");
    }

    #[test]
    fn page_dates_are_taken_in_order_of_trust_when_plausible() {
        let html = r#"<html><head>
            <meta property="article:published_time" content="0001-01-01T00:00:00Z">
            <meta name="date" content="2031-01-01">
            <meta name="pubdate" content="not a date">
            </head><body><time datetime="2024-03-01T08:00:00Z">x</time>
            <p>One sentence of text that is long enough to count as the main text here.</p></body></html>"#;
        let mut article = staged(Article {
            id: Some("h2".into()),
            html: Some(html.into()),
            ..Default::default()
        });
        article.received_at = "2024-03-02T00:00:00Z".into();
        let record = enrich(article);
        assert_eq!(record.published_at.as_deref(), Some("2024-03-01T08:00:00Z"));
    }

    #[test]
    fn timestamps_are_normalized_or_dropped() {
        assert_eq!(
            normalize_timestamp("2024-01-15").as_deref(),
            Some("2024-01-15T00:00:00Z")
        );
        assert_eq!(
            normalize_timestamp("2024-01-15 10:30:00").as_deref(),
            Some("2024-01-15T10:30:00Z")
        );
        assert_eq!(
            normalize_timestamp("Mon, 15 Jan 2024 10:30:00 +0100").as_deref(),
            Some("2024-01-15T09:30:00Z")
        );
        assert_eq!(normalize_timestamp("last tuesday"), None);
    }

    #[test]
    fn a_long_first_sentence_is_cut_into_a_title() {
        let long = "word ".repeat(60) + "end.";
        let (title, rest) = derive_title(&long);
        assert!(rest.is_none());
        let title = title.unwrap();
        assert!(
            title.ends_with('…') && title.chars().count() <= MAX_DERIVED_TITLE_CHARS + 1,
            "{title}"
        );
    }
}
