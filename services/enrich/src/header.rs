//! Datelines and bylines at the head of an article.
//!
//! Recognises the lines crawlers leave above the body:
//! `date 2024-01-15 Dina Mahmoud (London)`, `LONDON, Jan 15 (Reuters) -`,
//! `By Jane Doe`. Each recognised line is removed from the text.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

/// What the head of an article said about it.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Header {
    pub date: Option<NaiveDate>,
    pub authors: Vec<String>,
    pub location: Option<String>,
    /// The date of an agency dateline as written (`March 10`, `Jan 15`),
    /// which has no year: the caller resolves it against a reference time.
    pub date_text: Option<String>,
}

/// `date 2024-01-15 Dina Mahmoud (London)`: date, author(s), place.
static DATE_AUTHOR_PLACE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?i:date)[:\s]+(\d{4}-\d{2}-\d{2})(?:[ T][\d:]+)?\s+(.*?)\s*(?:\(([^()]+)\))?\s*$",
    )
    .expect("valid regex")
});

/// `By Jane Doe and John Roe` (short, no sentence punctuation).
static BYLINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:By|BY|Par|PAR|Von|Por|بقلم|كتب)[:\s]+([^.!?;:]{2,80})$").expect("valid regex")
});

/// `LONDON, Jan 15 (Reuters) -` or `PARIS (AFP) —`: a place in capitals, an agency.
static AGENCY_DATELINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([A-Z][A-Z .'-]{2,40}?)(?:,([^()\n]{1,30}))?\s*\((?:Reuters|AFP|AP|dpa|ANSA|EFE|UPI)\)\s*[-–—]\s*")
        .expect("valid regex")
});

/// Reads the header lines at the start of `text`; returns what they said and
/// the text without them.
pub fn split_header(text: &str) -> (Header, String) {
    let mut header = Header::default();
    // Header lines taken out, by their index among the text's lines.
    let mut removed: Vec<usize> = Vec::new();
    // Only the first few non-empty lines can be a header.
    let mut looked_at = 0;
    for (index, line) in newsflow_core::text::lines(text).enumerate() {
        if looked_at == 3 {
            break;
        }
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        looked_at += 1;
        if let Some(caps) = DATE_AUTHOR_PLACE.captures(line) {
            header.date = NaiveDate::parse_from_str(&caps[1], "%Y-%m-%d").ok();
            header
                .authors
                .extend(split_names(caps.get(2).map_or("", |m| m.as_str())));
            header.location = caps.get(3).map(|m| m.as_str().trim().to_string());
            removed.push(index);
            continue;
        }
        if let Some(caps) = BYLINE.captures(line) {
            header.authors.extend(split_names(&caps[1]));
            removed.push(index);
            continue;
        }
        if let Some(caps) = AGENCY_DATELINE.captures(line) {
            if header.location.is_none() {
                header.location = Some(title_case(caps[1].trim()));
            }
            header.date_text = caps.get(2).map(|m| m.as_str().trim().to_string());
            let rest = &line[caps.get(0).map_or(0, |m| m.end())..];
            return (header, lines_kept(text, &removed, Some((index, rest))));
        }
    }
    // The lines joined again give the text itself unless a line was taken
    // out, a line ends with `\r` or the text with a line break: the common
    // case needs no list of every line.
    if removed.is_empty() && !text.contains('\r') && !text.ends_with('\n') {
        return (header, text.to_string());
    }
    (header, lines_kept(text, &removed, None))
}

/// The lines of `text` but those at the indexes `removed`, the line at
/// `replaced`'s index written as its text, joined with `\n`.
fn lines_kept(text: &str, removed: &[usize], replaced: Option<(usize, &str)>) -> String {
    newsflow_core::text::lines(text)
        .enumerate()
        .filter(|(i, _)| !removed.contains(i))
        .map(|(i, line)| match replaced {
            Some((at, rest)) if at == i => rest,
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn split_names(s: &str) -> Vec<String> {
    s.split([',', '&'])
        .flat_map(|part| part.split(" and "))
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .collect()
}

fn title_case(s: &str) -> String {
    s.split(' ')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first
                    .to_uppercase()
                    .chain(chars.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_date_author_place_header() {
        let (header, text) = split_header(" date 2024-01-15 Dina Mahmoud (London)\n\nThe body.");
        assert_eq!(header.date, NaiveDate::from_ymd_opt(2024, 1, 15));
        assert_eq!(header.authors, vec!["Dina Mahmoud"]);
        assert_eq!(header.location.as_deref(), Some("London"));
        assert_eq!(text.trim(), "The body.");
    }

    #[test]
    fn reads_bylines_with_several_authors() {
        let (header, text) = split_header("Title line\nBy Jane Doe and John Roe\nBody text here.");
        assert_eq!(header.authors, vec!["Jane Doe", "John Roe"]);
        assert_eq!(text, "Title line\nBody text here.");
    }

    #[test]
    fn reads_agency_datelines() {
        let (header, text) = split_header("PARIS, Jan 15 (Reuters) - Police said on Monday.");
        assert_eq!(header.location.as_deref(), Some("Paris"));
        assert_eq!(header.date_text.as_deref(), Some("Jan 15"));
        assert_eq!(text, "Police said on Monday.");
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        let body = "By the end of the year, prices rose.\nSecond line.";
        let (header, text) = split_header(body);
        assert_eq!(header, Header::default());
        assert_eq!(text, body);
    }

    #[test]
    fn the_rest_is_the_lines_joined_as_before() {
        // What the whole list of lines joined again gave, every line read.
        let joined = |text: &str| text.lines().collect::<Vec<_>>().join("\n");
        for text in [
            "",
            "\n",
            "One line.",
            "One line.\n",
            "Two\r\nlines.\r\n",
            "Title\n\nBody.\n\n",
            "Title\nBy Jane Doe\nBody.\r\nMore.\n",
            "Title\n\n\n\n\nBody after blank lines.",
            "Carriage\rreturn alone",
        ] {
            let (header, rest) = split_header(text);
            if header == Header::default() {
                assert_eq!(rest, joined(text), "{text:?}");
            }
        }
        let (_, rest) = split_header("Title\r\nBy Jane Doe\r\nBody.\n");
        assert_eq!(rest, "Title\nBody.");
    }
}
