//! Service configuration: defaults, then a TOML file, then `NEWSFLOW__*`
//! environment variables, then command-line flags (which also read the
//! conventional `NATS_URL` and `METRICS_ADDR`).
//!
//! `deploy/config/newsflow.example.toml` lists every key with its default.

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::html::HtmlLimits;
use crate::intake::{IntakeLimits, ShortText};

/// Prefix of environment variables that override file settings;
/// `__` separates nesting levels: `NEWSFLOW__CONSUMER__MAX_ACK_PENDING=512`.
pub const ENV_PREFIX: &str = "NEWSFLOW__";

/// Errors while loading configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("environment variable {name} cannot be applied: {reason}")]
    Env { name: String, reason: String },
    #[error("invalid configuration{origin}: {source}")]
    Invalid {
        origin: String,
        source: Box<toml::de::Error>,
    },
}

/// Output format of the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One readable line per event.
    Human,
    /// One JSON object per event, for log shippers.
    Json,
}

/// Settings every service shares.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// NATS server URL, or several comma-separated (the client tries each).
    pub nats_url: String,
    /// Credentials and TLS for the NATS connection.
    pub nats: NatsSettings,
    /// Address of the `/metrics` and `/healthz` endpoint.
    pub metrics_addr: SocketAddr,
    /// Log format; the level comes from `RUST_LOG` (default `info`).
    pub log_format: LogFormat,
    /// Largest accepted input article, in bytes; larger ones are dead-lettered.
    pub max_article_bytes: usize,
    /// How much text an article needs, and bounds on reading HTML pages.
    pub text: TextSettings,
    /// How the stage consumes its input.
    pub consumer: ConsumerSettings,
    /// Retention and limits of the streams `setup` creates.
    pub streams: StreamSettings,
    /// Settings of the langid service (read by that service).
    pub langid: toml::Table,
    /// Settings of the dedup service (read by that service).
    pub dedup: toml::Table,
    /// Settings of the enrich service (read by that service).
    pub enrich: toml::Table,
    /// Settings of the HTTP ingest gateway (read by that service).
    pub gateway: toml::Table,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            nats_url: "nats://127.0.0.1:4222".into(),
            nats: NatsSettings::default(),
            metrics_addr: SocketAddr::from(([127, 0, 0, 1], 9100)),
            log_format: LogFormat::Human,
            max_article_bytes: crate::intake::DEFAULT_MAX_ARTICLE_BYTES,
            text: TextSettings::default(),
            consumer: ConsumerSettings::default(),
            streams: StreamSettings::default(),
            langid: toml::Table::new(),
            dedup: toml::Table::new(),
            enrich: toml::Table::new(),
            gateway: toml::Table::new(),
        }
    }
}

impl Settings {
    /// Reads one service's own section (`[langid]`, `[dedup]`, `[enrich]`, `[gateway]`).
    ///
    /// # Errors
    /// When the section has unknown keys or values of the wrong type.
    pub fn section<T: DeserializeOwned>(&self, name: &str) -> Result<T, ConfigError> {
        let table = match name {
            "langid" => &self.langid,
            "dedup" => &self.dedup,
            "enrich" => &self.enrich,
            "gateway" => &self.gateway,
            _ => panic!("no config section named {name}"),
        };
        T::deserialize(toml::Value::Table(table.clone())).map_err(|source| ConfigError::Invalid {
            origin: format!(" in section [{name}]"),
            source: Box::new(source),
        })
    }
}

impl Settings {
    /// The limits every article is held to, from `max_article_bytes` and `[text]`.
    pub fn intake_limits(&self) -> IntakeLimits {
        IntakeLimits {
            max_payload_bytes: self.max_article_bytes,
            min_text_words: self.text.min_words,
            short_text: self.text.short_text,
            html: HtmlLimits {
                max_depth: self.text.html_max_depth,
                max_elements: self.text.html_max_elements,
                max_text_bytes: self.text.max_bytes,
            },
        }
    }
}

/// A secret (password, token): read from the configuration, never printed.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, to hand to the NATS client.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The `[nats]` section: how a process proves who it is to NATS and how
/// the connection is encrypted. At most one way to authenticate is set
/// (user and password, token, NKey seed file, or `.creds` file).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NatsSettings {
    /// User name; needs `password`.
    pub user: Option<String>,
    /// Password of `user` (prefer `NEWSFLOW__NATS__PASSWORD` or `NATS_PASSWORD`
    /// to a file others can read).
    pub password: Option<Secret>,
    /// Authentication token.
    pub token: Option<Secret>,
    /// File holding an NKey seed (`SU…`), as written by `nk -gen user`.
    pub nkey_seed_file: Option<PathBuf>,
    /// A `.creds` file (user JWT and NKey seed) from `nsc`.
    pub credentials_file: Option<PathBuf>,
    /// PEM file of the certificate authorities that sign the server's certificate.
    pub tls_ca_file: Option<PathBuf>,
    /// PEM client certificate, for servers that verify clients (with `tls_key_file`).
    pub tls_cert_file: Option<PathBuf>,
    /// PEM private key of `tls_cert_file`.
    pub tls_key_file: Option<PathBuf>,
    /// Refuse to connect without TLS, whatever the server offers.
    pub tls_required: bool,
    /// Subject prefix of this process's reply inboxes (default `_INBOX`). A
    /// secured server lets each user subscribe to its own prefix only, so no
    /// client can read the replies (pulled messages) of another.
    pub inbox_prefix: Option<String>,
}

/// The `[text]` section: how much text an article needs and how much of a
/// page is read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TextSettings {
    /// Fewest words of body text an article needs to be judged.
    pub min_words: usize,
    /// What becomes of an article with fewer words: `dead_letter` (code
    /// `no_text`) or `pass` (passed on, dedup status `unchecked`).
    pub short_text: ShortText,
    /// Longest main text kept from a page, in bytes.
    pub max_bytes: usize,
    /// Deepest element nesting of a page scored for its article container.
    pub html_max_depth: usize,
    /// Most elements of a page scored for its article container.
    pub html_max_elements: usize,
}

impl Default for TextSettings {
    fn default() -> Self {
        let html = HtmlLimits::default();
        Self {
            min_words: crate::intake::DEFAULT_MIN_TEXT_WORDS,
            short_text: ShortText::DeadLetter,
            max_bytes: html.max_text_bytes,
            html_max_depth: html.max_depth,
            html_max_elements: html.max_elements,
        }
    }
}

/// How a stage pulls, bounds and retries its input.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsumerSettings {
    /// Messages processed at once by one replica (at most `max_ack_pending`).
    /// More than the CPU threads and the waits on NATS need only queue up
    /// inside the replica: memory, and for dedup, more articles deciding at
    /// once, whose fingerprint appends then come back stale and are
    /// verified again.
    pub concurrency: NonZeroUsize,
    /// Messages asked for per pull request.
    pub batch: NonZeroUsize,
    /// Messages handed out but not yet acked, across all replicas: back-pressure.
    pub max_ack_pending: i64,
    /// Seconds before an unacked message is delivered again (a crashed replica's work).
    pub ack_wait_secs: u64,
    /// Attempts for a message that fails transiently before it is dead-lettered.
    pub max_deliver: i64,
    /// First NAK delay for a transient error, in milliseconds; doubles per attempt.
    pub retry_base_delay_ms: u64,
    /// Largest NAK delay, in milliseconds.
    pub retry_max_delay_ms: u64,
    /// Seconds to finish in-flight messages after SIGTERM before exiting.
    pub shutdown_grace_secs: u64,
    /// Longest one message's transform (decoding, reading the page, analysis;
    /// not waits on NATS) may run, in milliseconds; past it the message is
    /// dead-lettered with code `timeout` and the stage goes on.
    pub time_limit_ms: u64,
    /// Transforms run at once (within their time limit), 0 for one per CPU.
    pub transform_parallelism: usize,
    /// How long publishing a message's outputs is retried in place, with
    /// back-off, after a transient failure (no responders, a stream
    /// electing its leader, a timeout), in milliseconds, before the message
    /// is NAKed: a short cluster hiccup costs no delivery.
    pub publish_retry_ms: u64,
    /// While most workers are busy (fewer than a quarter of `batch` free),
    /// how long the loop waits for more to finish before it asks for
    /// messages, in milliseconds; 0 asks for each freed worker at once. A
    /// loaded stage then sends one pull request per several messages.
    pub pull_gather_ms: u64,
}

impl Default for ConsumerSettings {
    fn default() -> Self {
        Self {
            concurrency: NonZeroUsize::new(32).expect("non-zero"),
            batch: NonZeroUsize::new(256).expect("non-zero"),
            max_ack_pending: 2048,
            ack_wait_secs: 30,
            max_deliver: 8,
            retry_base_delay_ms: 500,
            retry_max_delay_ms: 60_000,
            shutdown_grace_secs: 20,
            time_limit_ms: 5_000,
            transform_parallelism: 0,
            publish_retry_ms: 30_000,
            pull_gather_ms: 20,
        }
    }
}

impl ConsumerSettings {
    pub fn ack_wait(&self) -> Duration {
        Duration::from_secs(self.ack_wait_secs)
    }

    /// Deliveries after which a message that never finished (the stage
    /// crashed or stopped while holding it) is dead-lettered unprocessed.
    pub fn abandon_after_deliveries(&self) -> i64 {
        self.max_deliver.saturating_mul(3)
    }

    /// The per-message time limit of the transform.
    pub fn time_limit(&self) -> Duration {
        Duration::from_millis(self.time_limit_ms.max(1))
    }

    /// Transforms run at once: `transform_parallelism`, else one per CPU.
    pub fn transform_parallelism(&self) -> usize {
        match self.transform_parallelism {
            0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            n => n,
        }
    }

    /// How often a message still being worked on is reported in progress:
    /// three times per `ack_wait`, so one lost report does not let it expire.
    pub fn progress_interval(&self) -> Duration {
        (self.ack_wait() / 3).max(Duration::from_millis(100))
    }

    pub fn pull_gather(&self) -> Duration {
        Duration::from_millis(self.pull_gather_ms)
    }

    pub fn publish_retry(&self) -> Duration {
        Duration::from_millis(self.publish_retry_ms)
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }

    /// NAK delay after the `delivered`-th failed attempt: doubling, capped.
    pub fn retry_delay(&self, delivered: i64) -> Duration {
        let exponent = u32::try_from(delivered.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        let delay = self.retry_base_delay_ms.saturating_mul(1u64 << exponent);
        Duration::from_millis(delay.min(self.retry_max_delay_ms))
    }
}

/// Retention and limits of the streams.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StreamSettings {
    /// Replicas of every stream (1 for a single server, 3 in a cluster).
    pub replicas: usize,
    /// Hours `news.raw` keeps articles (replay window).
    pub raw_max_age_hours: u64,
    /// Hours the internal stage streams keep articles.
    pub internal_max_age_hours: u64,
    /// Hours `news.enriched` and `news.duplicates` keep records.
    pub output_max_age_hours: u64,
    /// Hours `news.dlq` keeps rejected messages.
    pub dlq_max_age_hours: u64,
    /// Bytes each stream may hold (-1: no limit but age). A full input or
    /// internal stream refuses new messages (publishers see an error and
    /// retry) rather than dropping unprocessed ones. nats-server reserves this
    /// much of `max_file_store` per stream.
    pub max_bytes_per_stream: i64,
    /// Seconds within which a repeated `Nats-Msg-Id` is dropped as a redelivery;
    /// it bounds how late a redelivery may come and still not duplicate a record.
    pub duplicate_window_secs: u64,
    /// Hours a dedup fingerprint is remembered: copies are found within this window.
    pub dedup_window_hours: u64,
    /// File or memory storage.
    pub memory_storage: bool,
    /// Whether services create and update the streams they use at start.
    /// `false` (a secured server): they only wait for the streams to exist,
    /// and an operator creates them with `newsflow setup`.
    pub manage: bool,
}

impl Default for StreamSettings {
    fn default() -> Self {
        Self {
            replicas: 1,
            raw_max_age_hours: 7 * 24,
            internal_max_age_hours: 24,
            output_max_age_hours: 7 * 24,
            dlq_max_age_hours: 30 * 24,
            max_bytes_per_stream: -1,
            duplicate_window_secs: 2 * 3600,
            dedup_window_hours: 7 * 24,
            memory_storage: false,
            manage: true,
        }
    }
}

impl StreamSettings {
    /// File or memory storage, as `memory_storage` says.
    pub fn storage(&self) -> async_nats::jetstream::stream::StorageType {
        if self.memory_storage {
            async_nats::jetstream::stream::StorageType::Memory
        } else {
            async_nats::jetstream::stream::StorageType::File
        }
    }
}

/// Command-line flags every service takes (`#[command(flatten)]` them).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CommonArgs {
    /// TOML config file (keys as in deploy/config/newsflow.example.toml).
    #[arg(long, env = "NEWSFLOW_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// NATS server URL, or several comma-separated.
    #[arg(long, env = "NATS_URL", value_name = "URL[,URL...]")]
    pub nats_url: Option<String>,
    #[command(flatten)]
    pub nats: NatsArgs,
    /// Address to serve /metrics and /healthz on.
    #[arg(long, env = "METRICS_ADDR", value_name = "HOST:PORT")]
    pub metrics_addr: Option<SocketAddr>,
    /// Log format (level from RUST_LOG, default info).
    #[arg(long, env = "NEWSFLOW_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Messages processed at once by this replica.
    #[arg(long, env = "NEWSFLOW_CONCURRENCY")]
    pub concurrency: Option<NonZeroUsize>,
}

/// NATS credential and TLS flags, with the environment variables the `nats`
/// command line reads. They override the `[nats]` section.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct NatsArgs {
    /// NATS user name (with --nats-password).
    #[arg(long, env = "NATS_USER", value_name = "USER", global = true)]
    pub nats_user: Option<String>,
    /// NATS password (prefer the environment variable to the flag).
    #[arg(
        long,
        env = "NATS_PASSWORD",
        hide_env_values = true,
        value_name = "PASSWORD",
        global = true
    )]
    pub nats_password: Option<String>,
    /// NATS authentication token.
    #[arg(
        long,
        env = "NATS_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN",
        global = true
    )]
    pub nats_token: Option<String>,
    /// File holding an NKey seed.
    #[arg(long, env = "NATS_NKEY", value_name = "FILE", global = true)]
    pub nats_nkey: Option<PathBuf>,
    /// NATS `.creds` file (JWT and NKey seed).
    #[arg(long, env = "NATS_CREDS", value_name = "FILE", global = true)]
    pub nats_creds: Option<PathBuf>,
    /// PEM file of the CAs that sign the NATS server's certificate.
    #[arg(long, env = "NATS_CA", value_name = "FILE", global = true)]
    pub nats_ca: Option<PathBuf>,
    /// PEM client certificate for NATS (with --nats-key).
    #[arg(long, env = "NATS_CERT", value_name = "FILE", global = true)]
    pub nats_cert: Option<PathBuf>,
    /// PEM private key of --nats-cert.
    #[arg(long, env = "NATS_KEY", value_name = "FILE", global = true)]
    pub nats_key: Option<PathBuf>,
}

impl NatsArgs {
    /// Lays the given flags over `settings`.
    pub fn apply(&self, settings: &mut NatsSettings) {
        if let Some(user) = &self.nats_user {
            settings.user = Some(user.clone());
        }
        if let Some(password) = &self.nats_password {
            settings.password = Some(Secret::new(password.clone()));
        }
        if let Some(token) = &self.nats_token {
            settings.token = Some(Secret::new(token.clone()));
        }
        for (flag, setting) in [
            (&self.nats_nkey, &mut settings.nkey_seed_file),
            (&self.nats_creds, &mut settings.credentials_file),
            (&self.nats_ca, &mut settings.tls_ca_file),
            (&self.nats_cert, &mut settings.tls_cert_file),
            (&self.nats_key, &mut settings.tls_key_file),
        ] {
            if let Some(path) = flag {
                *setting = Some(path.clone());
            }
        }
    }
}

impl CommonArgs {
    /// Loads settings: defaults (with the service's own metrics address), the
    /// config file, `NEWSFLOW__*` variables, then these flags.
    ///
    /// # Errors
    /// When the file cannot be read or parsed, or a value has the wrong type.
    pub fn load(&self, default_metrics_addr: SocketAddr) -> Result<Settings, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        let mut settings = load_layers(self.config.as_deref(), &env, default_metrics_addr)?;
        if let Some(url) = &self.nats_url {
            settings.nats_url.clone_from(url);
        }
        self.nats.apply(&mut settings.nats);
        if let Some(addr) = self.metrics_addr {
            settings.metrics_addr = addr;
        }
        if let Some(format) = self.log_format {
            settings.log_format = format;
        }
        if let Some(concurrency) = self.concurrency {
            settings.consumer.concurrency = concurrency;
        }
        Ok(settings)
    }
}

/// Defaults, file, then environment overrides.
fn load_layers(
    file: Option<&Path>,
    env: &[(String, String)],
    default_metrics_addr: SocketAddr,
) -> Result<Settings, ConfigError> {
    let mut table = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })?;
            text.parse::<toml::Table>()
                .map_err(|source| ConfigError::Parse {
                    path: path.to_path_buf(),
                    source: Box::new(source),
                })?
        }
        None => toml::Table::new(),
    };
    table
        .entry("metrics_addr")
        .or_insert_with(|| toml::Value::String(default_metrics_addr.to_string()));
    for (name, value) in env {
        if let Some(key) = name.strip_prefix(ENV_PREFIX) {
            apply_env_override(&mut table, name, key, value)?;
        }
    }
    let origin = file.map_or(String::new(), |p| format!(" (file {})", p.display()));
    Settings::deserialize(toml::Value::Table(table)).map_err(|source| ConfigError::Invalid {
        origin,
        source: Box::new(source),
    })
}

fn apply_env_override(
    table: &mut toml::Table,
    name: &str,
    key: &str,
    value: &str,
) -> Result<(), ConfigError> {
    let path: Vec<String> = key.split("__").map(str::to_ascii_lowercase).collect();
    if path.iter().any(String::is_empty) {
        return Err(ConfigError::Env {
            name: name.into(),
            reason: "empty key segment (use single `__` between levels)".into(),
        });
    }
    let (last, parents) = path
        .split_last()
        .expect("split yields at least one segment");
    let mut current = table;
    for segment in parents {
        let entry = current
            .entry(segment.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = entry.as_table_mut().ok_or_else(|| ConfigError::Env {
            name: name.into(),
            reason: format!("`{segment}` is not a section"),
        })?;
    }
    current.insert(last.clone(), parse_env_value(value));
    Ok(())
}

/// Environment values are strings; read numbers, booleans and arrays as TOML.
fn parse_env_value(value: &str) -> toml::Value {
    format!("v = {value}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT_ADDR: SocketAddr = SocketAddr::new(
        std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1)),
        9101,
    );

    #[test]
    fn defaults_apply_without_file_or_env() {
        let settings = load_layers(None, &[], DEFAULT_ADDR).unwrap();
        assert_eq!(settings.nats_url, "nats://127.0.0.1:4222");
        assert_eq!(settings.metrics_addr, DEFAULT_ADDR);
        assert_eq!(settings.consumer.max_deliver, 8);
    }

    #[test]
    fn the_example_config_parses_and_matches_the_defaults() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/config/newsflow.example.toml");
        let settings = load_layers(Some(&path), &[], DEFAULT_ADDR).unwrap();
        let defaults = Settings::default();
        assert_eq!(settings.nats_url, defaults.nats_url);
        assert_eq!(settings.nats, defaults.nats);
        assert_eq!(
            settings.consumer.time_limit_ms,
            defaults.consumer.time_limit_ms
        );
        assert_eq!(
            settings.consumer.max_ack_pending,
            defaults.consumer.max_ack_pending
        );
        assert_eq!(
            settings.streams.duplicate_window_secs,
            defaults.streams.duplicate_window_secs
        );
        assert_eq!(settings.max_article_bytes, defaults.max_article_bytes);
        assert_eq!(settings.intake_limits(), defaults.intake_limits());
    }

    #[test]
    fn environment_overrides_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "nats_url = \"nats://file:4222\"\n[consumer]\nbatch = 10\n",
        )
        .unwrap();
        let env = vec![
            ("NEWSFLOW__CONSUMER__BATCH".to_string(), "20".to_string()),
            ("NEWSFLOW__LOG_FORMAT".to_string(), "json".to_string()),
            ("UNRELATED".to_string(), "x".to_string()),
        ];
        let settings = load_layers(Some(&path), &env, DEFAULT_ADDR).unwrap();
        assert_eq!(settings.nats_url, "nats://file:4222");
        assert_eq!(settings.consumer.batch.get(), 20);
        assert_eq!(settings.log_format, LogFormat::Json);
    }

    #[test]
    fn unknown_keys_are_errors_that_name_the_key() {
        let env = vec![("NEWSFLOW__CONSUMER__BACTH".to_string(), "2".to_string())];
        let err = load_layers(None, &env, DEFAULT_ADDR)
            .unwrap_err()
            .to_string();
        assert!(err.contains("bacth"), "{err}");
    }

    #[test]
    fn retry_delay_doubles_and_is_capped() {
        let consumer = ConsumerSettings::default();
        assert_eq!(consumer.retry_delay(1), Duration::from_millis(500));
        assert_eq!(consumer.retry_delay(3), Duration::from_millis(2000));
        assert_eq!(consumer.retry_delay(40), Duration::from_millis(60_000));
    }
}
