//! Connecting to NATS with the options every newsflow process wants: a
//! server list, credentials and TLS from [`NatsSettings`], reconnects, and
//! connection events logged and counted. Secrets never reach a log line or an
//! error message: URLs are shown with their user information masked.

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_nats::jetstream;
use async_nats::{ConnectOptions, ServerAddr};

use crate::config::NatsSettings;
use crate::metrics::pipeline;

/// Errors while connecting.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("NATS server list {list:?} is invalid: entry {entry:?}: {reason}")]
    InvalidUrl {
        /// The list with user information masked.
        list: String,
        entry: String,
        reason: String,
    },
    #[error("NATS credentials are inconsistent: {0}")]
    Credentials(String),
    #[error("cannot read the NATS {what} file {path}")]
    ReadFile {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot connect to NATS at {servers}")]
    Connect {
        /// The list with user information masked.
        servers: String,
        #[source]
        source: async_nats::ConnectError,
    },
}

/// The servers of a comma-separated list (`nats://a:4222,nats://b:4222`,
/// as the `nats` command line takes them); blanks around entries are ignored.
///
/// # Errors
/// When the list is empty or an entry is not a NATS URL.
pub fn server_list(list: &str) -> Result<Vec<ServerAddr>, ConnectError> {
    let invalid = |entry: &str, reason: String| ConnectError::InvalidUrl {
        list: redact(list),
        entry: redact(entry),
        reason,
    };
    let servers = list
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<ServerAddr>()
                .map_err(|err| invalid(entry, err.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if servers.is_empty() {
        return Err(invalid(list, "no server given".into()));
    }
    Ok(servers)
}

/// `list` with the user information of every URL masked
/// (`nats://alice:secret@host` → `nats://***@host`), for logs and errors.
pub fn redact(list: &str) -> String {
    list.split(',')
        .map(|entry| match (entry.find("://"), entry.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                format!("{}***{}", &entry[..scheme + 3], &entry[at..])
            }
            (None, Some(at)) => format!("***{}", &entry[at..]),
            _ => entry.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Connects with a client name, endless reconnects, credentials and TLS from
/// `auth`, and connection events logged and counted. With
/// `wait_for_server`, the first connection is retried too (services);
/// without, an unreachable server is an immediate error (CLI).
///
/// User and password (or a token) written in a URL are used when `auth`
/// sets no credentials, as other NATS clients do.
///
/// # Errors
/// When the list or the credentials are invalid, a credentials or
/// certificate file cannot be read, or the server is unreachable and
/// `wait_for_server` is false.
pub async fn connect(
    urls: &str,
    auth: &NatsSettings,
    name: &str,
    wait_for_server: bool,
) -> Result<async_nats::Client, ConnectError> {
    let servers = server_list(urls)?;
    let mut options = ConnectOptions::new()
        .name(name)
        .max_reconnects(None)
        .connection_timeout(Duration::from_secs(5))
        .event_callback(|event| async move {
            let label = match &event {
                async_nats::Event::Connected => "connected",
                async_nats::Event::Disconnected => "disconnected",
                async_nats::Event::LameDuckMode => "lame_duck",
                async_nats::Event::Draining => "draining",
                async_nats::Event::Closed => "closed",
                async_nats::Event::SlowConsumer(_) => "slow_consumer",
                async_nats::Event::ServerError(_) => "server_error",
                async_nats::Event::ClientError(_) => "client_error",
            };
            pipeline().nats_events.with_label_values(&[label]).inc();
            match event {
                async_nats::Event::Connected => tracing::info!("connected to NATS"),
                async_nats::Event::Closed | async_nats::Event::Draining => {
                    tracing::debug!(event = %event, "NATS connection event");
                }
                other => tracing::warn!(event = %other, "NATS connection event"),
            }
        });
    if let Some(prefix) = &auth.inbox_prefix {
        options = options.custom_inbox_prefix(prefix);
    }
    options = with_credentials(options, auth, &servers).await?;
    options = with_tls(options, auth)?;
    if wait_for_server {
        options = options.retry_on_initial_connect();
    }
    options
        .connect(servers)
        .await
        .map_err(|source| ConnectError::Connect {
            servers: redact(urls),
            source,
        })
}

/// Adds the one way of authenticating `auth` (or the URL) gives.
async fn with_credentials(
    options: ConnectOptions,
    auth: &NatsSettings,
    servers: &[ServerAddr],
) -> Result<ConnectOptions, ConnectError> {
    let given = [
        auth.user.is_some() || auth.password.is_some(),
        auth.token.is_some(),
        auth.nkey_seed_file.is_some(),
        auth.credentials_file.is_some(),
    ];
    if given.iter().filter(|&&g| g).count() > 1 {
        return Err(ConnectError::Credentials(
            "set only one of user and password, token, nkey_seed_file, credentials_file".into(),
        ));
    }
    if let (Some(user), Some(password)) = (&auth.user, &auth.password) {
        return Ok(options.user_and_password(user.clone(), password.expose().to_string()));
    }
    if auth.user.is_some() || auth.password.is_some() {
        return Err(ConnectError::Credentials(
            "a user needs a password and a password needs a user".into(),
        ));
    }
    if let Some(token) = &auth.token {
        return Ok(options.token(token.expose().to_string()));
    }
    if let Some(path) = &auth.nkey_seed_file {
        let seed = read_file("NKey seed", path)?;
        return Ok(options.nkey(seed.trim().to_string()));
    }
    if let Some(path) = &auth.credentials_file {
        return options
            .credentials_file(path)
            .await
            .map_err(|source| ConnectError::ReadFile {
                what: "credentials",
                path: path.clone(),
                source,
            });
    }
    // async-nats does not send credentials written in a URL itself.
    match servers.iter().find(|s| s.has_user_pass()) {
        Some(server) => {
            let user = server.username().unwrap_or_default().to_string();
            Ok(match server.password() {
                Some(password) => options.user_and_password(user, password.to_string()),
                None => options.token(user),
            })
        }
        None => Ok(options),
    }
}

fn with_tls(
    mut options: ConnectOptions,
    auth: &NatsSettings,
) -> Result<ConnectOptions, ConnectError> {
    // The client reads certificate files only when it connects; check them
    // now, so a wrong path is an error at start, not an endless retry.
    if let Some(ca) = &auth.tls_ca_file {
        read_file("TLS CA", ca)?;
        options = options.add_root_certificates(ca.clone());
    }
    match (&auth.tls_cert_file, &auth.tls_key_file) {
        (Some(cert), Some(key)) => {
            read_file("TLS certificate", cert)?;
            read_file("TLS key", key)?;
            options = options.add_client_certificate(cert.clone(), key.clone());
        }
        (None, None) => {}
        _ => {
            return Err(ConnectError::Credentials(
                "tls_cert_file and tls_key_file go together".into(),
            ));
        }
    }
    if auth.tls_required {
        options = options.require_tls(true);
    }
    Ok(options)
}

fn read_file(what: &'static str, path: &Path) -> Result<String, ConnectError> {
    std::fs::read_to_string(path).map_err(|source| ConnectError::ReadFile {
        what,
        path: path.to_path_buf(),
        source,
    })
}

/// A JetStream context whose publishes wait (rather than fail) when too many
/// acknowledgements are outstanding.
pub fn jetstream(client: async_nats::Client, max_ack_inflight: usize) -> jetstream::Context {
    jetstream::context::ContextBuilder::new()
        .timeout(Duration::from_secs(10))
        .max_ack_inflight(max_ack_inflight)
        .backpressure_on_inflight(true)
        .build(client)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    #[test]
    fn a_comma_separated_list_gives_every_server() {
        let servers = server_list("nats://a:4222, nats://b:4223 ,tls://c:4224,").unwrap();
        let hosts: Vec<(String, u16)> = servers
            .iter()
            .map(|s| (s.host().to_string(), s.port()))
            .collect();
        assert_eq!(
            hosts,
            [("a".into(), 4222), ("b".into(), 4223), ("c".into(), 4224)]
        );
        assert!(servers[2].tls_required());
    }

    #[test]
    fn a_bad_entry_is_named_with_its_secret_masked() {
        let err = server_list("nats://a:4222,nats://alice:s3cret@b:notaport")
            .unwrap_err()
            .to_string();
        assert!(err.contains("nats://***@b:notaport"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
        assert!(server_list(" , ").is_err());
    }

    #[test]
    fn redact_masks_user_information_only() {
        assert_eq!(
            redact("nats://alice:pw@h:4222,nats://h2:4222,tok@h3"),
            "nats://***@h:4222,nats://h2:4222,***@h3"
        );
    }

    #[tokio::test]
    async fn two_ways_of_authenticating_are_refused() {
        let auth = NatsSettings {
            token: Some(Secret::new("t")),
            user: Some("u".into()),
            password: Some(Secret::new("p")),
            ..Default::default()
        };
        let servers = server_list("nats://127.0.0.1:1").unwrap();
        let err = with_credentials(ConnectOptions::new(), &auth, &servers)
            .await
            .err()
            .unwrap();
        assert!(err.to_string().contains("only one"), "{err}");
        let secret = format!("{auth:?}");
        assert!(
            !secret.contains("\"p\"") && !secret.contains("\"t\""),
            "{secret}"
        );
    }
}
