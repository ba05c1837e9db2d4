//! Raw message bytes through the intake checks, as langid (articles) and
//! dedup/enrich (staged articles) receive them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsflow_core::contracts::Article;
use newsflow_core::intake::{IntakeLimits, check_text, decode_article, decode_staged};

fuzz_target!(|data: &[u8]| {
    let small = IntakeLimits {
        max_payload_bytes: 64,
        ..IntakeLimits::default()
    };
    let _ = decode_article(data, small);
    if let Ok(article) = decode_article(data, IntakeLimits::default()) {
        let id = article
            .id
            .as_deref()
            .expect("an accepted article has an id");
        assert!(!id.trim().is_empty(), "an accepted article has a blank id");
        // What langid passes on must read back as the same article.
        let json = serde_json::to_vec(&article).expect("an article serializes");
        let limits = IntakeLimits {
            max_payload_bytes: usize::MAX,
            ..IntakeLimits::default()
        };
        let again = decode_article(&json, limits).expect("a re-encoded article decodes");
        // Floats in pass-through fields may move by a last bit (serde_json
        // parses them best-effort), so those compare by their keys only.
        let keys = |a: &Article| {
            let metadata = a
                .metadata
                .as_ref()
                .map(|m| m.keys().cloned().collect::<Vec<_>>());
            (metadata, a.extra.keys().cloned().collect::<Vec<_>>())
        };
        assert_eq!(
            keys(&again),
            keys(&article),
            "pass-through fields changed through JSON"
        );
        let known = |a: Article| Article {
            metadata: None,
            extra: Default::default(),
            ..a
        };
        assert_eq!(
            known(again),
            known(article),
            "an article changed through JSON"
        );
    }
    if let Ok(staged) = decode_staged(data) {
        let json = serde_json::to_vec(&staged).expect("a staged article serializes");
        decode_staged(&json).expect("a re-encoded staged article decodes");
        let _ = check_text(&staged, &IntakeLimits::default());
    }
});
