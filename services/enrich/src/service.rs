//! The enrich stage as a service builds it from the `[enrich]` settings:
//! the watch-list loaded and kept reloaded, the dictionaries built before
//! the first article. Shared by `newsflow-enrich` and the fused pipeline
//! (`newsflow pipeline`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use newsflow_core::html::HtmlLimits;
use serde::Deserialize;

use crate::watchlist::Watchlist;
use crate::{EnrichStage, record_watchlist_load};

/// The `[enrich]` section of the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnrichConfig {
    /// Entity watch-list file (same format as `services/enrich/data/entities.tsv`),
    /// matched on top of the project's list; none by default.
    pub watchlist: Option<PathBuf>,
    /// Seconds between checks of the watch-list's modification time; it is
    /// reloaded, without a restart, when it changes.
    pub watchlist_poll_secs: u64,
}

impl Default for EnrichConfig {
    fn default() -> Self {
        Self {
            watchlist: None,
            watchlist_poll_secs: 10,
        }
    }
}

/// Loads the watch-list (and starts polling it on the current tokio
/// runtime), builds the dictionaries and patterns, and returns the stage.
///
/// # Errors
/// When the watch-list cannot be loaded.
pub fn start(config: &EnrichConfig, html_limits: HtmlLimits) -> anyhow::Result<EnrichStage> {
    let watchlist = match &config.watchlist {
        Some(path) => {
            let list = Watchlist::load(path)
                .with_context(|| format!("loading the watch-list {}", path.display()))?;
            record_watchlist_load(Ok(list.entities()));
            tracing::info!(path = %path.display(), entities = list.entities(), "watch-list loaded");
            let list = Arc::new(list);
            tokio::spawn(poll_watchlist(
                list.clone(),
                Duration::from_secs(config.watchlist_poll_secs.max(1)),
            ));
            Some(list)
        }
        None => None,
    };
    // Build the dictionaries and patterns now, not on the first article
    // (nothing is consumed yet, so blocking here delays no one).
    let started = Instant::now();
    crate::warm_up();
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "dictionaries and patterns built"
    );
    Ok(EnrichStage::new(watchlist, html_limits))
}

/// Reloads the watch-list whenever its file changes; a broken file is logged
/// and the previous list kept.
async fn poll_watchlist(list: Arc<Watchlist>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let checked = list.clone();
        match tokio::task::spawn_blocking(move || checked.reload_if_changed()).await {
            Ok(Ok(true)) => {
                record_watchlist_load(Ok(list.entities()));
                tracing::info!(path = %list.path().display(), entities = list.entities(), "watch-list reloaded");
            }
            Ok(Ok(false)) => {}
            Ok(Err(err)) => {
                record_watchlist_load(Err(()));
                tracing::warn!(error = %err, "watch-list not reloaded; keeping the previous one");
            }
            Err(err) => tracing::warn!(error = %err, "watch-list check failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_enrich_section_parses_and_rejects_unknown_keys() {
        let config: EnrichConfig =
            toml::from_str("watchlist = \"/etc/newsflow/watch.tsv\"\nwatchlist_poll_secs = 30\n")
                .unwrap();
        assert_eq!(
            config.watchlist.unwrap(),
            PathBuf::from("/etc/newsflow/watch.tsv")
        );
        assert_eq!(config.watchlist_poll_secs, 30);
        let config: EnrichConfig = toml::from_str("").unwrap();
        assert!(config.watchlist.is_none());
        assert!(toml::from_str::<EnrichConfig>("watch_list = \"x\"").is_err());
    }
}
