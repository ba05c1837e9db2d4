//! Issue 12 item 6: a corpus of hostile and broken inputs. Every one ends as
//! a dead letter with a specific code and reason, or as a valid record, never
//! in silence; the services stay up and their memory stays bounded.

use std::time::Duration;

use newsflow_core::subjects;
use newsflow_tests::publish;
use serde_json::json;

use crate::stalls::distinct_text;
use crate::{Outcomes, Stack, wait_for_outcomes};

/// What must become of one input.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// A dead letter from langid with this code, its reason containing the text.
    DeadLetter(&'static str, &'static str),
    /// An enriched record (the input is valid, however odd).
    Record,
}

/// Twenty-odd distinct words, enough for `text.min_words`.
const WORDS: &str = "The harbour authority will run a night ferry from June with boats \
    leaving every forty minutes after midnight and tickets costing the same as daytime fares";

fn article(id: &str, text: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"id": id, "text": text})).unwrap()
}

fn corpus() -> Vec<(&'static str, Vec<u8>, Expect)> {
    use Expect::{DeadLetter, Record};
    // Inputs that must become records each get a text of their own, so
    // that none is a copy of another.
    let mut seed = 0;
    let mut words_with = |extra: &str| {
        seed += 1;
        format!("{} {extra}", distinct_text(seed, 40))
    };
    let deep_json = format!(
        r#"{{"id":"deep-json","text":"{WORDS}","extra":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let deep_html = format!(
        "<html><body>{}<p>{}</p>{}</body></html>",
        "<div>".repeat(40_000),
        words_with("nested"),
        "</div>".repeat(40_000)
    );
    let huge_line = words_with(&"lorem ipsum dolor sit amet ".repeat(80_000)); // 2.1 MB, no line break
    let oversized = "x".repeat(5 * 1024 * 1024);
    vec![
        ("truncated-json", br#"{"id":"truncated-json","text":"The harbour"#.to_vec(), DeadLetter("invalid_json", "EOF")),
        ("trailing-data", format!(r#"{{"id":"trailing-data","text":"{WORDS}"}} trailing"#).into_bytes(), DeadLetter("invalid_json", "trailing")),
        ("json-array", br#"[{"id":"json-array"}]"#.to_vec(), DeadLetter("invalid_json", "JSON object")),
        ("json-string", br#""just a string""#.to_vec(), DeadLetter("invalid_json", "JSON object")),
        ("json-number", b"42".to_vec(), DeadLetter("invalid_json", "JSON object")),
        ("json-null", b"null".to_vec(), DeadLetter("invalid_json", "JSON object")),
        ("json-bool", b"true".to_vec(), DeadLetter("invalid_json", "JSON object")),
        ("empty", Vec::new(), DeadLetter("empty", "empty")),
        ("whitespace-only", b" \n\t \r\n".to_vec(), DeadLetter("empty", "empty")),
        ("text-number", br#"{"id":"text-number","text":12345}"#.to_vec(), DeadLetter("invalid_field", "`text`")),
        ("id-object", format!(r#"{{"id":{{"a":1}},"text":"{WORDS}"}}"#).into_bytes(), DeadLetter("invalid_field", "`id`")),
        ("title-array", format!(r#"{{"id":"title-array","title":["a"],"text":"{WORDS}"}}"#).into_bytes(), DeadLetter("invalid_field", "`title`")),
        ("html-number", br#"{"id":"html-number","html":7}"#.to_vec(), DeadLetter("invalid_field", "`html`")),
        ("invalid-utf8", [br#"{"id":"invalid-utf8","text":"caf"#.as_slice(), b"\xe9 ", WORDS.as_bytes(), b"\"}"].concat(), DeadLetter("invalid_utf8", "offset")),
        ("overlong-utf8", [br#"{"id":"overlong-utf8","text":""#.as_slice(), b"\xc0\x80", WORDS.as_bytes(), b"\"}"].concat(), DeadLetter("invalid_utf8", "offset")),
        ("lone-surrogate", format!(r#"{{"id":"lone-surrogate","text":"\ud800 {WORDS}"}}"#).into_bytes(), DeadLetter("invalid_json", "escape")),
        ("raw-control-char", [br#"{"id":"raw-control-char","text":"a"#.as_slice(), b"\x01", WORDS.as_bytes(), b"\"}"].concat(), DeadLetter("invalid_json", "control character")),
        ("nul-escaped", article("nul-escaped", &words_with("\u{0}\u{0} nul \u{0}")), Record),
        ("bidi-controls", serde_json::to_vec(&json!({"id": "bidi-controls", "title": "\u{202e}gnp.exe\u{202c} update", "text": words_with("\u{202e}reversed\u{202c} \u{2066}isolate\u{2069}")})).unwrap(), Record),
        ("bom-prefix", [b"\xef\xbb\xbf".as_slice(), &article("bom-prefix", &words_with("after a byte order mark"))].concat(), Record),
        ("bom-inside-text", article("bom-inside-text", &format!("\u{feff}{}", words_with(""))), Record),
        ("deep-json", deep_json.into_bytes(), DeadLetter("invalid_json", "recursion")),
        ("deep-html", serde_json::to_vec(&json!({"id": "deep-html", "html": deep_html})).unwrap(), Record),
        ("huge-single-line", article("huge-single-line", &huge_line), Record),
        ("script-only-page", serde_json::to_vec(&json!({"id": "script-only-page", "html": format!("<html><head><script>{}</script></head><body><script>render()</script></body></html>", "var x = 1;".repeat(5000))})).unwrap(), DeadLetter("no_text", "visible text")),
        ("emoji-only", article("emoji-only", &"🔥🚀 😀 🎉 ".repeat(30)), DeadLetter("no_text", "words")),
        ("digits-only", article("digits-only", &(1..60).map(|n| (n * 7919).to_string()).collect::<Vec<_>>().join(" ")), Record),
        ("oversized", article("oversized", &oversized), DeadLetter("too_large", "limit")),
        ("no-text-no-html", br#"{"id":"no-text-no-html","title":"Only a title"}"#.to_vec(), DeadLetter("no_content", "`text` and `html`")),
        ("no-id", serde_json::to_vec(&json!({"text": words_with("without any id at all"), "url": "https://example.org/no-id"})).unwrap(), Record),
        ("duplicate-keys", format!(r#"{{"id":"duplicate-keys","text":"{WORDS}","text":"{WORDS}"}}"#).into_bytes(), DeadLetter("invalid_field", "duplicate field `text`")),
        ("id-with-line-break", article("id-with\r\nNats-Msg-Id: forged", &words_with("header injection attempt")), DeadLetter("invalid_field", "U+000D")),
        ("very-long-id", article(&"i".repeat(20_000), &words_with("an id of twenty thousand characters")), DeadLetter("invalid_field", "over the limit of 1024")),
        ("number-out-of-range", format!(r#"{{"id":"number-out-of-range","text":"{WORDS}","extra":1e999999}}"#).into_bytes(), DeadLetter("invalid_json", "number")),
        ("combining-marks-only", article("combining-marks-only", &"\u{301}\u{302}\u{303} ".repeat(40)), DeadLetter("no_text", "words")),
    ]
}

/// Every corpus entry ends as what it must; a good article published after
/// the corpus still flows; every service is still alive and small.
#[tokio::test]
async fn every_kind_of_bad_input_ends_as_a_specific_dead_letter_or_a_record() {
    // Tests run debug builds, many times slower than release: a 2 MB text
    // takes enrich longer than the default 5 s there. The time limit has its
    // own tests (stalls.rs); here it must not decide.
    let mut env = crate::FAST_REDELIVERY.to_vec();
    env.push(("NEWSFLOW__CONSUMER__TIME_LIMIT_MS", "120000"));
    let stack = Stack::start_with(&env).await;
    let corpus = corpus();
    assert!(corpus.len() >= 30, "{} kinds", corpus.len());
    for (name, payload, _) in &corpus {
        publish(&stack.js, subjects::RAW, name, payload.clone()).await;
    }
    wait_for_outcomes(&stack.js, corpus.len() as u64, Duration::from_secs(120)).await;
    // Nothing more comes: each input has exactly one outcome.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let outcomes = Outcomes::read(&stack.js).await;
    let mut report = Vec::new();
    for (name, payload, expect) in &corpus {
        // A dead letter holds the input of the stage that refused it: the
        // article itself from langid, a staged article from later stages.
        let letters: Vec<_> = outcomes
            .dead_letters
            .iter()
            .filter(|l| {
                l.payload.as_ref() == payload.as_slice()
                    || serde_json::from_slice::<serde_json::Value>(&l.payload).is_ok_and(|v| {
                        v["article"]["id"]
                            .as_str()
                            .is_some_and(|id| id.contains(name))
                    })
            })
            .collect();
        let records: Vec<_> = outcomes
            .enriched
            .iter()
            .filter(|r| {
                let v = r.json();
                let id = v["id"].as_str().unwrap_or_default();
                id.contains(name)
                    || (*name == "no-id" && v["url"] == "https://example.org/no-id")
                    || (*name == "very-long-id" && id.starts_with("iiii"))
            })
            .collect();
        let duplicates: Vec<_> = outcomes
            .duplicates
            .iter()
            .filter(|d| d.json()["id"].as_str().unwrap_or_default().contains(name))
            .collect();
        let got = match (letters.as_slice(), records.as_slice()) {
            ([], []) if duplicates.len() == 1 => {
                format!("duplicate of {}", duplicates[0].json()["duplicate_of"])
            }
            ([letter], []) => format!(
                "dead letter {} from {}: {}",
                letter.header(subjects::HEADER_ERROR_CODE).unwrap_or("?"),
                letter.header(subjects::HEADER_STAGE).unwrap_or("?"),
                letter.header(subjects::HEADER_ERROR).unwrap_or("?")
            ),
            ([], [_]) => "record".to_string(),
            _ => format!(
                "{} dead letters and {} records",
                letters.len(),
                records.len()
            ),
        };
        let ok = match expect {
            Expect::Record => got == "record",
            Expect::DeadLetter(code, reason) => {
                letters.len() == 1
                    && records.is_empty()
                    && letters[0].header(subjects::HEADER_ERROR_CODE) == Some(code)
                    && letters[0].header(subjects::HEADER_STAGE) == Some("langid")
                    && letters[0]
                        .header(subjects::HEADER_ERROR)
                        .is_some_and(|e| e.contains(reason))
            }
        };
        println!(
            "{name:22} {} {}",
            if ok { "ok  " } else { "FAIL" },
            got.chars().take(200).collect::<String>()
        );
        if !ok {
            report.push(format!("{name}: expected {expect:?}, got {got}"));
        }
    }
    // A good article after the corpus still flows.
    let good = json!({"id": "after-the-corpus", "text": "After every kind of bad input, this article still reaches the end of the pipeline, with its language detected, its copies checked and its text enriched by the services."});
    publish(
        &stack.js,
        subjects::RAW,
        "after-the-corpus",
        serde_json::to_vec(&good).unwrap(),
    )
    .await;
    wait_for_outcomes(&stack.js, corpus.len() as u64 + 1, Duration::from_secs(60)).await;
    assert!(
        Outcomes::read(&stack.js)
            .await
            .records()
            .contains_key("after-the-corpus")
    );
    for service in stack.pipeline.services() {
        assert_eq!(
            service.http_get("/livez").0,
            200,
            "{} is down",
            service.name
        );
        let peak = service
            .peak_memory_bytes()
            .expect("the service's /proc status");
        println!("{}: peak resident memory {} MiB", service.name, peak >> 20);
        assert!(
            peak < 1 << 30,
            "{} peaked at {} MiB",
            service.name,
            peak >> 20
        );
    }
    assert!(report.is_empty(), "{report:#?}");
}
