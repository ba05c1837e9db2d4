//! Dedup verdicts hold across replicas, kills and restarts.
//!
//! The same staged articles (30 % copies: half exact, half near-copies with a
//! dateline, a footer and their last fifth cut) go once through a single dedup
//! replica and once through two replicas, one of them killed with SIGKILL and
//! restarted mid-run. Both runs must give every article exactly one outcome,
//! report every copy, and group the same articles together. Which article of a
//! pair is the head may differ: when a kill delays the original past its copy,
//! the copy is seen first, as it would be by a single replica receiving them in
//! that order.
//!
//! Articles are published straight to `news.stage.detected`, so only dedup
//! runs: 20,000 of them (`DEDUP_REPLICA_ARTICLES` changes it), about 30 s in
//! a debug build on two cores. The single-replica run prints its rate.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use async_nats::jetstream;
use newsflow_core::subjects;
use newsflow_tests::{NatsServer, Service, collect};
use serde_json::json;

use crate::{FAST_REDELIVERY, stream_len, wait_for_stream, withdrawn_ids};

fn article_count() -> usize {
    std::env::var("DEDUP_REPLICA_ARTICLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000)
}

/// A deterministic generator (splitmix64).
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A pronounceable word from a vocabulary of about 8,000.
fn word(n: u64) -> String {
    const SYLLABLES: &[&str] = &[
        "ba", "ke", "lo", "mi", "nu", "ra", "si", "to", "ve", "za", "dor", "fen", "gal", "hum",
        "jin", "kor", "lem", "mas", "nol", "pir",
    ];
    let n = n % 8000;
    let len = 20;
    format!(
        "{}{}{}",
        SYLLABLES[(n % len) as usize],
        SYLLABLES[(n / len % len) as usize],
        SYLLABLES[(n / (len * len) % len) as usize]
    )
}

/// The original text of story `n`: 6 paragraphs of 25 random words.
fn story(n: u64) -> String {
    let mut state = mix(n + 1);
    (0..6)
        .map(|_| {
            (0..25)
                .map(|_| {
                    state = mix(state);
                    word(state)
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join(".\n")
}

/// What article `i` is: with probability 0.44, a copy (exact or near, at
/// even odds) of an original 700 to 999 places earlier, when that one is an
/// original; about 30 % of all articles end up copies. Copies of copies are
/// left out so that each group is one original and its direct copies.
enum Kind {
    Original,
    Exact(usize),
    Near(usize),
}

fn kind(i: usize) -> Kind {
    let h = mix(i as u64 ^ 0xD1CE);
    let back = 700 + (h >> 8) as usize % 300;
    if h % 100 >= 44 || i < back {
        return Kind::Original;
    }
    let of = i - back;
    match kind(of) {
        Kind::Original if (h >> 40) & 1 == 0 => Kind::Exact(of),
        Kind::Original => Kind::Near(of),
        _ => Kind::Original,
    }
}

fn text(i: usize) -> String {
    match kind(i) {
        Kind::Original => story(i as u64),
        Kind::Exact(of) => text(of),
        Kind::Near(of) => {
            let original = text(of);
            let words: Vec<&str> = original.split(' ').collect();
            let kept = words[..words.len() * 4 / 5].join(" ");
            format!(
                "NAIROBI (Wire) - {kept}\nCopyright 2024 Wire Services. All rights reserved, do not redistribute."
            )
        }
    }
}

fn id(i: usize) -> String {
    format!("rep-{i:05}")
}

/// The articles as crawlers publish them, where dedup reads a candidate's
/// text: `NEWS_RAW`, sequence `i + 1` (no langid runs, so they stay there).
async fn publish_raw(js: &jetstream::Context, count: usize) {
    let mut acks = Vec::with_capacity(1000);
    for i in 0..count {
        let article = json!({"id": id(i), "source": "replica-test", "text": text(i)});
        let publish = jetstream::message::PublishMessage::build()
            .payload(serde_json::to_vec(&article).unwrap().into())
            .message_id(id(i));
        acks.push(js.send_publish(subjects::RAW, publish).await.unwrap());
        if acks.len() == 1000 {
            for ack in acks.drain(..) {
                ack.await.unwrap();
            }
        }
    }
    for ack in acks {
        ack.await.unwrap();
    }
}

async fn publish_staged(js: &jetstream::Context, count: usize) {
    let mut acks = Vec::with_capacity(count);
    for i in 0..count {
        let staged = json!({
            "schema_version": 1,
            "article": {"id": id(i), "source": "replica-test", "text": text(i)},
            "source_seq": i + 1,
            "received_at": "2024-05-02T07:31:12.000Z",
            "pipeline": [],
        });
        let publish = jetstream::message::PublishMessage::build()
            .payload(serde_json::to_vec(&staged).unwrap().into())
            .message_id(format!("{}@{}", id(i), i + 1));
        acks.push(js.send_publish(subjects::DETECTED, publish).await.unwrap());
        // The client bounds acknowledgements in flight: collect them as we go.
        if acks.len() == 1000 {
            for ack in acks.drain(..) {
                ack.await.unwrap();
            }
        }
    }
    for ack in acks {
        ack.await.unwrap();
    }
}

async fn outcomes(js: &jetstream::Context) -> u64 {
    stream_len(js, subjects::UNIQUE).await
        + stream_len(js, subjects::DUPLICATES).await
        + stream_len(js, subjects::DLQ).await
}

async fn wait_for(js: &jetstream::Context, n: u64, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let seen = outcomes(js).await;
        if seen >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {seen} of {n} outcomes after {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What one run produced.
struct Run {
    /// Groups of ids (singletons left out), each sorted.
    groups: BTreeSet<Vec<String>>,
    notices: usize,
    methods: HashMap<String, usize>,
}

async fn read_run(js: &jetstream::Context, count: usize) -> Run {
    let idle = Duration::from_secs(3);
    let unique = collect(
        js,
        subjects::UNIQUE,
        stream_len(js, subjects::UNIQUE).await as usize,
        idle,
    )
    .await;
    let duplicates = collect(
        js,
        subjects::DUPLICATES,
        stream_len(js, subjects::DUPLICATES).await as usize,
        idle,
    )
    .await;
    assert_eq!(
        stream_len(js, subjects::DLQ).await,
        0,
        "nothing is dead-lettered"
    );
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut head_of: HashMap<String, String> = HashMap::new();
    let mut methods = HashMap::new();
    let mut notices = HashMap::new();
    for message in &unique {
        let v = message.json();
        let id = v["article"]["id"].as_str().unwrap().to_string();
        assert_eq!(v["dedup"]["cluster_id"], id.as_str());
        *seen.entry(id).or_default() += 1;
    }
    for message in &duplicates {
        let v = message.json();
        let id = v["id"].as_str().unwrap().to_string();
        let of = v["duplicate_of"].as_str().unwrap().to_string();
        let similarity = v["similarity"].as_f64().unwrap();
        let threshold = v["threshold"].as_f64().unwrap();
        assert!(similarity >= threshold, "{v}");
        *methods
            .entry(v["method"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
        *seen.entry(id.clone()).or_default() += 1;
        head_of.insert(id.clone(), of);
        notices.insert(id, v);
    }
    // A head replaced by an earlier-published copy was passed on and then
    // reported with `record_withdrawn`: one outcome, told twice.
    for id in withdrawn_ids(&duplicates) {
        *seen.get_mut(&id).expect("counted") -= 1;
    }
    let repeated: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).take(5).collect();
    assert!(
        repeated.is_empty(),
        "ids with more than one outcome: {repeated:?}"
    );
    assert_eq!(seen.len(), count, "every article has an outcome");
    // Notices name the head when they were made; a later replacement links
    // the old head to the new one.
    let head = |id: &str| {
        let mut id = id.to_string();
        while let Some(of) = head_of.get(&id) {
            id = of.clone();
        }
        id
    };
    let mut groups: HashMap<String, Vec<String>> = HashMap::new();
    for id in head_of.keys() {
        groups.entry(head(id)).or_default().push(id.clone());
    }
    let groups = groups
        .into_iter()
        .map(|(head, mut members)| {
            members.push(head);
            members.sort();
            members
        })
        .collect();
    Run {
        groups,
        notices: duplicates.len(),
        methods,
    }
}

/// The groups the generator made: every original with its copies.
fn expected_groups(count: usize) -> BTreeSet<Vec<String>> {
    let mut groups: HashMap<usize, Vec<String>> = HashMap::new();
    for i in 0..count {
        let root = match kind(i) {
            Kind::Original => i,
            Kind::Exact(of) | Kind::Near(of) => of,
        };
        groups.entry(root).or_default().push(id(i));
    }
    groups
        .into_values()
        .filter(|g| g.len() > 1)
        .map(|mut g| {
            g.sort();
            g
        })
        .collect()
}

#[tokio::test]
async fn two_replicas_with_a_kill_give_the_verdicts_of_one() {
    let count = article_count();

    // Reference: one replica.
    let nats = NatsServer::start();
    let single = Service::start("newsflow-dedup", &nats.url(), FAST_REDELIVERY);
    let js = nats.jetstream().await;
    wait_for_stream(&js, subjects::STREAM_DETECTED).await;
    wait_for_stream(&js, subjects::STREAM_RAW).await;
    publish_raw(&js, count).await;
    let started = Instant::now();
    publish_staged(&js, count).await;
    wait_for(&js, count as u64, Duration::from_secs(300)).await;
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "one replica: {count} articles in {elapsed:.1} s ({:.0} articles/s, publishing included)",
        count as f64 / elapsed
    );
    let reference = read_run(&js, count).await;
    // The shared state: one fingerprint record per article, as JetStream stores it.
    let mut fingerprints = js
        .get_stream(subjects::STREAM_DEDUP_FINGERPRINTS)
        .await
        .unwrap();
    let state = &fingerprints.info().await.unwrap().state;
    let per_article = state.bytes as f64 / count as f64;
    let id_bytes = id(0).len() as f64;
    println!(
        "state in NATS: {} records, {} bytes: {per_article:.0} bytes per article ({:.0} plus the {id_bytes} bytes of the id)",
        state.messages,
        state.bytes,
        per_article - id_bytes
    );
    // A record another in-flight copy made stale is appended again.
    assert!(
        state.messages >= count as u64 && state.messages <= count as u64 * 101 / 100,
        "one record per article, and a few appended again: {}",
        state.messages
    );
    assert!(
        per_article < 300.0 - 64.0,
        "state per article {per_article:.0} bytes leaves no room for a 64-byte id under 300"
    );
    drop(single);
    drop(nats);

    // Two replicas, one killed and restarted a third of the way through.
    let nats = NatsServer::start();
    let first = Service::start("newsflow-dedup", &nats.url(), FAST_REDELIVERY);
    let mut second = Service::start("newsflow-dedup", &nats.url(), FAST_REDELIVERY);
    let js = nats.jetstream().await;
    wait_for_stream(&js, subjects::STREAM_DETECTED).await;
    wait_for_stream(&js, subjects::STREAM_RAW).await;
    publish_raw(&js, count).await;
    let publisher = {
        let js = js.clone();
        tokio::spawn(async move { publish_staged(&js, count).await })
    };
    wait_for(&js, count as u64 / 3, Duration::from_secs(300)).await;
    second.kill();
    tokio::time::sleep(Duration::from_millis(300)).await;
    second.restart();
    publisher.await.unwrap();
    wait_for(&js, count as u64, Duration::from_secs(300)).await;
    // Let late redeliveries land before counting.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let replicated = read_run(&js, count).await;
    assert!(
        second.log().contains("duplicate index rebuilt"),
        "{}",
        second.log()
    );
    drop(first);

    let expected = expected_groups(count);
    let copies: usize = expected.iter().map(|g| g.len() - 1).sum();
    println!(
        "groups expected {}, copies {copies}; one replica: {} notices {:?}; two replicas with a kill: {} notices {:?}",
        expected.len(),
        reference.notices,
        reference.methods,
        replicated.notices,
        replicated.methods
    );
    assert_eq!(
        reference.groups, expected,
        "one replica groups exactly the copies"
    );
    assert_eq!(
        replicated.groups, expected,
        "two replicas group exactly the copies"
    );
    assert_eq!(reference.notices, copies);
    assert_eq!(replicated.notices, copies);
}
