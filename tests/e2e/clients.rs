//! Clients in other languages through a live pipeline: a
//! Python crawler with nats-py and a Scrapy crawl through the gateway publish
//! the project's samples, and a Node consumer with the `nats` package reads
//! the records. The programs are the ones the README shows
//! (`clients/python`, `clients/node`).
//!
//! Ignored by a plain `cargo test`: it needs Python with nats-py and Scrapy
//! and Node with `nats`, which `tests/run.sh` installs and then runs it with
//! `NEWSFLOW_CLIENTS_PYTHON` (that Python) and `NEWSFLOW_NODE_MODULES` (the
//! `node_modules` folder holding `nats`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use newsflow_tests::{NatsServer, Pipeline, samples_dir};
use serde_json::{Value, json};

use crate::gateway::GatewayProcess;
use crate::{FAST_REDELIVERY, Outcomes, wait_for_every_id};

fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: this test needs the client tools tests/run.sh installs")
    })
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn checked(what: &str, output: Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{what} failed ({}):\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The project's plain-text samples as articles, by id (file stem).
fn sample_articles() -> Vec<Value> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(samples_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            json!({
                "id": p.file_stem().unwrap().to_str().unwrap(),
                "text": std::fs::read_to_string(p).unwrap(),
            })
        })
        .collect()
}

fn jsonl(articles: &[Value]) -> String {
    articles.iter().map(|a| format!("{a}\n")).collect()
}

#[tokio::test]
#[ignore = "needs Python (nats-py, scrapy) and Node (nats): tests/run.sh installs them and runs it"]
async fn python_and_scrapy_crawlers_feed_the_pipeline_and_a_node_consumer_reads_the_records() {
    let python = required_env("NEWSFLOW_CLIENTS_PYTHON");
    let node_modules = required_env("NEWSFLOW_NODE_MODULES");
    let nats = NatsServer::start();
    let pipeline = Pipeline::start(&nats.url(), FAST_REDELIVERY);
    let gateway = GatewayProcess::start(&nats.url(), &[]);
    let js = nats.jetstream().await;

    let articles = sample_articles();
    assert!(articles.len() >= 10, "too few samples");
    let (by_python, by_scrapy) = articles.split_at(articles.len() / 2);
    let work = tempfile::tempdir().unwrap();
    let python_input = work.path().join("python.jsonl");
    let scrapy_input = work.path().join("scrapy.jsonl");
    std::fs::write(&python_input, jsonl(by_python)).unwrap();
    std::fs::write(&scrapy_input, jsonl(by_scrapy)).unwrap();

    // The nats-py crawler: one acknowledgement per article, none a repeat.
    let out = checked(
        "clients/python/newsflow_crawler.py",
        Command::new(&python)
            .arg(repo().join("clients/python/newsflow_crawler.py"))
            .arg(&python_input)
            .env("NATS_URL", nats.url())
            .output()
            .expect("python runs"),
    );
    let acks: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let python_ids: Vec<&str> = acks.iter().map(|a| a["id"].as_str().unwrap()).collect();
    let expected: Vec<&str> = by_python
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(python_ids, expected);
    assert!(acks.iter().all(|a| a["duplicate"] == false), "{out}");

    // A Scrapy crawl whose item pipeline posts to the gateway.
    let out = Command::new(&python)
        .args(["-m", "scrapy", "runspider"])
        .arg(repo().join("tests/clients/fake_spider.py"))
        .arg("-a")
        .arg(format!("articles={}", scrapy_input.display()))
        .args(["-s", &format!("NEWSFLOW_GATEWAY_URL={}", gateway.base)])
        .args(["-s", "NEWSFLOW_BATCH_SIZE=4", "-s", "LOG_LEVEL=INFO"])
        .env("PYTHONPATH", repo().join("clients/python"))
        .current_dir(work.path())
        .output()
        .expect("scrapy runs");
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "scrapy failed:\n{log}");
    let stat = |name: &str| {
        log.lines()
            .find_map(|l| l.trim().strip_prefix(&format!("'{name}': ")))
            .and_then(|v| v.trim_end_matches([',', '}']).parse::<usize>().ok())
            .unwrap_or(0)
    };
    assert_eq!(stat("item_scraped_count"), by_scrapy.len(), "{log}");
    assert_eq!(stat("newsflow/accepted"), by_scrapy.len(), "{log}");

    // Every article reaches an outcome.
    let ids: Vec<&str> = articles.iter().map(|a| a["id"].as_str().unwrap()).collect();
    wait_for_every_id(&js, &ids, Duration::from_secs(90)).await;
    let outcomes = Outcomes::read(&js).await;
    let counts = outcomes.id_counts();
    for article in &articles {
        let id = article["id"].as_str().unwrap();
        assert!(
            counts.contains_key(id),
            "{id} has no outcome; langid log:\n{}",
            pipeline.langid.log()
        );
    }

    // The Node consumer reads every record of news.enriched, once handled.
    let node_consumer = |idle_ms: &str| {
        checked(
            "clients/node/newsflow-consumer.js",
            Command::new("node")
                .arg(repo().join("clients/node/newsflow-consumer.js"))
                .args(["--idle-ms", idle_ms])
                .env("NATS_URL", nats.url())
                .env("NODE_PATH", &node_modules)
                .output()
                .expect("node runs"),
        )
    };
    let out = node_consumer("2000");
    let read: BTreeMap<String, Value> = out
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["id"].as_str().unwrap().to_string(), v)
        })
        .collect();
    let records = outcomes.records();
    assert_eq!(
        read.keys().cloned().collect::<BTreeSet<_>>(),
        records.keys().cloned().collect::<BTreeSet<_>>(),
        "the Node consumer read other records than news.enriched holds"
    );
    assert!(records.len() >= articles.len() - 2, "{:?}", records.keys());
    assert_eq!(read["en-alliance"]["language"], "eng");
    assert_eq!(read["ru-kiberataka"]["language"], "rus");
    assert_eq!(read["en-alliance"]["status"], "unique");

    // It acknowledged them: a second run reads nothing new.
    let again = node_consumer("1000");
    assert_eq!(again.trim(), "", "records read twice");
    drop(gateway);
}
