//! How processes reach NATS (issue 12): server lists, credentials,
//! permissions and TLS, each against a real nats-server.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use newsflow_core::subjects;
use newsflow_tests::{NatsServer, Pipeline, binary, free_port, publish};
use serde_json::json;

use crate::{FAST_REDELIVERY, Outcomes, wait_for_outcomes};

const STORY: &str = "The harbour authority will run a night ferry from June, with boats \
    leaving every forty minutes after midnight. Tickets will cost the same as daytime fares, \
    and the service will be reviewed after the first three months.";

/// Runs the `newsflow` command line with the given environment.
fn newsflow(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(binary("newsflow"))
        .args(args)
        .env_remove("NATS_URL")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("newsflow runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Item 3: `NATS_URL` takes a comma-separated list; a process whose first
/// listed server is down connects to the next one.
#[tokio::test]
async fn a_server_list_whose_first_server_is_down_still_works() {
    let nats = NatsServer::start();
    let down = format!("nats://127.0.0.1:{}", free_port());
    let list = format!("{down}, {}", nats.url());

    let out = newsflow(&["setup"], &[("NATS_URL", &list)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = newsflow(&["--nats-url", &list, "setup"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));

    let pipeline = Pipeline::start(&list, FAST_REDELIVERY);
    let js = nats.jetstream().await;
    let article = json!({"id": "listed", "text": STORY});
    publish(
        &js,
        subjects::RAW,
        "listed",
        serde_json::to_vec(&article).unwrap(),
    )
    .await;
    wait_for_outcomes(&js, 1, Duration::from_secs(60)).await;
    let outcomes = Outcomes::read(&js).await;
    assert_eq!(
        outcomes.records().len(),
        1,
        "dead letters: {:?}; langid log:\n{}",
        outcomes.dead_letters,
        pipeline.langid.log()
    );

    // An entry that is not a URL is an error naming it, not a hang.
    let out = newsflow(
        &[
            "--nats-url",
            &format!("{},nats://h:port", nats.url()),
            "setup",
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("nats://h:port"), "{}", stderr(&out));
}
