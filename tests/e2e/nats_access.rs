//! How processes reach NATS (issue 12): server lists, credentials,
//! permissions and TLS, each against a real nats-server.

use std::collections::HashMap;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer};
use bytes::Bytes;
use newsflow_core::{subjects, test_tls};
use newsflow_tests::{
    NatsServer, Pipeline, Service, free_port, nats_config, newsflow_cli, publish,
};
use serde_json::json;

use crate::{
    FAST_REDELIVERY, Outcomes, ids_without_outcome, pipeline_state, wait_for_every_id,
    wait_for_outcomes,
};

const STORY: &str = "The harbour authority will run a night ferry from June, with boats \
    leaving every forty minutes after midnight. Tickets will cost the same as daytime fares, \
    and the service will be reviewed after the first three months.";

const LATE: &str = "A storm closed the coastal road on Sunday after waves threw stones and \
    sand across both lanes near the lighthouse. Crews expected to reopen it on Monday morning \
    once engineers had checked the sea wall for damage.";

/// Runs the `newsflow` command line with the given environment.
fn newsflow(args: &[&str], env: &[(&str, &str)]) -> Output {
    newsflow_cli(args, env, None)
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

/// The users of `deploy/nats/auth.conf`.
const USERS: [&str; 8] = [
    "langid", "dedup", "enrich", "pipeline", "sink", "crawler", "consumer", "operator",
];

/// Every subject of the pipeline, and who may publish to it.
const SUBJECTS: [(&str, &[&str]); 7] = [
    (subjects::RAW, &["crawler", "operator"]),
    (subjects::DETECTED, &["langid"]),
    (subjects::UNIQUE, &["dedup"]),
    (subjects::ENRICHED, &["enrich", "pipeline"]),
    (subjects::DUPLICATES, &["dedup", "pipeline"]),
    (
        subjects::DLQ,
        &["langid", "dedup", "enrich", "pipeline", "sink"],
    ),
    (subjects::DEDUP_FINGERPRINTS, &["dedup", "pipeline"]),
];

/// A nats-server running the shipped secured configuration, with a fresh
/// password per user, and optionally its TLS block with a test CA.
struct Secured {
    nats: NatsServer,
    passwords: HashMap<&'static str, String>,
    /// Certificates and the TLS config, when TLS is on.
    tls: Option<tempfile::TempDir>,
}

impl Secured {
    fn start() -> Self {
        Self::start_with(&nats_config("nats-server-secured.conf"), None)
    }

    /// The shipped secured config with its `tls` block turned on, for
    /// certificates of a CA made here (server and client verified).
    fn start_tls() -> Self {
        let dir = tempfile::tempdir().unwrap();
        test_tls::write_test_ca(dir.path()).expect("a test CA");
        let shipped = std::fs::read_to_string(nats_config("nats-server-secured.conf")).unwrap();
        let config = test_tls::with_tls_on(&shipped, dir.path())
            .expect("the shipped config has a tls block to turn on");
        std::fs::copy(nats_config("auth.conf"), dir.path().join("auth.conf")).unwrap();
        let path = dir.path().join("nats-server-tls.conf");
        std::fs::write(&path, config).unwrap();
        Self::start_with(&path, Some(dir))
    }

    fn start_with(config: &std::path::Path, tls: Option<tempfile::TempDir>) -> Self {
        let salt = Instant::now().elapsed().as_nanos() ^ u128::from(free_port());
        let passwords: HashMap<&'static str, String> = USERS
            .iter()
            .map(|user| (*user, format!("{user}-{salt:x}-pw")))
            .collect();
        let env: Vec<(String, String)> = passwords
            .iter()
            .map(|(user, pw)| {
                (
                    format!("NEWSFLOW_{}_PASSWORD", user.to_uppercase()),
                    pw.clone(),
                )
            })
            .collect();
        let nats = NatsServer::start_with_config(config, &as_refs(&env));
        Self {
            nats,
            passwords,
            tls,
        }
    }

    /// The environment a newsflow process of `user` runs with.
    fn env(&self, user: &str) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = vec![
            ("NATS_URL".into(), self.nats.url()),
            ("NATS_USER".into(), user.into()),
            ("NATS_PASSWORD".into(), self.passwords[user].clone()),
            (
                "NEWSFLOW__NATS__INBOX_PREFIX".into(),
                format!("_INBOX_{user}"),
            ),
            ("NEWSFLOW__STREAMS__MANAGE".into(), "false".into()),
        ];
        if let Some(dir) = &self.tls {
            let file = |name: &str| dir.path().join(name).display().to_string();
            env.extend([
                ("NATS_CA".into(), file(test_tls::CA_FILE)),
                ("NATS_CERT".into(), file(test_tls::CLIENT_CERT_FILE)),
                ("NATS_KEY".into(), file(test_tls::CLIENT_KEY_FILE)),
                ("NEWSFLOW__NATS__TLS_REQUIRED".into(), "true".into()),
            ]);
        }
        env
    }

    fn options(&self, user: &str) -> async_nats::ConnectOptions {
        let mut options = async_nats::ConnectOptions::with_user_and_password(
            user.into(),
            self.passwords[user].clone(),
        )
        .custom_inbox_prefix(format!("_INBOX_{user}"));
        if let Some(dir) = &self.tls {
            options = options
                .add_root_certificates(dir.path().join(test_tls::CA_FILE))
                .add_client_certificate(
                    dir.path().join(test_tls::CLIENT_CERT_FILE),
                    dir.path().join(test_tls::CLIENT_KEY_FILE),
                )
                .require_tls(true);
        }
        options
    }

    async fn connect(&self, user: &str) -> async_nats::Client {
        self.options(user)
            .connect(self.nats.url())
            .await
            .unwrap_or_else(|e| panic!("{user} connects: {e}"))
    }

    /// A JetStream context of `user` that gives up on an answer after a
    /// second (a refused request is never answered).
    async fn js(&self, user: &str) -> jetstream::Context {
        jetstream::context::ContextBuilder::new()
            .timeout(Duration::from_secs(1))
            .build(self.connect(user).await)
    }

    /// The shipped secured server with the pipeline's streams, made by the
    /// operator as a deployment's setup step does (users may not).
    fn start_set_up() -> Self {
        let secured = Self::start();
        let out = secured.cli("operator", &["setup"], None);
        assert!(out.status.success(), "setup as operator: {}", stderr(&out));
        secured
    }

    fn service(&self, name: &'static str, user: &str) -> Service {
        self.run_as(user, name, &[], &[])
    }

    /// Starts the binary `name` with `args` as `user` (with the tests' fast
    /// redelivery and `extra` environment).
    fn run_as(
        &self,
        user: &str,
        name: &'static str,
        args: &[&str],
        extra: &[(&str, &str)],
    ) -> Service {
        let env = self.env(user);
        let mut env = as_refs(&env);
        env.extend_from_slice(FAST_REDELIVERY);
        env.extend_from_slice(extra);
        Service::start_with_args(name, args, &self.nats.url(), &env)
    }

    fn cli(&self, user: &str, args: &[&str], input: Option<&str>) -> Output {
        newsflow_cli(args, &as_refs(&self.env(user)), input)
    }

    /// Panics, with the server's log, when it refused any operation.
    fn assert_nothing_refused(&self) {
        let log = self.nats.log();
        assert!(!log.contains("Permissions Violation"), "{log}");
    }
}

/// Environment pairs as [`Service::start`] takes them.
fn as_refs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Whether a JetStream publish to `subject` is stored.
async fn publish_stored(js: &jetstream::Context, subject: &str) -> bool {
    match js
        .publish(
            subject.to_string(),
            Bytes::from_static(b"{\"id\":\"forged\"}"),
        )
        .await
    {
        Ok(ack) => ack.await.is_ok(),
        Err(_) => false,
    }
}

/// Whether a JetStream API request is answered without an error.
async fn api_succeeds(client: &async_nats::Client, subject: String, body: String) -> bool {
    let request = client.request(subject, Bytes::from(body));
    match tokio::time::timeout(Duration::from_secs(1), request).await {
        Ok(Ok(reply)) => serde_json::from_slice::<serde_json::Value>(&reply.payload)
            .map(|v| v.get("error").is_none())
            .unwrap_or(false),
        _ => false,
    }
}

/// Items 1 and 2: the whole pipeline runs with one user per service against
/// the shipped secured configuration, and every operation outside a user's
/// role is refused and leaves the streams as they were.
#[tokio::test]
async fn the_pipeline_runs_under_per_service_users_and_every_other_operation_is_refused() {
    let secured = Secured::start();
    let url = secured.nats.url();

    // No credentials, or a wrong password: refused.
    assert!(
        async_nats::connect(&url).await.is_err(),
        "anonymous connection accepted"
    );
    let wrong = async_nats::ConnectOptions::with_user_and_password("langid".into(), "guess".into())
        .connect(&url)
        .await;
    assert!(wrong.is_err(), "a wrong password was accepted");

    // The operator creates the streams; the services only look them up.
    let out = secured.cli("operator", &["setup"], None);
    assert!(out.status.success(), "setup as operator: {}", stderr(&out));
    let langid = secured.service("newsflow-langid", "langid");
    let dedup = secured.service("newsflow-dedup", "dedup");
    let enrich = secured.service("newsflow-enrich", "enrich");

    // A crawler publishes: two stories, a copy of the first, one without text.
    let second = "The district council approved the new school budget on Tuesday evening after \
        a debate that lasted four hours. Teachers' unions welcomed the extra money for repairs \
        but said salaries still lagged behind neighbouring districts.";
    let lines = [
        json!({"id": "s1", "text": STORY}),
        json!({"id": "s2", "text": second}),
        json!({"id": "s1-copy", "text": STORY}),
        json!({"id": "s4", "title": "no body"}),
    ]
    .iter()
    .map(|v| v.to_string() + "\n")
    .collect::<String>();
    let out = secured.cli("crawler", &["publish", "--no-validate", "-"], Some(&lines));
    assert!(out.status.success(), "publish as crawler: {}", stderr(&out));

    // Every outcome is there (read as operator).
    let operator = secured.js("operator").await;
    // s1 and its copy race through the stages: either one is the original.
    wait_for_every_id(
        &operator,
        ["s1", "s2", "s1-copy", "s4"],
        Duration::from_secs(60),
    )
    .await;
    let outcomes = Outcomes::read(&operator).await;
    let records = outcomes.records_in_effect();
    assert!(
        records.len() == 2
            && records.contains_key("s2")
            && (records.contains_key("s1") != records.contains_key("s1-copy")),
        "records {:?}\nlangid log:\n{}\ndedup log:\n{}\nenrich log:\n{}",
        records.keys().collect::<Vec<_>>(),
        langid.log(),
        dedup.log(),
        enrich.log()
    );
    assert_eq!(outcomes.duplicates.len(), 1);
    assert_eq!(outcomes.dead_letters.len(), 1);
    // The consumer reads the records through a durable an operator made for it.
    let readers = operator.get_stream("NEWS_ENRICHED").await.unwrap();
    readers
        .create_consumer(consumer::pull::Config {
            durable_name: Some("reader-test".into()),
            ack_policy: consumer::AckPolicy::Explicit,
            ..Default::default()
        })
        .await
        .expect("operator creates a reader durable");
    let consumer_js = secured.js("consumer").await;
    let reader_consumer: consumer::PullConsumer = consumer_js
        .get_stream("NEWS_ENRICHED")
        .await
        .expect("consumer looks up NEWS_ENRICHED")
        .get_consumer("reader-test")
        .await
        .expect("consumer opens its durable");
    let mut batch = reader_consumer
        .fetch()
        .max_messages(10)
        .expires(Duration::from_secs(1))
        .messages()
        .await
        .expect("consumer pulls");
    let mut read = 0;
    {
        use futures::StreamExt;
        while let Some(message) = batch.next().await {
            let message = message.expect("a record");
            message.ack().await.expect("consumer acks");
            read += 1;
        }
    }
    // Every record in the stream, a withdrawn one included.
    assert_eq!(read, outcomes.enriched.len(), "records the consumer read");
    // Every operation of the pipeline's own was allowed.
    let server_log = secured.nats.log();
    assert!(
        !server_log.contains("Violation"),
        "the pipeline hit a permission violation:\n{server_log}"
    );

    // Now everything a role must not do.
    let mut before = HashMap::new();
    for (subject, _) in SUBJECTS {
        let name = if subject == subjects::DEDUP_FINGERPRINTS {
            subjects::STREAM_DEDUP_FINGERPRINTS
        } else {
            newsflow_core::topology::stream_for(subject).name
        };
        let mut stream = operator.get_stream(name).await.expect("stream exists");
        before.insert(name, stream.info().await.unwrap().state.messages);
    }
    let mut tried = 0;
    let mut allowed = Vec::new();
    for user in [
        "langid", "dedup", "enrich", "pipeline", "sink", "crawler", "consumer",
    ] {
        use futures::FutureExt;
        use futures::future::BoxFuture;
        let js = secured.js(user).await;
        let client = secured.connect(user).await;
        // Each refused request waits out its timeout: run them all at once.
        let mut checks: Vec<(String, BoxFuture<'_, bool>)> = Vec::new();
        for (subject, publishers) in SUBJECTS {
            if !publishers.contains(&user) {
                checks.push((
                    format!("publish to {subject}"),
                    publish_stored(&js, subject).boxed(),
                ));
            }
        }
        for name in before.keys() {
            for action in ["PURGE", "DELETE"] {
                let api = format!("$JS.API.STREAM.{action}.{name}");
                checks.push((api.clone(), api_succeeds(&client, api, "{}".into()).boxed()));
            }
        }
        let update =
            json!({"name": "NEWS_RAW", "subjects": ["news.raw"], "max_age": 1_000_000_000})
                .to_string();
        checks.push((
            "update NEWS_RAW".into(),
            api_succeeds(&client, "$JS.API.STREAM.UPDATE.NEWS_RAW".into(), update).boxed(),
        ));
        let create = json!({"name": "EVIL", "subjects": ["news.>"]}).to_string();
        checks.push((
            "create a stream".into(),
            api_succeeds(&client, "$JS.API.STREAM.CREATE.EVIL".into(), create).boxed(),
        ));
        for (stream, durable) in [
            ("NEWS_RAW", "langid"),
            ("NEWS_DETECTED", "dedup"),
            ("NEWS_UNIQUE", "enrich"),
        ] {
            let api = format!("$JS.API.CONSUMER.DELETE.{stream}.{durable}");
            checks.push((
                api.clone(),
                api_succeeds(&client, api, String::new()).boxed(),
            ));
        }
        // Any new consumer on the raw and internal streams (the services'
        // own durables exist already, created by the operator's setup).
        for stream in ["NEWS_RAW", "NEWS_DETECTED", "NEWS_UNIQUE"] {
            let js = &js;
            let created = async move {
                match js.get_stream(stream).await {
                    Ok(s) => s
                        .create_consumer(consumer::pull::Config {
                            durable_name: Some(format!("spy-{user}")),
                            ..Default::default()
                        })
                        .await
                        .is_ok(),
                    Err(_) => false,
                }
            };
            checks.push((format!("a consumer on {stream}"), created.boxed()));
        }
        let results = futures::future::join_all(
            checks
                .into_iter()
                .map(|(what, check)| async move { (what, check.await) }),
        )
        .await;
        for (what, succeeded) in results {
            tried += 1;
            if succeeded {
                allowed.push(format!("{user}: {what}"));
            }
        }
    }
    // Nobody can make the server deliver a stream into another stage's
    // subject: the consumer cannot create consumers, and a service cannot
    // turn its own pull durable into a push consumer.
    let consumer_client = secured.connect("consumer").await;
    let push = json!({
        "stream_name": "NEWS_ENRICHED",
        "config": {"durable_name": "push", "deliver_subject": subjects::RAW, "ack_policy": "none", "deliver_policy": "all"}
    })
    .to_string();
    tried += 1;
    if api_succeeds(
        &consumer_client,
        "$JS.API.CONSUMER.CREATE.NEWS_ENRICHED.push".into(),
        push,
    )
    .await
    {
        allowed.push("consumer: a push consumer delivering into news.raw".into());
    }
    let langid_client = secured.connect("langid").await;
    let push = json!({
        "stream_name": "NEWS_RAW",
        "config": {"durable_name": "langid", "filter_subject": subjects::RAW, "deliver_subject": subjects::ENRICHED, "ack_policy": "explicit", "deliver_policy": "all"}
    })
    .to_string();
    tried += 1;
    if api_succeeds(
        &langid_client,
        "$JS.API.CONSUMER.CREATE.NEWS_RAW.langid.news.raw".into(),
        push,
    )
    .await
    {
        allowed.push(
            "langid: its durable turned into a push consumer delivering into news.enriched".into(),
        );
    }
    // Nor read replies or messages meant for others.
    let mut snoop = consumer_client.subscribe("_INBOX_langid.>").await.unwrap();
    let mut raw_reader = consumer_client.subscribe(subjects::RAW).await.unwrap();
    publish(
        &operator,
        subjects::RAW,
        "late",
        serde_json::to_vec(&json!({"id": "late", "text": LATE})).unwrap(),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    for (what, subscription) in [
        ("langid's replies", &mut snoop),
        ("news.raw", &mut raw_reader),
    ] {
        tried += 1;
        use futures::StreamExt;
        if tokio::time::timeout(Duration::from_millis(100), subscription.next())
            .await
            .is_ok()
        {
            allowed.push(format!("consumer: read {what}"));
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    println!(
        "forbidden operations tried: {tried}, succeeded: {}",
        allowed.len()
    );
    assert!(
        allowed.is_empty(),
        "forbidden operations succeeded: {allowed:#?}"
    );
    for (name, messages) in &before {
        let mut stream = operator
            .get_stream(*name)
            .await
            .unwrap_or_else(|e| panic!("{name} deleted: {e}"));
        let now = stream.info().await.unwrap().state.messages;
        let expected_growth = match *name {
            // The late article and what the pipeline made of it.
            "NEWS_RAW" | "NEWS_DETECTED" | "NEWS_UNIQUE" | "NEWS_ENRICHED"
            | "DEDUP_FINGERPRINTS" => 1,
            _ => 0,
        };
        assert!(
            *messages <= now && now <= messages + expected_growth,
            "{name}: {messages} messages before, {now} after"
        );
    }
    assert!(
        operator.get_stream("EVIL").await.is_err(),
        "a stream was created"
    );
    drop((langid, dedup, enrich));
}

/// Item 2, TLS: the shipped secured config with its `tls` block on (server
/// certificate from a CA made by the test, client certificates verified).
/// The pipeline runs over TLS with per-service users; a client without TLS,
/// without a client certificate, or not trusting the CA is refused.
#[tokio::test]
async fn the_pipeline_runs_over_tls_with_verified_clients() {
    let secured = Secured::start_tls();
    let url = secured.nats.url();
    let dir = secured.tls.as_ref().unwrap().path().to_path_buf();
    let user = "operator";
    let password = secured.passwords[user].clone();
    let plain = async_nats::ConnectOptions::with_user_and_password(user.into(), password.clone())
        .connect(&url)
        .await;
    assert!(plain.is_err(), "a client without TLS was accepted");
    let no_cert = async_nats::ConnectOptions::with_user_and_password(user.into(), password.clone())
        .add_root_certificates(dir.join(test_tls::CA_FILE))
        .require_tls(true)
        .connect(&url)
        .await;
    assert!(
        no_cert.is_err(),
        "a client without a certificate was accepted"
    );
    let untrusting = async_nats::ConnectOptions::with_user_and_password(user.into(), password)
        .add_client_certificate(
            dir.join(test_tls::CLIENT_CERT_FILE),
            dir.join(test_tls::CLIENT_KEY_FILE),
        )
        .require_tls(true)
        .connect(&url)
        .await;
    assert!(
        untrusting.is_err(),
        "a client that does not trust the test CA connected"
    );

    let out = secured.cli("operator", &["setup"], None);
    assert!(
        out.status.success(),
        "setup as operator over TLS: {}",
        stderr(&out)
    );
    let services = [
        secured.service("newsflow-langid", "langid"),
        secured.service("newsflow-dedup", "dedup"),
        secured.service("newsflow-enrich", "enrich"),
    ];
    let lines = format!(
        "{}\n{}\n",
        json!({"id": "t1", "text": STORY}),
        json!({"id": "t2", "text": LATE})
    );
    let out = secured.cli("crawler", &["publish", "-"], Some(&lines));
    assert!(
        out.status.success(),
        "publish as crawler over TLS: {}",
        stderr(&out)
    );
    let operator = secured.js("operator").await;
    let missing = ids_without_outcome(&operator, ["t1", "t2"], Duration::from_secs(60)).await;
    let records = Outcomes::read(&operator).await.records();
    let mut ids: Vec<&String> = records.keys().collect();
    ids.sort();
    let passed = missing.is_empty() && ids == ["t1", "t2"];
    let state = if passed {
        String::new()
    } else {
        pipeline_state(&operator).await
    };
    assert!(
        passed,
        "records {ids:?}, no outcome for {missing:?}\n{state}{}\nnats-server log:\n{}",
        services
            .iter()
            .map(|s| format!("{} log:\n{}", s.name, s.log()))
            .collect::<Vec<_>>()
            .join("\n"),
        secured.nats.log()
    );
    let server_log = secured.nats.log();
    assert!(!server_log.contains("Violation"), "{server_log}");
}

/// Item 1: the other ways to authenticate, each through the CLI's
/// configuration: a token, an NKey seed file, a user and password written
/// in the URL. Without them the same server refuses the CLI.
#[tokio::test]
async fn a_token_an_nkey_seed_and_credentials_in_the_url_are_sent() {
    let dir = tempfile::tempdir().unwrap();
    let key = nkeys::KeyPair::new_user();
    let seed_file = dir.path().join("cli.nk");
    std::fs::write(&seed_file, key.seed().unwrap()).unwrap();
    let token = format!("tok-{}", free_port());
    let config = dir.path().join("auth.conf");
    std::fs::write(
        &config,
        format!(
            "max_payload: 8MB\nauthorization {{\n  users = [\n    {{ nkey: {} }}\n    {{ user: alice, password: \"pw-{token}\" }}\n  ]\n}}\n",
            key.public_key()
        ),
    )
    .unwrap();
    let server = NatsServer::start_with_config(&config, &[]);
    let url = server.url();
    let seed = seed_file.display().to_string();
    let refused = newsflow(&["setup"], &[("NATS_URL", &url)]);
    assert!(!refused.status.success(), "anonymous setup accepted");

    let with_nkey = newsflow(&["setup"], &[("NATS_URL", &url), ("NATS_NKEY", &seed)]);
    assert!(with_nkey.status.success(), "{}", stderr(&with_nkey));
    let in_url = url.replace("nats://", &format!("nats://alice:pw-{token}@"));
    let with_url = newsflow(&["--nats-url", &in_url, "setup"], &[]);
    assert!(with_url.status.success(), "{}", stderr(&with_url));
    let wrong = newsflow(&["--nats-url", &in_url.replace("pw-", "px-"), "setup"], &[]);
    assert!(!wrong.status.success());
    assert!(
        !stderr(&wrong).contains(&format!("px-{token}")),
        "the password was printed: {}",
        stderr(&wrong)
    );
    drop(server);

    // A token: nats-server's --auth flag.
    let dir = tempfile::tempdir().unwrap();
    let limits = dir.path().join("token.conf");
    std::fs::write(
        &limits,
        format!("max_payload: 8MB\nauthorization {{ token: \"{token}\" }}\n"),
    )
    .unwrap();
    let server = NatsServer::start_with_config(&limits, &[]);
    let url = server.url();
    let refused = newsflow(&["setup"], &[("NATS_URL", &url)]);
    assert!(
        !refused.status.success(),
        "setup without the token accepted"
    );
    let with_token = newsflow(&["setup"], &[("NATS_URL", &url), ("NATS_TOKEN", &token)]);
    assert!(with_token.status.success(), "{}", stderr(&with_token));
}

/// Base64url without padding, as JWTs encode their parts.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// A NATS JWT (what `nsc` writes): `claims` about `subject`, signed by
/// `issuer`'s key.
fn nats_jwt(issuer: &nkeys::KeyPair, subject: &str, name: &str, nats: serde_json::Value) -> String {
    let header = base64url(br#"{"typ":"JWT","alg":"ed25519-nkey"}"#);
    let claims = json!({
        "jti": format!("{name}-{}", free_port()),
        "iat": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
        "iss": issuer.public_key(),
        "name": name,
        "sub": subject,
        "nats": nats,
    });
    let signed = format!("{header}.{}", base64url(claims.to_string().as_bytes()));
    let signature = issuer.sign(signed.as_bytes()).unwrap();
    format!("{signed}.{}", base64url(&signature))
}

/// A `.creds` file's text: the user's JWT and its NKey seed.
fn creds(user_jwt: &str, user: &nkeys::KeyPair) -> String {
    format!(
        "-----BEGIN NATS USER JWT-----\n{user_jwt}\n------END NATS USER JWT------\n\n\
         -----BEGIN USER NKEY SEED-----\n{}\n------END USER NKEY SEED------\n",
        user.seed().unwrap()
    )
}

/// Item 1, `.creds` files: an operator-mode nats-server (operator, account
/// and user JWTs made here, the account preloaded into a memory resolver)
/// accepts the CLI with the user's `.creds` file (NATS_CREDS or
/// --nats-creds),
/// and refuses it without, or with a user its account did not sign.
#[tokio::test]
async fn a_creds_file_logs_in_to_an_operator_mode_server() {
    let dir = tempfile::tempdir().unwrap();
    let operator = nkeys::KeyPair::new_operator();
    let account = nkeys::KeyPair::new_account();
    let operator_jwt = nats_jwt(
        &operator,
        &operator.public_key(),
        "newsflow-test",
        json!({"type": "operator", "version": 2}),
    );
    let account_jwt = nats_jwt(
        &operator,
        &account.public_key(),
        "pipeline",
        json!({
            "type": "account",
            "version": 2,
            "limits": {
                "subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1,
                "wildcards": true, "conn": -1, "leaf": -1,
                "mem_storage": -1, "disk_storage": -1, "streams": -1, "consumer": -1
            }
        }),
    );
    let user_claims = json!({
        "type": "user", "version": 2, "pub": {}, "sub": {},
        "subs": -1, "data": -1, "payload": -1
    });
    let user = nkeys::KeyPair::new_user();
    let user_creds = dir.path().join("crawler.creds");
    std::fs::write(
        &user_creds,
        creds(
            &nats_jwt(&account, &user.public_key(), "crawler", user_claims.clone()),
            &user,
        ),
    )
    .unwrap();
    // The same user signed by an account the server does not know.
    let stranger = nkeys::KeyPair::new_account();
    let stranger_creds = dir.path().join("stranger.creds");
    std::fs::write(
        &stranger_creds,
        creds(
            &nats_jwt(&stranger, &user.public_key(), "crawler", user_claims),
            &user,
        ),
    )
    .unwrap();
    // JetStream needs a system account too.
    let system = nkeys::KeyPair::new_account();
    let system_jwt = nats_jwt(
        &operator,
        &system.public_key(),
        "SYS",
        json!({"type": "account", "version": 2}),
    );
    let config = dir.path().join("operator.conf");
    std::fs::write(
        &config,
        format!(
            "max_payload: 8MB\noperator: {operator_jwt}\nsystem_account: {system}\n\
             resolver: MEMORY\nresolver_preload: {{\n  {system}: {system_jwt}\n  {}: {account_jwt}\n}}\n",
            account.public_key(),
            system = system.public_key(),
        ),
    )
    .unwrap();
    let server = NatsServer::start_with_config(&config, &[]);
    let url = server.url();
    let creds_path = user_creds.display().to_string();

    let refused = newsflow(&["setup"], &[("NATS_URL", &url)]);
    assert!(
        !refused.status.success(),
        "setup without credentials accepted"
    );
    let stranger = newsflow(
        &["setup"],
        &[
            ("NATS_URL", &url),
            ("NATS_CREDS", &stranger_creds.display().to_string()),
        ],
    );
    assert!(
        !stranger.status.success(),
        "a user of an unknown account was accepted"
    );
    assert!(
        !stderr(&stranger).contains(&user.seed().unwrap()),
        "the seed was printed: {}",
        stderr(&stranger)
    );

    let setup = newsflow(
        &["setup"],
        &[("NATS_URL", &url), ("NATS_CREDS", &creds_path)],
    );
    assert!(
        setup.status.success(),
        "setup with a .creds file: {}\nnats-server:\n{}",
        stderr(&setup),
        server.log()
    );
    let line = format!("{}\n", json!({"id": "by-creds", "text": STORY}));
    let publish = newsflow_cli(
        &[
            "--nats-creds",
            &creds_path,
            "--nats-url",
            &url,
            "publish",
            "-",
        ],
        &[],
        Some(&line),
    );
    assert!(publish.status.success(), "{}", stderr(&publish));
    let js = jetstream::new(
        async_nats::ConnectOptions::with_credentials_file(&user_creds)
            .await
            .unwrap()
            .connect(&url)
            .await
            .unwrap(),
    );
    let mut raw = js.get_stream(subjects::STREAM_RAW).await.unwrap();
    assert_eq!(raw.info().await.unwrap().state.messages, 1);
}

/// A `key: |` block of a Kubernetes ConfigMap, unindented.
fn config_map_entry(yaml: &str, key: &str) -> String {
    let marker = format!("  {key}: |\n");
    let start = yaml
        .find(&marker)
        .unwrap_or_else(|| panic!("no {key} in the ConfigMap"))
        + marker.len();
    let mut out = String::new();
    for line in yaml[start..].lines() {
        if !line.is_empty() && !line.starts_with("    ") {
            break;
        }
        out.push_str(line.strip_prefix("    ").unwrap_or(line));
        out.push('\n');
    }
    out.trim_end().to_string()
}

/// The Kubernetes NATS config holds the same users and permissions as
/// `deploy/nats/auth.conf`, and this nats-server reads it.
#[test]
fn the_kubernetes_nats_config_is_the_secured_one_and_valid() {
    let yaml = std::fs::read_to_string(nats_config("../k8s/nats.yaml")).unwrap();
    let auth = config_map_entry(&yaml, "auth.conf");
    let shipped = std::fs::read_to_string(nats_config("auth.conf")).unwrap();
    assert_eq!(
        auth,
        shipped.trim_end(),
        "deploy/k8s/nats.yaml's auth.conf differs from deploy/nats/auth.conf"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("auth.conf"), &auth).unwrap();
    let server_conf = dir.path().join("nats-server.conf");
    std::fs::write(&server_conf, config_map_entry(&yaml, "nats-server.conf")).unwrap();
    let out = Command::new(newsflow_tests::nats_server_bin())
        .arg("-c")
        .arg(&server_conf)
        .arg("-t")
        .envs(
            USERS
                .iter()
                .map(|u| (format!("NEWSFLOW_{}_PASSWORD", u.to_uppercase()), "x")),
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        stderr(&out),
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Issue 14: the HTTP gateway publishes as the `crawler` user of the
/// secured configuration (news.raw only; the operator made the streams), and
/// nothing it does is refused.
#[tokio::test]
async fn the_gateway_publishes_as_the_crawler_user() {
    let secured = Secured::start_set_up();
    let gateway = crate::gateway::GatewayProcess::start(
        &secured.nats.url(),
        &as_refs(&secured.env("crawler")),
    );
    let article = json!({"id": "via-gateway", "text": STORY}).to_string();
    let answer = crate::gateway::post(
        &format!("{}/v1/articles", gateway.base),
        Some("application/json"),
        None,
        &article,
    );
    assert_eq!(
        answer.status,
        202,
        "{}; gateway log:\n{}",
        answer.body,
        gateway.service.log()
    );
    let operator = secured.js("operator").await;
    let mut raw = operator.get_stream(subjects::STREAM_RAW).await.unwrap();
    assert_eq!(raw.info().await.unwrap().state.messages, 1);
    secured.assert_nothing_refused();
}

/// The PostgreSQL sink runs as its own user: it creates and reads its two
/// durables and writes its rows with no permission refused.
#[tokio::test]
async fn the_sink_reads_as_its_own_user() {
    let secured = Secured::start_set_up();
    let enrich = secured.js("enrich").await;
    let record = crate::sink::record("via-sink", 1, "2024-01-15T10:00:00Z");
    publish(&enrich, subjects::ENRICHED, "via-sink", record).await;
    let pg = newsflow_tests::postgres::Postgres::start(&["fsync=off"]);
    let sink = secured.run_as(
        "sink",
        "newsflow",
        &["sink", "postgres"],
        &[("NEWSFLOW_SINK_DSN", &pg.dsn())],
    );
    let client = pg.client().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows: i64 = match client
            .query_one("SELECT count(*) FROM newsflow_records", &[])
            .await
        {
            Ok(row) => row.get(0),
            Err(_) => 0,
        };
        if rows == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the sink stored no row as user sink; its log:\n{}\nnats-server:\n{}",
            sink.log(),
            secured.nats.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    secured.assert_nothing_refused();
}

/// The fused deployment runs as its own user: its durable on news.raw, the
/// three outputs and the fingerprint stream, with no permission refused.
#[tokio::test]
async fn the_fused_pipeline_runs_as_its_own_user() {
    let secured = Secured::start_set_up();
    let fused = secured.run_as("pipeline", "newsflow", &["pipeline"], &[]);
    let crawler = secured.js("crawler").await;
    for id in ["fused-1", "fused-2"] {
        let article = json!({"id": id, "text": STORY}).to_string().into_bytes();
        publish(&crawler, subjects::RAW, id, article).await;
    }
    let operator = secured.js("operator").await;
    wait_for_every_id(&operator, ["fused-1", "fused-2"], Duration::from_secs(30)).await;
    let outcomes = Outcomes::read(&operator).await;
    // One copy of the other: a notice, and a record for the first (or for
    // both, the later withdrawn, when the copy was decided first).
    assert_eq!(
        outcomes.duplicates.len(),
        1,
        "one duplicate notice; log:\n{}",
        fused.log()
    );
    assert!(
        !outcomes.enriched.is_empty(),
        "a record; log:\n{}",
        fused.log()
    );
    secured.assert_nothing_refused();
}
