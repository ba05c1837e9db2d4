//! Dates: the publication time with its precision, and the days a text names.
//!
//! Relative day words (`yesterday`, `on Monday`, `mercredi`, `أمس الاثنين`,
//! `gestern`, `ayer`) are resolved against a reference time: the publication
//! time when known, else the time the article was fetched. A weekday alone
//! means the last such day on or before the reference (news reports the
//! past), unless marked as next (`next Monday`, `lundi prochain`, `الاثنين المقبل`).

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Duration, NaiveDate, SecondsFormat, Utc, Weekday};
use newsflow_core::contracts::{DateMention, DatePrecision};
use regex::Regex;

use crate::fold::Folded;

/// Normalizes a timestamp to RFC 3339 UTC and says how precise it was.
pub fn parse_timestamp(raw: &str) -> Option<(DateTime<Utc>, DatePrecision)> {
    let raw = raw.trim();
    let precision = precision_of(raw);
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some((t.with_timezone(&Utc), precision));
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(raw) {
        return Some((t.with_timezone(&Utc), precision));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z"] {
        if let Ok(t) = DateTime::parse_from_str(raw, format) {
            return Some((t.with_timezone(&Utc), precision));
        }
    }
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(raw, format) {
            return Some((t.and_utc(), precision));
        }
    }
    let date_part = raw.get(..10).unwrap_or(raw);
    NaiveDate::parse_from_str(date_part, "%Y-%m-%d")
        .ok()
        .map(|d| (midnight(d), DatePrecision::Day))
}

/// RFC 3339 UTC, to the second.
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Whether `t` can be an article's publication time: not before 1990 and
/// not more than a day after the article was received (or after now, when
/// that is unknown). Pages state placeholders such as `0001-01-01`.
pub fn plausible_publication(t: DateTime<Utc>, received: Option<DateTime<Utc>>) -> bool {
    let latest = received.unwrap_or_else(Utc::now) + chrono::Duration::days(1);
    t.year() >= 1990 && t <= latest
}

/// Midnight UTC of a day.
pub fn midnight(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
}

fn precision_of(raw: &str) -> DatePrecision {
    static TIME: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(\d{1,2}):(\d{2})(?::(\d{2}))?").expect("valid regex"));
    let Some(caps) = TIME.captures(raw.get(10..).unwrap_or("")) else {
        return DatePrecision::Day;
    };
    match caps.get(3) {
        Some(s) if s.as_str() != "00" => DatePrecision::Second,
        _ => DatePrecision::Minute,
    }
}

const WEEKDAYS: &[(&str, Weekday)] = &[
    ("monday", Weekday::Mon),
    ("tuesday", Weekday::Tue),
    ("wednesday", Weekday::Wed),
    ("thursday", Weekday::Thu),
    ("friday", Weekday::Fri),
    ("saturday", Weekday::Sat),
    ("sunday", Weekday::Sun),
    ("lundi", Weekday::Mon),
    ("mardi", Weekday::Tue),
    ("mercredi", Weekday::Wed),
    ("jeudi", Weekday::Thu),
    ("vendredi", Weekday::Fri),
    ("samedi", Weekday::Sat),
    ("dimanche", Weekday::Sun),
    ("الاثنين", Weekday::Mon),
    ("الثلاثاء", Weekday::Tue),
    ("الاربعاء", Weekday::Wed),
    ("الخميس", Weekday::Thu),
    ("الجمعه", Weekday::Fri),
    ("السبت", Weekday::Sat),
    ("الاحد", Weekday::Sun),
    ("montag", Weekday::Mon),
    ("dienstag", Weekday::Tue),
    ("mittwoch", Weekday::Wed),
    ("donnerstag", Weekday::Thu),
    ("freitag", Weekday::Fri),
    ("samstag", Weekday::Sat),
    ("sonntag", Weekday::Sun),
    ("lunes", Weekday::Mon),
    ("martes", Weekday::Tue),
    ("miercoles", Weekday::Wed),
    ("jueves", Weekday::Thu),
    ("viernes", Weekday::Fri),
    ("sabado", Weekday::Sat),
    ("domingo", Weekday::Sun),
];

/// Day words relative to the reference: yesterday, today, tomorrow.
const DAY_WORDS: &[(&str, i64)] = &[
    ("day before yesterday", -2),
    ("yesterday", -1),
    ("today", 0),
    ("tomorrow", 1),
    ("avant hier", -2),
    ("hier", -1),
    ("aujourd hui", 0),
    ("demain", 1),
    ("امس", -1),
    ("اليوم", 0),
    ("غدا", 1),
    ("vorgestern", -2),
    ("gestern", -1),
    ("heute", 0),
    ("anteayer", -2),
    ("ayer", -1),
    ("hoy", 0),
];

const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("sept", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
    ("janvier", 1),
    ("fevrier", 2),
    ("mars", 3),
    ("avril", 4),
    ("mai", 5),
    ("juin", 6),
    ("juillet", 7),
    ("aout", 8),
    ("septembre", 9),
    ("octobre", 10),
    ("novembre", 11),
    ("decembre", 12),
    ("januar", 1),
    ("februar", 2),
    ("marz", 3),
    ("juni", 6),
    ("juli", 7),
    ("oktober", 10),
    ("dezember", 12),
    ("enero", 1),
    ("febrero", 2),
    ("marzo", 3),
    ("abril", 4),
    ("mayo", 5),
    ("junio", 6),
    ("julio", 7),
    ("agosto", 8),
    ("septiembre", 9),
    ("octubre", 10),
    ("noviembre", 11),
    ("diciembre", 12),
    ("يناير", 1),
    ("فبراير", 2),
    ("مارس", 3),
    ("ابريل", 4),
    ("مايو", 5),
    ("يونيو", 6),
    ("يوليو", 7),
    ("اغسطس", 8),
    ("سبتمبر", 9),
    ("اكتوبر", 10),
    ("نوفمبر", 11),
    ("ديسمبر", 12),
];

fn alternation<T>(words: &[(&str, T)]) -> String {
    let mut words: Vec<&str> = words.iter().map(|(w, _)| *w).collect();
    // Longest first, so `sept` wins over `sep`.
    words.sort_by_key(|w| std::cmp::Reverse(w.len()));
    words.join("|")
}

/// The day expressions pattern, with `boundary` for each word boundary.
fn day_expr_pattern(boundary: &str) -> String {
    let weekday = alternation(WEEKDAYS);
    let day_word = alternation(DAY_WORDS);
    let month = alternation(MONTHS);
    let b = boundary;
    format!(
        r"(?x)
        (?P<iso>{b}(?P<iy>\d{{4}})\ (?P<im>\d{{2}})\ (?P<id>\d{{2}}){b})
      | (?P<dmy>{b}(?P<d1>\d{{1,2}})(?:er|st|nd|rd|th)?\.?\ (?:de\ )?(?P<m1>{month}){b}\.?(?:\ (?:de\ )?(?P<y1>\d{{4}}))?)
      | (?P<mdy>{b}(?P<m2>{month}){b}\.?\ (?P<d2>\d{{1,2}}){b}(?:,?\ (?P<y2>\d{{4}}))?)
      | (?P<rel>(?:{b}|[وف])(?P<word>{day_word})(?:\ (?P<wd1>{weekday}))?{b})
      | (?P<wd>(?:{b}|[وف])(?:(?P<next>next|this\ coming)\ )?(?P<wd2>{weekday}){b}(?P<next2>\ (?:prochain|prochaine|المقبل|القادم|que\ viene|nachsten))?)
        "
    )
}

/// Day expressions over the folded text (lower case, no diacritics, Arabic
/// folded, hyphens as spaces: `2024-01-15` reads `2024 01 15`).
static DAY_EXPR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&day_expr_pattern(r"\b")).expect("valid regex"));

/// [`DAY_EXPR`] without its word boundaries: where a day expression may be.
/// It matches wherever `DAY_EXPR` does (and more), and without the Unicode
/// `\b`, which the regex engine's DFA cannot check beyond ASCII, it runs on
/// the DFA over Arabic or Cyrillic text too, where `DAY_EXPR` needs the slow
/// engine (about 1 ms per article over the whole text).
static DAY_EXPR_LOOSE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&day_expr_pattern("")).expect("valid regex"));

/// Bytes searched before a hint (an Arabic و/ف prefix).
const HINT_WINDOW_BEFORE: usize = 16;

/// Bytes searched after a hint: the most a [`DAY_EXPR`] match can take
/// (such as `15 de septiembre de 2024`), so that one starting in the hint
/// fits. The search clears a bit per byte of it for every state of the
/// pattern, the dearest part of it beyond ASCII: the window is no longer
/// than it must be.
static HINT_WINDOW_AFTER: LazyLock<usize> = LazyLock::new(|| {
    regex_automata::util::syntax::parse(&day_expr_pattern(r"\b"))
        .expect("valid regex")
        .properties()
        .maximum_len()
        .expect("a day expression has a longest match")
});

/// The days `text` names. `reference` resolves relative words.
///
/// Finds what `DAY_EXPR.captures_iter` over the whole text finds, but runs
/// [`DAY_EXPR`] only in small windows around the hits (hints) of
/// [`DAY_EXPR_LOOSE`]. Every `DAY_EXPR` match is a loose match, so each one
/// starts inside a hint (a loose match starting sooner would have been the
/// hint); a window's search takes the matches starting up to its hint's end,
/// from where the last one ended.
pub fn dates_mentioned(text: &str, folded: &Folded, reference: DateTime<Utc>) -> Vec<DateMention> {
    let haystack = folded.text.as_str();
    let mut matches = Vec::new();
    let mut searched_to = 0;
    for hint in DAY_EXPR_LOOSE.find_iter(haystack) {
        // A hint the last match ends inside may still hold the next start.
        if hint.end() <= searched_to {
            continue;
        }
        let mut at =
            floor_char(haystack, hint.start().saturating_sub(HINT_WINDOW_BEFORE)).max(searched_to);
        // End the window at white space so no expression is cut short.
        let mut end = floor_char(
            haystack,
            (hint.end() + *HINT_WINDOW_AFTER).min(haystack.len()),
        );
        end = haystack[end..]
            .find(char::is_whitespace)
            .map_or(haystack.len(), |i| end + i);
        let window = &haystack[..end];
        // No `DAY_EXPR` match starts before the next loose one: skip to it on
        // the fast engine.
        while let Some(loose) = DAY_EXPR_LOOSE.find_at(window, at) {
            if loose.start() > hint.end() {
                break;
            }
            let Some(caps) = DAY_EXPR.captures_at(window, loose.start()) else {
                break;
            };
            let whole = caps.get(0).expect("group 0");
            if whole.start() > hint.end() {
                break;
            }
            at = whole.end().max(at + 1);
            searched_to = whole.end();
            matches.push(caps);
            if at >= window.len() {
                break;
            }
            at = ceil_char(window, at);
        }
        searched_to = searched_to.max(hint.end());
    }
    resolve(text, folded, reference, matches)
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Dates for the matched expressions.
fn resolve(
    text: &str,
    folded: &Folded,
    reference: DateTime<Utc>,
    matches: Vec<regex::Captures<'_>>,
) -> Vec<DateMention> {
    let today = reference.date_naive();
    let mut out = Vec::new();
    for caps in matches {
        let whole = caps.get(0).expect("group 0");
        let (date, kind, start_byte) = if caps.name("iso").is_some() {
            let date = ymd(&caps["iy"], &caps["im"], &caps["id"]);
            (date, "absolute", whole.start())
        } else if caps.name("dmy").is_some() {
            let (date, kind) = day_month(&caps["d1"], &caps["m1"], caps.name("y1"), today);
            (date, kind, whole.start())
        } else if caps.name("mdy").is_some() {
            let (date, kind) = day_month(&caps["d2"], &caps["m2"], caps.name("y2"), today);
            (date, kind, whole.start())
        } else if let Some(word) = caps.name("word") {
            let offset = lookup(DAY_WORDS, word.as_str()).unwrap_or(0);
            (
                today.checked_add_signed(Duration::days(offset)),
                "relative",
                word.start(),
            )
        } else if let Some(day) = caps.name("wd2") {
            let weekday = lookup(WEEKDAYS, day.as_str()).expect("matched a weekday");
            let next = caps.name("next").is_some() || caps.name("next2").is_some();
            let start = caps.name("next").map_or(day.start(), |m| m.start());
            (
                Some(resolve_weekday(today, weekday, next)),
                "relative",
                start,
            )
        } else {
            continue;
        };
        let Some(date) = date else {
            continue;
        };
        let end_byte = whole.end();
        let (start, end) = folded.char_span(start_byte, end_byte);
        let (bs, be) = folded.byte_span(start, end);
        out.push(DateMention {
            text: text[bs..be].to_string(),
            start,
            end,
            date: iso_day(date),
            kind: kind.to_string(),
        });
    }
    out
}

/// `2024-01-15`: what `date.format("%Y-%m-%d")` writes, without parsing
/// the format string for every date.
fn iso_day(date: NaiveDate) -> String {
    if (0..=9999).contains(&date.year()) {
        format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
    } else {
        date.format("%Y-%m-%d").to_string()
    }
}

/// Whether `word` names a day of the week in a language of [`WEEKDAYS`]
/// (folded, as the text is matched: `الاربعاء`, `jeudi`).
pub(crate) fn is_weekday(word: &str) -> bool {
    lookup(WEEKDAYS, &crate::fold::fold_str(word)).is_some()
}

fn lookup<T: Copy>(table: &[(&str, T)], word: &str) -> Option<T> {
    table.iter().find(|(w, _)| *w == word).map(|&(_, v)| v)
}

fn ymd(y: &str, m: &str, d: &str) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// A day and month, with the year when given, else the such day nearest to
/// the reference (`year_inferred`): `November 13` in January is last
/// November, `from June 1` in May is this June.
fn day_month(
    day: &str,
    month: &str,
    year: Option<regex::Match<'_>>,
    today: NaiveDate,
) -> (Option<NaiveDate>, &'static str) {
    let (Ok(day), Some(month)) = (day.parse::<u32>(), lookup(MONTHS, month)) else {
        return (None, "absolute");
    };
    if let Some(year) = year.and_then(|y| y.as_str().parse::<i32>().ok()) {
        return (NaiveDate::from_ymd_opt(year, month, day), "absolute");
    }
    let date = [today.year() - 1, today.year(), today.year() + 1]
        .into_iter()
        .filter_map(|y| NaiveDate::from_ymd_opt(y, month, day))
        .min_by_key(|d| (*d - today).num_days().abs());
    (date, "year_inferred")
}

/// The last `weekday` on or before `today`, or the first one after it when `next`.
pub fn resolve_weekday(today: NaiveDate, weekday: Weekday, next: bool) -> NaiveDate {
    let from = today.weekday().num_days_from_monday() as i64;
    let to = weekday.num_days_from_monday() as i64;
    if next {
        let ahead = (to - from).rem_euclid(7);
        today + Duration::days(if ahead == 0 { 7 } else { ahead })
    } else {
        today - Duration::days((from - to).rem_euclid(7))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn found(text: &str, reference: &str) -> Vec<(String, String, String)> {
        let folded = Folded::new(text);
        dates_mentioned(text, &folded, at(reference))
            .into_iter()
            .map(|d| (d.text, d.date, d.kind))
            .collect()
    }

    #[test]
    fn searching_around_hints_finds_what_a_whole_text_search_finds() {
        let samples =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/local/samples");
        let mut texts: Vec<String> = std::fs::read_dir(samples)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        texts.push("Le 15 septembre 2024, puis lundi prochain; on Monday, November 13 and 2024-01-15, وأمس الاثنين والثلاثاء المقبل".repeat(3));
        // Real news in three languages, when the shared corpus is beside the checkout.
        let news =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/news");
        for file in [
            "saudinewsnet_ar.jsonl",
            "masakhanews_en_fr.jsonl",
            "ecbplus_en_events.jsonl",
        ] {
            if let Ok(lines) = std::fs::read_to_string(news.join(file)) {
                for line in lines.lines().take(60) {
                    let article: serde_json::Value = serde_json::from_str(line).unwrap();
                    texts.push(article["text"].as_str().unwrap_or_default().to_string());
                }
            }
        }
        let reference = at("2024-01-17T12:00:00Z");
        for text in texts {
            let folded = Folded::new(&text);
            let whole: Vec<_> = DAY_EXPR.captures_iter(&folded.text).collect();
            let expected = resolve(&text, &folded, reference, whole);
            assert_eq!(
                dates_mentioned(&text, &folded, reference),
                expected,
                "{text}"
            );
        }
    }

    #[test]
    fn days_are_written_as_chrono_writes_them() {
        for (y, m, d) in [
            (2024, 1, 15),
            (0, 3, 1),
            (999, 12, 31),
            (9999, 12, 31),
            (10000, 1, 1),
            (-5, 6, 7),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(iso_day(date), date.format("%Y-%m-%d").to_string());
        }
    }

    #[test]
    fn timestamps_keep_their_precision() {
        let (t, p) = parse_timestamp("2025-06-12T09:30:00Z").unwrap();
        assert_eq!(
            (format_timestamp(t).as_str(), p),
            ("2025-06-12T09:30:00Z", DatePrecision::Minute)
        );
        let (t, p) = parse_timestamp("2024-03-01T10:00:17+02:00").unwrap();
        assert_eq!(
            (format_timestamp(t).as_str(), p),
            ("2024-03-01T08:00:17Z", DatePrecision::Second)
        );
        let (t, p) = parse_timestamp("2024-01-15").unwrap();
        assert_eq!(
            (format_timestamp(t).as_str(), p),
            ("2024-01-15T00:00:00Z", DatePrecision::Day)
        );
        assert_eq!(
            parse_timestamp("Mon, 15 Jan 2024 10:30:00 +0100")
                .unwrap()
                .1,
            DatePrecision::Minute
        );
        assert!(parse_timestamp("last tuesday").is_none());
    }

    #[test]
    fn relative_days_in_english_french_and_arabic() {
        // 2024-01-17 is a Wednesday.
        let r = "2024-01-17T12:00:00Z";
        assert_eq!(
            found("officials said on Monday and yesterday", r),
            vec![
                ("Monday".into(), "2024-01-15".into(), "relative".into()),
                ("yesterday".into(), "2024-01-16".into(), "relative".into()),
            ]
        );
        assert_eq!(
            found("a indiqué mercredi le directeur", r),
            vec![("mercredi".into(), "2024-01-17".into(), "relative".into())]
        );
        assert_eq!(
            found("على موقعها أمس الاثنين، إن", r),
            vec![("أمس الاثنين".into(), "2024-01-16".into(), "relative".into())]
        );
        assert_eq!(
            found("reprendra lundi prochain", r),
            vec![(
                "lundi prochain".into(),
                "2024-01-22".into(),
                "relative".into()
            )]
        );
    }

    #[test]
    fn absolute_dates() {
        let r = "2024-01-17T12:00:00Z";
        assert_eq!(
            found("le 15 janvier 2024 et on January 3, 2023; 2022-12-01", r),
            vec![
                (
                    "15 janvier 2024".into(),
                    "2024-01-15".into(),
                    "absolute".into()
                ),
                (
                    "January 3, 2023".into(),
                    "2023-01-03".into(),
                    "absolute".into()
                ),
                ("2022-12-01".into(), "2022-12-01".into(), "absolute".into()),
            ]
        );
        assert_eq!(
            found("the November 13 attacks", r),
            vec![(
                "November 13".into(),
                "2023-11-13".into(),
                "year_inferred".into()
            )]
        );
        assert_eq!(
            found("a night ferry from June 1", "2024-05-02T07:30:00Z"),
            vec![("June 1".into(), "2024-06-01".into(), "year_inferred".into())]
        );
    }

    #[test]
    fn weekdays_resolve_backwards_unless_next() {
        let wed = NaiveDate::from_ymd_opt(2024, 1, 17).unwrap();
        assert_eq!(resolve_weekday(wed, Weekday::Wed, false), wed);
        assert_eq!(
            resolve_weekday(wed, Weekday::Thu, false).to_string(),
            "2024-01-11"
        );
        assert_eq!(
            resolve_weekday(wed, Weekday::Wed, true).to_string(),
            "2024-01-24"
        );
    }
}
