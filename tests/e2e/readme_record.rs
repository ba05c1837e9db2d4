//! The README's example record is the real record of one of the project's
//! samples (`deploy/local/samples/en-alliance.txt`): the flow test hands the
//! record the pipeline produced to [`check`], so the README cannot drift from
//! the output again.
//!
//! In the README's block `…` marks what is left out: the string `"…"` stands
//! for any value, `…` inside a string for any text there, and an array
//! element `"…"` for any number of elements. Everything else must be as
//! produced, and every object must list every key the record has.

use std::path::Path;

use serde_json::Value;

/// The sample whose record the README shows.
pub const SAMPLE_ID: &str = "en-alliance";

/// The line of README.md just above the checked block.
const MARKER: &str = "<!-- the record of deploy/local/samples/en-alliance.txt, checked by tests/e2e/readme_record.rs -->";

const ELIDED: &str = "…";

/// Panics, showing the whole real record, when the README's block does not
/// match `record`.
pub fn check(record: &Value) {
    let block = readme_block();
    if let Err(difference) = matches(&block, record, "record") {
        panic!(
            "README.md's example record differs from the pipeline's output for {SAMPLE_ID}: \
             {difference}.\nUpdate the block below `{MARKER}` from the real record:\n{}",
            serde_json::to_string_pretty(record).unwrap()
        );
    }
}

/// The JSON block that follows the marker in README.md.
fn readme_block() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let after_marker = readme
        .split_once(MARKER)
        .unwrap_or_else(|| panic!("README.md has no line `{MARKER}`"))
        .1;
    let block = after_marker
        .split_once("```json\n")
        .and_then(|(_, rest)| rest.split_once("\n```"))
        .unwrap_or_else(|| panic!("no ```json block after `{MARKER}` in README.md"))
        .0;
    serde_json::from_str(block)
        .unwrap_or_else(|e| panic!("README.md's example record is not JSON: {e}"))
}

/// Whether `real` is what `pattern` shows; the error names the first place
/// where they differ.
fn matches(pattern: &Value, real: &Value, path: &str) -> Result<(), String> {
    match (pattern, real) {
        (Value::String(p), _) if p == ELIDED => Ok(()),
        (Value::String(p), Value::String(r)) if p.contains(ELIDED) => {
            if text_matches(p, r) {
                Ok(())
            } else {
                Err(format!("{path} is {r:?}, not {p:?}"))
            }
        }
        (Value::Object(p), Value::Object(r)) => {
            let shown: Vec<&String> = p.keys().collect();
            let produced: Vec<&String> = r.keys().collect();
            let mut missing: Vec<&&String> =
                produced.iter().filter(|k| !p.contains_key(**k)).collect();
            missing.sort();
            if !missing.is_empty() {
                return Err(format!(
                    "{path} has keys the README leaves out: {missing:?}"
                ));
            }
            for key in shown {
                let Some(value) = r.get(key) else {
                    return Err(format!("{path} has no key {key:?}"));
                };
                matches(&p[key], value, &format!("{path}.{key}"))?;
            }
            Ok(())
        }
        (Value::Array(p), Value::Array(r)) => {
            if elements_match(p, r, path) {
                Ok(())
            } else {
                Err(format!(
                    "{path} is {}, not {}",
                    Value::Array(r.clone()),
                    Value::Array(p.clone())
                ))
            }
        }
        _ if pattern == real => Ok(()),
        _ => Err(format!("{path} is {real}, not {pattern}")),
    }
}

/// Array elements in order, where a `"…"` element takes any number of them.
fn elements_match(pattern: &[Value], real: &[Value], path: &str) -> bool {
    match pattern.split_first() {
        None => real.is_empty(),
        Some((Value::String(p), rest)) if p == ELIDED => {
            (0..=real.len()).any(|skip| elements_match(rest, &real[skip..], path))
        }
        Some((first, rest)) => real.split_first().is_some_and(|(r, real_rest)| {
            matches(first, r, path).is_ok() && elements_match(rest, real_rest, path)
        }),
    }
}

/// Text where each `…` of the pattern stands for any text (none included).
fn text_matches(pattern: &str, real: &str) -> bool {
    let mut parts = pattern.split(ELIDED);
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = real.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    for (index, part) in parts.iter().enumerate() {
        if index + 1 == parts.len() {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn elisions_stand_for_what_they_leave_out_and_nothing_else_passes() {
        let real = json!({"id": "a", "n": 3, "list": [1, 2, 3, 4], "text": "2026-03-10T00:00:00Z",
                          "nested": {"x": null}});
        let ok = json!({"id": "a", "n": 3, "list": [1, "…", 4], "text": "…-03-10T00:00:00Z",
                        "nested": "…"});
        assert_eq!(matches(&ok, &real, "r"), Ok(()));
        assert_eq!(
            matches(
                &json!({"id": "a", "n": 3, "list": "…", "text": "…", "nested": {"x": 1}}),
                &real,
                "r"
            ),
            Err("r.nested.x is null, not 1".to_string())
        );
        // A key the README leaves out is a difference, not an elision.
        assert!(
            matches(
                &json!({"id": "a", "n": 3, "list": "…", "text": "…"}),
                &real,
                "r"
            )
            .unwrap_err()
            .contains("\"nested\"")
        );
        // An array without `…` must have exactly its elements.
        assert!(matches(&json!([1, 2, 3]), &json!([1, 2, 3, 4]), "r").is_err());
        assert!(matches(&json!([1, "…"]), &json!([1, 2, 3, 4]), "r").is_ok());
        assert!(matches(&json!(["…", 5]), &json!([1, 2, 3, 4]), "r").is_err());
    }

    #[test]
    fn an_ellipsis_in_text_matches_any_text_at_that_place() {
        assert!(text_matches("NATO …", "NATO Secretary General"));
        assert!(text_matches("…-03-10", "2026-03-10"));
        assert!(text_matches("a…c…e", "abcde"));
        assert!(!text_matches("a…c…e", "abdef"));
        assert!(!text_matches("NATO …", "EU"));
        assert!(text_matches("plain", "plain"));
        assert!(!text_matches("plain", "plainer"));
    }
}
