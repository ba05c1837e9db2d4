//! Connecting to NATS with the options every newsflow process wants.

use std::time::Duration;

use async_nats::jetstream;

use crate::metrics::pipeline;

/// Errors while connecting.
#[derive(Debug, thiserror::Error)]
#[error("cannot connect to NATS at {url}")]
pub struct ConnectError {
    pub url: String,
    #[source]
    pub source: async_nats::ConnectError,
}

/// Connects with a client name, endless reconnects and connection events
/// logged and counted. With `wait_for_server`, the first connection is retried
/// too (services); without, an unreachable server is an immediate error (CLI).
///
/// # Errors
/// When the URL is invalid, or the server is unreachable and `wait_for_server` is false.
pub async fn connect(
    url: &str,
    name: &str,
    wait_for_server: bool,
) -> Result<async_nats::Client, ConnectError> {
    let mut options = async_nats::ConnectOptions::new()
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
    if wait_for_server {
        options = options.retry_on_initial_connect();
    }
    options.connect(url).await.map_err(|source| ConnectError {
        url: url.to_string(),
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
