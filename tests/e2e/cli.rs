//! The `newsflow` command line against a real server.

use std::process::{Command, Output, Stdio};

use newsflow_tests::{NatsServer, binary, newsflow_cli};

fn newsflow(server: &NatsServer, args: &[&str], stdin: Option<&str>) -> Output {
    newsflow_cli(args, &[("NATS_URL", &server.url())], stdin)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn setup_is_idempotent_and_says_what_it_did() {
    let server = NatsServer::start();
    for _ in 0..2 {
        let out = newsflow(&server, &["setup"], None);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        for name in [
            "NEWS_RAW",
            "NEWS_ENRICHED",
            "NEWS_DLQ",
            "consumer langid",
            "consumer enrich",
            "stream DEDUP_FINGERPRINTS",
        ] {
            assert!(stdout.contains(name), "{name} missing from:\n{stdout}");
        }
    }
}

#[tokio::test]
async fn publish_reports_bad_lines_by_number_and_sends_the_rest_then_tail_prints_them() {
    let server = NatsServer::start();
    let input = "{\"id\":\"a\",\"text\":\"first\"}\n{oops\n{\"id\":\"b\",\"text\":\"second\"}\n";
    let out = newsflow(&server, &["publish", "-"], Some(input));
    // A refused line makes the exit status say so; the valid lines still go.
    assert!(!out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("skipped -:2: malformed JSON in article: key must be a string at column 2"),
        "one location per refusal: {stderr}"
    );
    assert!(stderr.contains("published 2 articles"), "{stderr}");
    assert!(stderr.contains("inputs refused: 1"), "{stderr}");

    let again = newsflow(&server, &["publish", "--allow-errors", "-"], Some(input));
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(
        text(&again.stderr).contains("published 0 articles to news.raw (2 already stored"),
        "{}",
        text(&again.stderr)
    );

    let out = newsflow(
        &server,
        &[
            "tail",
            "--subject",
            "news.raw",
            "--count",
            "5",
            "--timeout",
            "1",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["id"], "b");
}

#[tokio::test]
async fn every_command_explains_itself() {
    for args in [
        &["--help"][..],
        &["publish", "--help"],
        &["tail", "--help"],
        &["wait", "--help"],
        &["detect", "--help"],
        &["extract", "--help"],
        &["setup", "--help"],
        &["bench", "--help"],
    ] {
        let out = Command::new(binary("newsflow"))
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        let help = text(&out.stdout);
        assert!(help.len() > 200, "{args:?}: {help}");
        assert!(
            help.contains("Exit status"),
            "{args:?} documents no exit status: {help}"
        );
    }
    for service in ["newsflow-langid", "newsflow-dedup", "newsflow-enrich"] {
        let out = Command::new(binary(service))
            .arg("--help")
            .output()
            .unwrap();
        let help = text(&out.stdout);
        assert!(
            help.contains("--nats-url")
                && help.contains("--metrics-addr")
                && help.contains("--config"),
            "{help}"
        );
    }
}

#[tokio::test]
async fn an_unreachable_server_is_a_clear_error() {
    let out = Command::new(binary("newsflow"))
        .args(["setup"])
        .env(
            "NATS_URL",
            format!("nats://127.0.0.1:{}", newsflow_tests::free_port()),
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("cannot connect to NATS at nats://127.0.0.1:"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn tail_follow_prints_new_messages_as_a_table_until_interrupted() {
    use std::io::{BufRead, BufReader};

    let server = NatsServer::start();
    let first = "{\"id\":\"a\",\"title\":\"First\",\"text\":\"one\"}\n";
    assert!(
        newsflow(&server, &["publish", "-"], Some(first))
            .status
            .success()
    );
    let mut child = Command::new(binary("newsflow"))
        .args([
            "tail",
            "--subject",
            "news.raw",
            "--follow",
            "--timeout",
            "0.5",
        ])
        .args(["--format", "table"])
        .env("NATS_URL", server.url())
        .env("COLUMNS", "80")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "a  First");
    // Longer than --timeout: with --follow the command keeps waiting.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let second = "{\"id\":\"b\",\"text\":\"two\"}\n";
    assert!(
        newsflow(&server, &["publish", "-"], Some(second))
            .status
            .success()
    );
    assert_eq!(lines.next().unwrap().unwrap(), "b  (no title)");
    // Ctrl-C ends a follow as a normal stop.
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("(2 messages on news.raw)"), "{stderr}");
}

/// A stream that answers no one for a moment (a starting service updating
/// it, here one not created yet) makes `newsflow publish` send again with
/// back-off instead of reporting the article as failed.
#[tokio::test]
async fn publish_retries_while_no_stream_answers_then_succeeds() {
    let server = NatsServer::start();
    let url = server.url();
    let publishing = tokio::task::spawn_blocking(move || {
        newsflow_cli(
            &["publish", "--subject", "late.raw", "-"],
            &[("NATS_URL", &url)],
            Some("{\"id\":\"late-1\",\"text\":\"an article sent before its stream exists\"}\n"),
        )
    });
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    server
        .jetstream()
        .await
        .create_stream(async_nats::jetstream::stream::Config {
            name: "LATE".to_string(),
            subjects: vec!["late.raw".to_string()],
            ..Default::default()
        })
        .await
        .expect("stream LATE created");
    let out = publishing.await.expect("newsflow publish ran");
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("retrying -:1"), "{stderr}");
    assert!(
        stderr.contains("published 1 article to late.raw"),
        "{stderr}"
    );
}
