//! The table view of `newsflow tail --format table`: a few short lines per
//! message, cut to the terminal's width, for people reading the pipeline's
//! output (the JSON lines are 2–5 KB each).
//!
//! Pure functions from a message's JSON to text, so the layout is tested
//! without NATS; `tail.rs` does the reading and writing.

use serde_json::Value;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use newsflow_core::subjects;

/// What a subject carries, which decides how its messages are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Enriched records (`news.enriched`).
    Record,
    /// Duplicate notices (`news.duplicates`).
    Duplicate,
    /// Dead letters (`news.dlq`), as the object `tail` builds from the headers.
    DeadLetter,
    /// Anything else (articles on `news.raw`, staged articles): id and title.
    Other,
}

impl Kind {
    pub fn of_subject(subject: &str) -> Self {
        match subject {
            subjects::ENRICHED => Self::Record,
            subjects::DUPLICATES => Self::Duplicate,
            subjects::DLQ => Self::DeadLetter,
            _ => Self::Other,
        }
    }
}

/// Entities, countries and categories are labelled in a column this wide.
const LABEL_WIDTH: usize = 12;
const INDENT: &str = "  ";

/// The lines showing one message, none wider than `width` terminal columns.
pub fn render(kind: Kind, message: &Value, width: usize) -> Vec<String> {
    let width = width.max(40);
    match kind {
        Kind::Record if message.is_object() => record(message, width),
        Kind::Duplicate if message.is_object() => duplicate(message, width),
        Kind::DeadLetter if message.is_object() => dead_letter(message, width),
        _ => vec![other(message, width)],
    }
}

/// `id  language  dedup  title`, then the top entities, the countries and the categories.
fn record(record: &Value, width: usize) -> Vec<String> {
    let mut dedup = text_of(&record["dedup"]["status"], "?");
    if record["dedup"]["resend"] == Value::Bool(true) {
        dedup.push_str(" (resend)");
    }
    let head = format!(
        "{}  {}  {}  ",
        text_of(&record["id"], "?"),
        text_of(&record["language"]["code"], "?"),
        dedup
    );
    let title = text_of(&record["title"], "(no title)");
    vec![
        fit(&format!("{head}{title}"), width),
        labelled("entities", &top_entities(record), width),
        labelled("countries", &countries(record), width),
        labelled("categories", &categories(record), width),
    ]
}

/// Entity names, most mentioned first (ties keep the record's order), with
/// the mention count when above one.
fn top_entities(record: &Value) -> Vec<String> {
    let mut entities: Vec<(usize, String)> = items(&record["entities"])
        .iter()
        .map(|entity| {
            let mentions = entity["mentions"].as_array().map_or(1, Vec::len).max(1);
            (mentions, text_of(&entity["name"], "?"))
        })
        .collect();
    // A stable sort keeps known entities before candidates among equals.
    entities.sort_by_key(|(mentions, _)| std::cmp::Reverse(*mentions));
    entities
        .into_iter()
        .map(|(mentions, name)| counted(name, mentions))
        .collect()
}

fn countries(record: &Value) -> Vec<String> {
    items(&record["countries"])
        .iter()
        .map(|country| {
            let count = country["count"].as_u64().unwrap_or(1);
            counted(
                text_of(&country["code"], "?"),
                usize::try_from(count).unwrap_or(usize::MAX),
            )
        })
        .collect()
}

fn categories(record: &Value) -> Vec<String> {
    items(&record["categories"])
        .iter()
        .map(|category| text_of(&category["id"], "?"))
        .collect()
}

fn counted(name: String, count: usize) -> String {
    if count > 1 {
        format!("{name} ×{count}")
    } else {
        name
    }
}

/// `id  language  duplicate of <original> (<method>, similarity <s>)  title`.
fn duplicate(notice: &Value, width: usize) -> Vec<String> {
    let similarity = notice["similarity"]
        .as_f64()
        .map_or_else(|| "?".to_string(), |s| format!("{s:.2}"));
    let line = format!(
        "{}  {}  duplicate of {} ({}, similarity {})  {}",
        text_of(&notice["id"], "?"),
        text_of(&notice["language"]["code"], "?"),
        text_of(&notice["duplicate_of"], "?"),
        text_of(&notice["method"], "?"),
        similarity,
        text_of(&notice["title"], "(no title)"),
    );
    vec![fit(&line, width)]
}

/// `id  stage  code  (subject #sequence)`, then the whole reason, wrapped,
/// and the start of the payload.
fn dead_letter(letter: &Value, width: usize) -> Vec<String> {
    // Raw, to read the id; shown on one line below.
    let payload = letter["payload"].as_str().unwrap_or_default().to_string();
    let head = format!(
        "{}  refused by {}: {}  ({} #{}, delivery {})",
        id_in_payload(&payload).unwrap_or_else(|| "(no id)".to_string()),
        text_of(&letter["stage"], "?"),
        text_of(&letter["error_code"], "?"),
        text_of(&letter["source_subject"], "?"),
        text_of(&letter["source_sequence"], "?"),
        text_of(&letter["deliveries"], "?"),
    );
    let mut lines = vec![fit(&head, width)];
    let reason = text_of(&letter["error"], "(no reason given)");
    let label = format!("{INDENT}{:<LABEL_WIDTH$}", "reason");
    let wrapped = wrap(&reason, width.saturating_sub(label.width()));
    let blank = " ".repeat(label.width());
    for (index, part) in wrapped.into_iter().enumerate() {
        let prefix = if index == 0 { &label } else { &blank };
        lines.push(format!("{prefix}{part}"));
    }
    let payload = if payload.trim().is_empty() {
        "(empty)".to_string()
    } else {
        payload
    };
    lines.push(fit(
        &format!("{INDENT}{:<LABEL_WIDTH$}{}", "payload", one_line(&payload)),
        width,
    ));
    lines
}

/// The article id of a dead letter's payload: a raw article's `id`, or a
/// staged article's `article.id`; `None` when the payload is not such JSON.
fn id_in_payload(payload: &str) -> Option<String> {
    let value: Value = serde_json::from_str(payload).ok()?;
    [&value["id"], &value["article"]["id"]]
        .into_iter()
        .find_map(|id| id.as_str().map(str::to_string))
}

/// Another subject's message: `id  title` of an article, else the text itself.
fn other(message: &Value, width: usize) -> String {
    let article = message.get("article").unwrap_or(message);
    let line = match (article.get("id"), message) {
        (Some(id), _) => format!(
            "{}  {}",
            text_of(id, "?"),
            text_of(&article["title"], "(no title)")
        ),
        (None, Value::String(text)) => one_line(text),
        (None, value) => value.to_string(),
    };
    fit(&line, width)
}

/// `  label       a, b, c, +4 more`, cut to `width`; `none` for an empty list.
fn labelled(label: &str, values: &[String], width: usize) -> String {
    let prefix = format!("{INDENT}{label:<LABEL_WIDTH$}");
    let room = width.saturating_sub(prefix.width());
    format!("{prefix}{}", join_fitting(values, room))
}

/// Joins values with `, ` while they fit in `room` columns, then says how
/// many were left out (`+3 more`). A first value that alone is too wide is cut.
fn join_fitting(values: &[String], room: usize) -> String {
    if values.is_empty() {
        return "none".to_string();
    }
    let mut joined = String::new();
    for (index, value) in values.iter().enumerate() {
        let separator = if index == 0 { "" } else { ", " };
        let left = values.len() - index - 1;
        // Room for ", +N more" must stay when values remain after this one.
        let reserve = if left > 0 {
            format!(", +{left} more").width()
        } else {
            0
        };
        if joined.width() + separator.width() + value.width() + reserve <= room {
            joined.push_str(separator);
            joined.push_str(value);
        } else if index == 0 {
            return fit(value, room);
        } else {
            joined.push_str(&format!(", +{} more", values.len() - index));
            return joined;
        }
    }
    joined
}

/// The line cut to `width` columns, with `…` when longer.
fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut cut = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        cut.push(c);
        used += w;
    }
    cut.push('…');
    cut
}

/// Splits text into lines of at most `width` columns at spaces; a word wider
/// than a line is cut into pieces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(10);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word = word.to_string();
        while word.width() > width {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let mut head = String::new();
            let mut rest = word.chars().peekable();
            while let Some(&c) = rest.peek() {
                if head.width() + c.width().unwrap_or(0) > width {
                    break;
                }
                head.push(c);
                rest.next();
            }
            lines.push(head);
            word = rest.collect();
        }
        if line.is_empty() {
            line = word;
        } else if line.width() + 1 + word.width() <= width {
            line.push(' ');
            line.push_str(&word);
        } else {
            lines.push(std::mem::replace(&mut line, word));
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Control characters and runs of white space as one space, trimmed: a
/// title or reason must not break the table's lines.
fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A field's text on one line; `missing` when null.
fn text_of(value: &Value, missing: &str) -> String {
    match value {
        Value::String(s) => one_line(s),
        Value::Null => missing.to_string(),
        other => other.to_string(),
    }
}

fn items(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample_record() -> Value {
        json!({
            "id": "en-alliance",
            "title": "Alliance ministers agree to send air defence systems to Ukraine after strikes on Kyiv",
            "language": {"code": "eng"},
            "dedup": {"status": "unique", "cluster_id": "en-alliance"},
            "entities": [
                {"name": "NATO", "type": "organization", "mentions": [{}]},
                {"name": "Volodymyr Zelensky", "type": "person", "mentions": [{}, {}, {}]},
                {"name": "Kyiv", "type": "location", "mentions": [{}, {}]},
                {"name": "Mark Rutte", "type": "person", "mentions": [{}]}
            ],
            "countries": [
                {"code": "UA", "count": 4, "names": ["Ukraine"]},
                {"code": "BE", "count": 1, "names": ["Brussels"]}
            ],
            "categories": [{"id": "armed_conflict", "score": 9}, {"id": "politics", "score": 4}]
        })
    }

    #[test]
    fn a_record_shows_its_id_language_dedup_title_and_the_top_entities_first() {
        let lines = render(Kind::Record, &sample_record(), 200);
        assert_eq!(
            lines,
            [
                "en-alliance  eng  unique  Alliance ministers agree to send air defence systems to Ukraine after strikes on Kyiv",
                "  entities    Volodymyr Zelensky ×3, Kyiv ×2, NATO, Mark Rutte",
                "  countries   UA ×4, BE",
                "  categories  armed_conflict, politics",
            ]
        );
    }

    #[test]
    fn every_line_fits_the_width_and_says_what_was_left_out() {
        let lines = render(Kind::Record, &sample_record(), 50);
        for line in &lines {
            assert!(line.width() <= 50, "{line:?} is {} wide", line.width());
        }
        assert_eq!(
            lines[0],
            "en-alliance  eng  unique  Alliance ministers agre…"
        );
        assert_eq!(lines[1], "  entities    Volodymyr Zelensky ×3, +3 more");
    }

    #[test]
    fn empty_lists_say_none_so_a_record_without_entities_shows() {
        let record = json!({
            "id": "zh-jingji", "title": null, "language": {"code": "cmn"},
            "dedup": {"status": "unique", "resend": true},
            "entities": [], "countries": [], "categories": []
        });
        assert_eq!(
            render(Kind::Record, &record, 80),
            [
                "zh-jingji  cmn  unique (resend)  (no title)",
                "  entities    none",
                "  countries   none",
                "  categories  none",
            ]
        );
    }

    #[test]
    fn wide_characters_count_two_columns() {
        // Each CJK character takes two terminal columns.
        let cut = fit("中国经济增长放缓", 9);
        assert_eq!(cut, "中国经济…");
        assert!(cut.width() <= 9);
    }

    #[test]
    fn a_title_with_line_breaks_stays_on_its_line() {
        let record = json!({"id": "x", "title": "one\ntwo\t three\u{7}", "language": {"code": "eng"},
                            "dedup": {"status": "unique"}});
        assert_eq!(
            render(Kind::Record, &record, 80)[0],
            "x  eng  unique  one two three"
        );
    }

    #[test]
    fn a_duplicate_notice_names_the_original_and_the_similarity() {
        let notice = json!({
            "id": "de-strompreise-kopie", "duplicate_of": "de-energie", "method": "near",
            "similarity": 0.934, "threshold": 0.7, "title": "Strompreise sinken",
            "language": {"code": "deu"}
        });
        assert_eq!(
            render(Kind::Duplicate, &notice, 120),
            [
                "de-strompreise-kopie  deu  duplicate of de-energie (near, similarity 0.93)  Strompreise sinken"
            ]
        );
    }

    #[test]
    fn a_dead_letter_shows_its_whole_reason_wrapped_and_the_payload_start() {
        let letter = json!({
            "stage": "langid",
            "error": "field `title`: invalid type: integer `42`, expected a string at line 1 column 29",
            "error_code": "invalid_field",
            "source_subject": "news.raw",
            "source_sequence": "19",
            "deliveries": "1",
            "payload": "{\"id\":\"demo-broken\",\"title\":42,\"text\":\"a title that is a number\"}"
        });
        let lines = render(Kind::DeadLetter, &letter, 60);
        assert_eq!(
            lines,
            [
                "demo-broken  refused by langid: invalid_field  (news.raw #1…",
                "  reason      field `title`: invalid type: integer `42`,",
                "              expected a string at line 1 column 29",
                "  payload     {\"id\":\"demo-broken\",\"title\":42,\"text\":\"a titl…",
            ]
        );
        for line in &lines {
            assert!(line.width() <= 60, "{line:?}");
        }
    }

    #[test]
    fn a_dead_letter_that_is_not_json_has_no_id_and_an_empty_one_says_so() {
        let letter = json!({
            "stage": "langid", "error": "payload is empty", "error_code": "empty",
            "source_subject": "news.raw", "source_sequence": "3", "deliveries": "1",
            "payload": "  \n"
        });
        let lines = render(Kind::DeadLetter, &letter, 100);
        assert_eq!(
            lines[0],
            "(no id)  refused by langid: empty  (news.raw #3, delivery 1)"
        );
        assert_eq!(lines[2], "  payload     (empty)");
    }

    #[test]
    fn a_dead_letter_from_a_later_stage_takes_the_staged_article_id() {
        assert_eq!(
            id_in_payload(r#"{"schema_version":9,"article":{"id":"x-1"}}"#).as_deref(),
            Some("x-1")
        );
        assert_eq!(id_in_payload("not json at all"), None);
    }

    #[test]
    fn a_word_longer_than_the_line_is_cut_into_pieces() {
        assert_eq!(
            wrap("short averyveryverylongword end", 10),
            ["short", "averyveryv", "erylongwor", "d end"]
        );
    }

    #[test]
    fn other_subjects_show_id_and_title_or_the_text() {
        let article = json!({"id": "a", "title": "Hello", "text": "..."});
        assert_eq!(render(Kind::Other, &article, 80), ["a  Hello"]);
        let staged = json!({"schema_version": 1, "article": {"id": "b", "title": null}});
        assert_eq!(render(Kind::Other, &staged, 80), ["b  (no title)"]);
        let text = Value::String("not json at all".into());
        assert_eq!(render(Kind::Other, &text, 80), ["not json at all"]);
        // A record that is not an object falls back to the same view.
        assert_eq!(render(Kind::Record, &text, 80), ["not json at all"]);
    }
}
