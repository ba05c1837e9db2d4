//! Dedup's fingerprint log when its tail cannot subscribe again.
//!
//! After a node loss, dedup's tail of the fingerprint stream (an ordered
//! consumer) has to be made again, which needs the cluster's meta leader;
//! on nats-server 2.9 under load that timed out for 40-56 s while every
//! waiting article's verdict wait ran out. Here one server does the same
//! deterministically: once the log runs, the server's configuration is
//! reloaded so that the dedup user may no longer make or read consumers of
//! the fingerprint stream, and the tail's consumer is deleted. An article
//! appended then must still get its verdict, from the records read by
//! sequence, well within its verdict wait.

use std::time::{Duration, Instant};

use newsflow_core::config::StreamSettings;
use newsflow_core::{subjects, topology};
use newsflow_dedup::index::{DupIndex, IndexSettings, IndexVerdict};
use newsflow_dedup::log::{NatsLog, VerdictLog};
use newsflow_dedup::sketch::Fingerprint;
use newsflow_tests::{NatsServer, nats_config};

/// JetStream in `store` (a reload must not change it), users `admin`
/// (everything) and `dedup`, who may do everything but what `dedup_denied`
/// names.
fn config(store: Option<&std::path::Path>, dedup_denied: &[&str]) -> String {
    let jetstream = match store {
        Some(dir) => format!("jetstream {{ store_dir: \"{}\" }}", dir.display()),
        None => "jetstream: enabled".to_string(),
    };
    let denied = dedup_denied
        .iter()
        .map(|subject| format!("\"{subject}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "include ./limits.conf\n{jetstream}\nauthorization {{\n  users = [\n    {{ user: admin, password: admin }}\n    {{ user: dedup, password: dedup, permissions: {{ publish: {{ deny: [{denied}] }} }} }}\n  ]\n}}\n"
    )
}

async fn jetstream_as(nats: &NatsServer, user: &str) -> async_nats::jetstream::Context {
    let client = async_nats::ConnectOptions::with_user_and_password(user.into(), user.into())
        .connect(nats.url())
        .await
        .unwrap_or_else(|e| panic!("{user} connects: {e}"));
    async_nats::jetstream::new(client)
}

fn fingerprint(id: &str, source_seq: u64, exact: u64) -> Fingerprint {
    Fingerprint {
        source_seq,
        id: id.into(),
        exact,
        ..Fingerprint::default()
    }
}

#[tokio::test]
async fn awaited_records_are_read_by_sequence_when_the_tail_cannot_subscribe_again() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(nats_config("limits.conf"), dir.path().join("limits.conf")).unwrap();
    let config_path = dir.path().join("nats.conf");
    // The server refuses an empty deny list: deny something never used.
    std::fs::write(&config_path, config(None, &["nothing.denied"])).unwrap();
    let nats = NatsServer::start_with_config(&config_path, &[]);
    let admin = jetstream_as(&nats, "admin").await;
    topology::ensure_dedup_fingerprints(&admin, &StreamSettings::default())
        .await
        .expect("fingerprint stream");

    let verdict_wait = Duration::from_secs(20);
    let log = NatsLog::start(
        jetstream_as(&nats, "dedup").await,
        DupIndex::new(IndexSettings {
            near: false,
            threshold: 0.7,
            window_ms: 3_600_000,
            capacity: 1000,
        }),
    )
    .await
    .expect("the log starts")
    .with_verdict_wait(verdict_wait);
    let first = log.decide(fingerprint("a", 1, 7)).await.expect("a verdict");
    assert_eq!(first.verdict, IndexVerdict::Unique);

    // From now on the dedup user can make no consumer of the fingerprint
    // stream and read none; appends and gets by sequence stay allowed.
    let stream = subjects::STREAM_DEDUP_FINGERPRINTS;
    std::fs::write(
        &config_path,
        config(
            Some(&nats.store_dir()),
            &[
                &format!("$JS.API.CONSUMER.CREATE.{stream}"),
                &format!("$JS.API.CONSUMER.CREATE.{stream}.>"),
                &format!("$JS.API.CONSUMER.MSG.NEXT.{stream}.>"),
            ],
        ),
    )
    .unwrap();
    nats.reload();
    let admin = jetstream_as(&nats, "admin").await;
    let fingerprints = admin
        .get_stream(stream)
        .await
        .unwrap_or_else(|e| panic!("{e}; log:\n{}", nats.log()));
    let names: Vec<String> = {
        use futures::StreamExt;
        fingerprints
            .consumer_names()
            .filter_map(|name| async move { name.ok() })
            .collect()
            .await
    };
    assert!(!names.is_empty(), "the tail has a consumer");
    for name in names {
        fingerprints.delete_consumer(&name).await.unwrap();
    }

    let started = Instant::now();
    let copy = log
        .decide(fingerprint("b", 2, 7))
        .await
        .unwrap_or_else(|e| {
            panic!(
                "no verdict while the tail cannot subscribe: {e}; server log:\n{}",
                nats.log()
            )
        });
    let took = started.elapsed();
    assert!(
        matches!(&copy.verdict, IndexVerdict::Duplicate { of, .. } if &**of == "a"),
        "{:?}",
        copy.verdict
    );
    assert!(
        took < verdict_wait / 2,
        "the verdict took {took:?} (the verdict wait is {verdict_wait:?})"
    );
    assert!(
        nats.log().contains("Violation"),
        "the tail's consumers were refused (else this test shows nothing); log:\n{}",
        nats.log()
    );
}
