//! Reading articles from files and stdin for `newsflow publish`.
//!
//! `.txt` is one plain-text article (id = file stem), `.html`/`.htm` one page,
//! `.json` one article object, `.jsonl`/`.ndjson` one article per line, and `-`
//! JSON lines on stdin. Problems are reported per file and line; the other
//! articles still go.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use newsflow_core::contracts::Article;
use newsflow_core::intake::{IntakeLimits, decode_article};

/// One article ready to publish, or why an input could not become one.
#[derive(Debug)]
pub enum Item {
    Article {
        /// Where it came from, for messages: `file.jsonl:12`.
        origin: String,
        id: String,
        payload: Vec<u8>,
    },
    Skipped {
        origin: String,
        reason: String,
    },
}

/// How strictly inputs are checked before publishing.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    /// Check each article as langid will, and skip (report) invalid ones.
    pub validate: bool,
    pub limits: IntakeLimits,
}

/// Reads every item of one path (`-` for stdin).
pub fn read_path(path: &Path, options: ReadOptions, out: &mut Vec<Item>) {
    let origin = path.display().to_string();
    if path == Path::new("-") {
        let stdin = std::io::stdin();
        read_lines(&origin, stdin.lock(), options, out);
        return;
    }
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("article")
        .to_string();
    match extension.as_str() {
        "jsonl" | "ndjson" => match std::fs::File::open(path) {
            Ok(file) => read_lines(&origin, std::io::BufReader::new(file), options, out),
            Err(err) => out.push(skipped(origin, format!("cannot open: {err}"))),
        },
        "json" | "txt" | "text" | "html" | "htm" => match std::fs::read(path) {
            Ok(bytes) => out.push(match extension.as_str() {
                "json" => from_json(origin, bytes, options),
                "html" | "htm" => from_body(origin, stem, None, Some(bytes), options),
                _ => from_body(origin, stem, Some(bytes), None, options),
            }),
            Err(err) => out.push(skipped(origin, format!("cannot read: {err}"))),
        },
        _ => out.push(skipped(
            origin,
            "unknown file type (expected .txt, .html, .json, .jsonl or .ndjson)".into(),
        )),
    }
}

/// Expands directories into the article files they hold, sorted.
pub fn expand(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut expanded = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut children: Vec<PathBuf> = std::fs::read_dir(path)
                .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            children.retain(|p| {
                p.is_file()
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            });
            children.sort();
            expanded.extend(children);
        } else {
            expanded.push(path.clone());
        }
    }
    expanded
}

fn read_lines(origin: &str, reader: impl BufRead, options: ReadOptions, out: &mut Vec<Item>) {
    for (index, line) in reader.split(b'\n').enumerate() {
        let line_origin = format!("{origin}:{}", index + 1);
        match line {
            Ok(mut bytes) => {
                if bytes.last() == Some(&b'\r') {
                    bytes.pop();
                }
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                out.push(one_location(from_json(line_origin, bytes, options)));
            }
            Err(err) => {
                out.push(skipped(line_origin, format!("cannot read: {err}")));
                return;
            }
        }
    }
}

/// A refusal of one line of a JSON-lines input names the line once: the
/// decoder's own "line 1" is always 1 there, so only its column is kept.
fn one_location(item: Item) -> Item {
    match item {
        Item::Skipped { origin, reason } => Item::Skipped {
            origin,
            reason: reason.replace(" at line 1 column ", " at column "),
        },
        article => article,
    }
}

fn from_json(origin: String, bytes: Vec<u8>, options: ReadOptions) -> Item {
    if !options.validate {
        let id = serde_json::from_slice::<Article>(&bytes)
            .ok()
            .and_then(|a| a.id)
            .unwrap_or_else(|| format!("unvalidated-{}", blake(&bytes)));
        return Item::Article {
            origin,
            id,
            payload: bytes,
        };
    }
    match decode_article(&bytes, options.limits) {
        Ok(article) => Item::Article {
            origin,
            id: article.id.clone().unwrap_or_default(),
            payload: bytes,
        },
        Err(rejection) => skipped(origin, rejection.reason),
    }
}

fn from_body(
    origin: String,
    id: String,
    text: Option<Vec<u8>>,
    html: Option<Vec<u8>>,
    options: ReadOptions,
) -> Item {
    let decode = |bytes: Option<Vec<u8>>| match bytes.map(String::from_utf8).transpose() {
        Ok(text) => Ok(text),
        Err(err) => Err(format!(
            "not valid UTF-8: invalid byte at offset {}",
            err.utf8_error().valid_up_to()
        )),
    };
    let (text, html) = match (decode(text), decode(html)) {
        (Ok(text), Ok(html)) => (text, html),
        (Err(reason), _) | (_, Err(reason)) => return skipped(origin, reason),
    };
    let article = Article {
        id: Some(id.clone()),
        text,
        html,
        ..Default::default()
    };
    let payload = serde_json::to_vec(&article).expect("article serializes");
    if options.validate
        && let Err(rejection) = decode_article(&payload, options.limits)
    {
        return skipped(origin, rejection.reason);
    }
    Item::Article {
        origin,
        id,
        payload,
    }
}

fn skipped(origin: String, reason: String) -> Item {
    Item::Skipped { origin, reason }
}

fn blake(bytes: &[u8]) -> String {
    newsflow_core::intake::derive_id(&Article {
        text: Some(String::from_utf8_lossy(bytes).into_owned()),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: ReadOptions = ReadOptions {
        validate: true,
        limits: IntakeLimits {
            max_payload_bytes: 1 << 20,
            min_text_words: 20,
            short_text: newsflow_core::intake::ShortText::DeadLetter,
            html: newsflow_core::html::HtmlLimits {
                max_depth: 256,
                max_elements: 100_000,
                max_text_bytes: 1 << 20,
            },
        },
    };

    fn read(name: &str, content: &[u8]) -> Vec<Item> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let mut out = Vec::new();
        read_path(&path, OPTIONS, &mut out);
        out
    }

    #[test]
    fn a_text_file_is_one_article_named_by_its_stem() {
        let items = read("001_story.txt", b"Some text");
        let [Item::Article { id, payload, .. }] = items.as_slice() else {
            panic!("{items:?}")
        };
        assert_eq!(id, "001_story");
        let article: Article = serde_json::from_slice(payload).unwrap();
        assert_eq!(article.text.as_deref(), Some("Some text"));
    }

    #[test]
    fn an_html_file_goes_as_html() {
        let items = read("page.html", b"<p>Hi</p>");
        let [Item::Article { payload, .. }] = items.as_slice() else {
            panic!("{items:?}")
        };
        let article: Article = serde_json::from_slice(payload).unwrap();
        assert_eq!(article.html.as_deref(), Some("<p>Hi</p>"));
    }

    #[test]
    fn a_malformed_line_is_reported_with_its_number_and_the_rest_go() {
        let items = read(
            "a.jsonl",
            b"{\"id\":\"1\",\"text\":\"a\"}\n{broken\n\n{\"id\":\"3\",\"text\":\"c\"}\n",
        );
        assert_eq!(items.len(), 3);
        assert!(matches!(&items[0], Item::Article { id, .. } if id == "1"));
        assert!(
            matches!(&items[1], Item::Skipped { origin, reason } if origin.ends_with("a.jsonl:2") && reason.contains("malformed JSON"))
        );
        assert!(matches!(&items[2], Item::Article { id, .. } if id == "3"));
    }

    #[test]
    fn unknown_extensions_and_bad_utf8_are_reported() {
        assert!(
            matches!(&read("x.pdf", b"")[0], Item::Skipped { reason, .. } if reason.contains("unknown file type"))
        );
        assert!(
            matches!(&read("x.txt", b"ab\xff")[0], Item::Skipped { reason, .. } if reason.contains("offset 2"))
        );
    }
}
