//! What the sink stores of each message: the columns read out of a record or
//! a duplicate notice, and how the rows of one batch are merged before they
//! go to PostgreSQL. Pure code, unit-tested without a database.

use std::collections::HashMap;

use newsflow_core::intake::{Rejection, reject_code};
use serde::Deserialize;

/// A record of `news.enriched`, as the `newsflow_records` row stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRow {
    pub id: String,
    /// Its sequence in `NEWS_ENRICHED`: of two versions of one id, the later
    /// one wins, whatever order they are written in.
    pub stream_seq: i64,
    pub language: String,
    /// RFC 3339 UTC; `None` when the record has none or it does not parse.
    pub published_at: Option<String>,
    /// JSON array of the ISO codes, main country first.
    pub countries: String,
    /// JSON array of the distinct entity ids (candidates without an id left out).
    pub entity_ids: String,
    pub cluster_id: String,
    /// The whole record as received.
    pub json: String,
}

/// A duplicate notice of `news.duplicates`, as the `newsflow_duplicates` row stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct NoticeRow {
    pub id: String,
    pub stream_seq: i64,
    pub duplicate_of: String,
    pub method: String,
    pub similarity: f64,
    /// The article had been passed on with a record that an earlier copy
    /// replaced: its row in `newsflow_records` must go.
    pub record_withdrawn: bool,
    pub json: String,
}

/// One message to store.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    Record(RecordRow),
    Notice(NoticeRow),
}

impl Row {
    pub fn id(&self) -> &str {
        match self {
            Row::Record(r) => &r.id,
            Row::Notice(n) => &n.id,
        }
    }
}

#[derive(Deserialize)]
struct RecordFields {
    id: String,
    language: LanguageField,
    #[serde(default)]
    published_at: Option<String>,
    #[serde(default)]
    countries: Vec<CodeField>,
    #[serde(default)]
    entities: Vec<EntityField>,
    dedup: DedupField,
}

#[derive(Deserialize)]
struct LanguageField {
    code: String,
}

#[derive(Deserialize)]
struct CodeField {
    code: String,
}

#[derive(Deserialize)]
struct EntityField {
    #[serde(default)]
    id: Option<String>,
}

#[derive(Deserialize)]
struct DedupField {
    cluster_id: String,
}

#[derive(Deserialize)]
struct NoticeFields {
    id: String,
    duplicate_of: String,
    method: String,
    similarity: f64,
    #[serde(default)]
    record_withdrawn: bool,
}

/// PostgreSQL's `jsonb` cannot hold the NUL character, and one row it
/// refuses would fail the whole batch: refuse such a message up front.
fn check_storable(payload: &[u8], what: &str) -> Result<String, Rejection> {
    let text = std::str::from_utf8(payload).map_err(|err| {
        Rejection::new(
            reject_code::INVALID_UTF8,
            format!("{what} is not UTF-8: {err}"),
        )
    })?;
    if text.contains("\\u0000") {
        return Err(Rejection::new(
            reject_code::INVALID_FIELD,
            format!(
                "{what} holds a NUL character (\\u0000), which PostgreSQL's jsonb cannot store"
            ),
        ));
    }
    Ok(text.to_string())
}

/// The row of a record on `news.enriched` stored at `stream_seq`.
///
/// # Errors
/// A [`Rejection`] naming what is wrong when the payload is not a record.
pub fn record_row(payload: &[u8], stream_seq: u64) -> Result<RecordRow, Rejection> {
    let json = check_storable(payload, "the record")?;
    let fields: RecordFields = serde_json::from_str(&json).map_err(|err| {
        Rejection::new(
            reject_code::INVALID_FIELD,
            format!("not an enriched record: {err}"),
        )
    })?;
    let published_at = fields
        .published_at
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        });
    let countries: Vec<String> = fields.countries.into_iter().map(|c| c.code).collect();
    let mut entity_ids: Vec<String> = Vec::new();
    for id in fields.entities.into_iter().filter_map(|e| e.id) {
        if !entity_ids.contains(&id) {
            entity_ids.push(id);
        }
    }
    Ok(RecordRow {
        id: fields.id,
        stream_seq: sequence(stream_seq)?,
        language: fields.language.code,
        published_at,
        countries: serde_json::to_string(&countries).expect("strings serialize"),
        entity_ids: serde_json::to_string(&entity_ids).expect("strings serialize"),
        cluster_id: fields.dedup.cluster_id,
        json,
    })
}

/// The row of a duplicate notice on `news.duplicates` stored at `stream_seq`.
///
/// # Errors
/// A [`Rejection`] naming what is wrong when the payload is not a notice.
pub fn notice_row(payload: &[u8], stream_seq: u64) -> Result<NoticeRow, Rejection> {
    let json = check_storable(payload, "the duplicate notice")?;
    let fields: NoticeFields = serde_json::from_str(&json).map_err(|err| {
        Rejection::new(
            reject_code::INVALID_FIELD,
            format!("not a duplicate notice: {err}"),
        )
    })?;
    Ok(NoticeRow {
        id: fields.id,
        stream_seq: sequence(stream_seq)?,
        duplicate_of: fields.duplicate_of,
        method: fields.method,
        similarity: fields.similarity,
        record_withdrawn: fields.record_withdrawn,
        json,
    })
}

fn sequence(stream_seq: u64) -> Result<i64, Rejection> {
    i64::try_from(stream_seq).map_err(|_| {
        Rejection::new(
            reject_code::INVALID_FIELD,
            format!("stream sequence {stream_seq} does not fit a bigint"),
        )
    })
}

/// The rows of one batch, one per id and table, as one transaction writes
/// them: PostgreSQL refuses an `INSERT .. ON CONFLICT` touching a row twice.
#[derive(Debug, Default, PartialEq)]
pub struct Batch {
    pub records: Vec<RecordRow>,
    pub notices: Vec<NoticeRow>,
}

impl Batch {
    /// Of several records of one id the latest (highest sequence); of several
    /// notices the latest, withdrawn when any of them withdraws the record.
    pub fn merge<'a>(rows: impl IntoIterator<Item = &'a Row>) -> Self {
        let mut records: HashMap<&str, &RecordRow> = HashMap::new();
        let mut notices: HashMap<&str, NoticeRow> = HashMap::new();
        for row in rows {
            match row {
                Row::Record(record) => {
                    let kept = records.entry(&record.id).or_insert(record);
                    if record.stream_seq > kept.stream_seq {
                        *kept = record;
                    }
                }
                Row::Notice(notice) => {
                    let kept = notices.entry(&notice.id).or_insert_with(|| notice.clone());
                    let withdrawn = kept.record_withdrawn || notice.record_withdrawn;
                    if notice.stream_seq > kept.stream_seq {
                        *kept = notice.clone();
                    }
                    kept.record_withdrawn = withdrawn;
                }
            }
        }
        let mut batch = Batch {
            records: records.into_values().cloned().collect(),
            notices: notices.into_values().collect(),
        };
        // A fixed order: two replicas lock ids in the same order.
        batch.records.sort_by(|a, b| a.id.cmp(&b.id));
        batch.notices.sort_by(|a, b| a.id.cmp(&b.id));
        batch
    }

    /// Every id of the batch, sorted, once.
    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .records
            .iter()
            .map(|r| r.id.clone())
            .chain(self.notices.iter().map(|n| n.id.clone()))
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = r#"{"id":"a","schema_version":1,"title":null,"text":"t","url":null,"source":null,
        "language":{"code":"eng","iso639_1":"en","script":"Latin","confidence":1.0,"reliable":true,"method":"trigram"},
        "published_at":"2024-05-02T09:30:00+02:00","authors":[],"dateline":null,"word_count":1,
        "dedup":{"status":"unique","cluster_id":"a"},"pipeline":[],
        "entities":[{"id":"Q7184","name":"NATO","type":"organization","candidate":false,"part_of":null,"mentions":[]},
                    {"id":null,"name":"Ukraine","type":"location","candidate":true,"part_of":null,"mentions":[]},
                    {"id":"Q7184","name":"NATO","type":"organization","candidate":false,"part_of":null,"mentions":[]}],
        "countries":[{"code":"UA","count":2,"names":[]},{"code":"RU","count":1,"names":[]}]}"#;

    #[test]
    fn a_record_gives_its_indexed_columns() {
        let row = record_row(RECORD.as_bytes(), 7).unwrap();
        assert_eq!(row.id, "a");
        assert_eq!(row.stream_seq, 7);
        assert_eq!(row.language, "eng");
        assert_eq!(row.published_at.as_deref(), Some("2024-05-02T07:30:00Z"));
        assert_eq!(row.countries, r#"["UA","RU"]"#);
        assert_eq!(row.entity_ids, r#"["Q7184"]"#);
        assert_eq!(row.cluster_id, "a");
        assert_eq!(row.json, RECORD);
    }

    #[test]
    fn an_unreadable_publication_time_is_stored_as_null() {
        let record = RECORD.replace("2024-05-02T09:30:00+02:00", "yesterday");
        assert_eq!(record_row(record.as_bytes(), 1).unwrap().published_at, None);
    }

    #[test]
    fn what_postgres_cannot_store_is_refused_with_the_reason() {
        let nul = RECORD.replace("\"text\":\"t\"", "\"text\":\"a\\u0000b\"");
        let err = record_row(nul.as_bytes(), 1).unwrap_err();
        assert_eq!(err.code, reject_code::INVALID_FIELD);
        assert!(err.reason.contains("NUL"), "{}", err.reason);
        let err = record_row(br#"{"id":"a"}"#, 1).unwrap_err();
        assert!(
            err.reason.contains("not an enriched record"),
            "{}",
            err.reason
        );
        let err = notice_row(b"\xff", 1).unwrap_err();
        assert_eq!(err.code, reject_code::INVALID_UTF8);
    }

    fn notice(id: &str, seq: i64, of: &str, withdrawn: bool) -> Row {
        Row::Notice(NoticeRow {
            id: id.into(),
            stream_seq: seq,
            duplicate_of: of.into(),
            method: "exact".into(),
            similarity: 1.0,
            record_withdrawn: withdrawn,
            json: String::new(),
        })
    }

    #[test]
    fn a_batch_keeps_the_latest_row_of_an_id_and_any_withdrawal() {
        let first = record_row(RECORD.as_bytes(), 3).unwrap();
        let later = record_row(RECORD.as_bytes(), 9).unwrap();
        let rows = [
            Row::Record(later.clone()),
            Row::Record(first),
            notice("b", 5, "a", true),
            notice("b", 8, "c", false),
        ];
        let batch = Batch::merge(&rows);
        assert_eq!(batch.records, vec![later]);
        assert_eq!(batch.notices.len(), 1);
        let kept = &batch.notices[0];
        assert_eq!((kept.stream_seq, kept.duplicate_of.as_str()), (8, "c"));
        assert!(kept.record_withdrawn);
        assert_eq!(batch.ids(), vec!["a".to_string(), "b".to_string()]);
    }

    #[test]
    fn a_notice_reads_its_fields() {
        let row = notice_row(
            br#"{"id":"b","schema_version":1,"duplicate_of":"a","method":"near","similarity":0.9,"threshold":0.6,"record_withdrawn":true,"url":null,"source":null,"title":null,"language":null,"pipeline":[]}"#,
            4,
        )
        .unwrap();
        assert_eq!(
            (
                row.id.as_str(),
                row.duplicate_of.as_str(),
                row.method.as_str()
            ),
            ("b", "a", "near")
        );
        assert!(row.record_withdrawn);
        assert_eq!(row.stream_seq, 4);
    }
}
