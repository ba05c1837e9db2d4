//! Logging setup: `tracing` to stderr, human-readable or JSON, level from
//! `RUST_LOG`; [`chain`] shows an error with all its causes.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber once; later calls are ignored. `default_level`
/// applies when `RUST_LOG` is not set (`info` for services, `warn` for the CLI).
pub fn init(format: LogFormat, default_level: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colour only for a terminal: a log file or a pipe gets plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Human => builder.with_target(false).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Displays an error with its whole `source()` chain, `outer: inner: root`,
/// so a log line keeps every cause (log fields take this, not `to_string()`).
pub fn chain<'a>(err: &'a (dyn std::error::Error + 'static)) -> Chain<'a> {
    Chain(err)
}

/// See [`chain`].
pub struct Chain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut previous = self.0.to_string();
        f.write_str(&previous)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            // Some libraries (async-nats) also print their source in their
            // own message: do not repeat it.
            let text = cause.to_string();
            if !previous.ends_with(&text) {
                write!(f, ": {text}")?;
            }
            previous = text;
            source = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::chain;

    #[derive(Debug, thiserror::Error)]
    #[error("reading {path}")]
    struct Outer {
        path: &'static str,
        #[source]
        source: std::io::Error,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("wrapped: {source}")]
    struct Repeats {
        #[source]
        source: std::io::Error,
    }

    #[test]
    fn every_cause_is_shown_once() {
        let outer = Outer {
            path: "a.toml",
            source: std::io::Error::other("disk on fire"),
        };
        assert_eq!(chain(&outer).to_string(), "reading a.toml: disk on fire");
        let repeats = Repeats {
            source: std::io::Error::other("disk on fire"),
        };
        assert_eq!(chain(&repeats).to_string(), "wrapped: disk on fire");
    }
}
