//! Everything a stage binary does around its transform: settings, logs,
//! NATS, topology, metrics endpoint, signals, the loop, and a clean exit.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use async_nats::jetstream;
use tokio_util::sync::CancellationToken;

use crate::config::{CommonArgs, Settings};
use crate::metrics::{self, pipeline};
use crate::runtime::{Processor, Readiness, run_stage};
use crate::telemetry::chain;
use crate::topology::{self, ConsumerSpec};

/// What a stage binary declares about itself.
pub struct StageBinary {
    /// Process and client name, e.g. `newsflow-langid`.
    pub name: &'static str,
    pub version: &'static str,
    /// Default `/metrics` address when neither flag, env nor file sets one.
    pub default_metrics_addr: SocketAddr,
    /// Durable consumer the stage reads.
    pub consumer: &'static ConsumerSpec,
    /// Subjects the stage publishes to (their streams are ensured at start).
    pub outputs: &'static [&'static str],
}

/// Runs a stage binary's main future on a multi-threaded runtime. At exit it
/// does not wait for transforms still running past their time limit (their
/// threads cannot be stopped, and their messages are already dead-lettered).
///
/// # Errors
/// When the runtime cannot start, or as `main` returns.
pub fn block_on(main: impl Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(main);
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    result
}

/// Loads settings and starts logging; returns the settings for the stage to read its section.
///
/// # Errors
/// When the configuration cannot be loaded.
pub fn load_settings(binary: &StageBinary, args: &CommonArgs) -> anyhow::Result<Settings> {
    let settings = args
        .load(binary.default_metrics_addr)
        .context("loading configuration")?;
    crate::telemetry::init(settings.log_format, "info");
    Ok(settings)
}

/// Runs a stage until SIGTERM/Ctrl-C, then drains and returns. `build` makes
/// the stage's processor from the JetStream context (to open streams it reads).
///
/// # Errors
/// When the metrics address cannot be bound, `build` fails, or the server
/// refuses a stream or the consumer configuration (the binary then exits
/// non-zero with the server's reason).
pub async fn run<P: Processor>(
    binary: &StageBinary,
    settings: Settings,
    build: impl AsyncFnOnce(&jetstream::Context) -> anyhow::Result<P>,
) -> anyhow::Result<()> {
    run_until(binary, settings, build, crate::shutdown::on_signal()).await
}

/// [`run`] with an injected shutdown token.
///
/// # Errors
/// As [`run`].
pub async fn run_until<P: Processor>(
    binary: &StageBinary,
    settings: Settings,
    build: impl AsyncFnOnce(&jetstream::Context) -> anyhow::Result<P>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let consumers = [binary.consumer];
    run_consumers_until(
        binary,
        &consumers,
        settings,
        async |js| Ok(vec![build(js).await?]),
        shutdown,
    )
    .await
}

/// Runs one loop per consumer in one process (the PostgreSQL sink reads two
/// streams), each with its own processor from `build` (in the order of
/// `consumers`), until `shutdown`; then drains as [`run`] does. Ready while
/// every loop is consuming. A loop that stops with an error stops the others.
///
/// # Errors
/// As [`run`], for any of the consumers.
pub async fn run_consumers_until<P: Processor>(
    binary: &StageBinary,
    consumers: &[&'static ConsumerSpec],
    settings: Settings,
    build: impl AsyncFnOnce(&jetstream::Context) -> anyhow::Result<Vec<P>>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    pipeline()
        .build_info
        .with_label_values(&[binary.name, binary.version])
        .set(1);
    tracing::info!(
        service = binary.name,
        version = binary.version,
        nats_url = %crate::nats::redact(&settings.nats_url),
        metrics_addr = %settings.metrics_addr,
        "starting"
    );
    let client =
        crate::nats::connect(&settings.nats_url, &settings.nats, binary.name, true).await?;
    let health_client = client.clone();
    let readiness: Vec<Readiness> = consumers.iter().map(|_| Readiness::default()).collect();
    let ready = readiness.clone();
    let health: metrics::HealthCheck = Arc::new(move || {
        health_client.connection_state() == async_nats::connection::State::Connected
            && ready.iter().all(Readiness::is_ready)
    });
    let (metrics_addr, metrics_task) =
        metrics::serve(settings.metrics_addr, health, shutdown.clone())
            .await
            .with_context(|| {
                format!("binding the metrics endpoint on {}", settings.metrics_addr)
            })?;
    tracing::info!(%metrics_addr, "serving /metrics, /healthz and /livez");

    let js = crate::nats::jetstream(client.clone(), settings.consumer.concurrency.get() * 2);
    let stream_specs = consumers
        .iter()
        .map(|consumer| consumer.subject)
        .chain(binary.outputs.iter().copied())
        .chain(std::iter::once(crate::subjects::DLQ));
    for subject in stream_specs {
        let spec = topology::stream_for(subject);
        loop {
            match topology::ensure_or_check_stream(&js, spec, &settings.streams).await {
                Ok(line) => {
                    tracing::debug!("{line}");
                    break;
                }
                Err(err) if shutdown.is_cancelled() || err.is_refused() => return Err(err.into()),
                Err(err) => {
                    tracing::warn!(error = %chain(&err), "cannot ensure stream yet; retrying");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        }
    }

    let processors = build(&js).await?;
    assert_eq!(
        processors.len(),
        consumers.len(),
        "one processor per consumer"
    );
    let loops = processors.into_iter().zip(consumers).zip(readiness).map(
        |((processor, spec), readiness)| {
            let (js, settings, shutdown) =
                (js.clone(), settings.consumer.clone(), shutdown.clone());
            async move {
                let result =
                    run_stage(js, spec, settings, processor, shutdown.clone(), readiness).await;
                // One loop refused by the server: the process stops as a whole.
                shutdown.cancel();
                result
            }
        },
    );
    let results = futures::future::join_all(loops).await;
    let result = results
        .into_iter()
        .collect::<Result<Vec<()>, _>>()
        .map(|_| ());
    shutdown.cancel();
    if let Err(err) = client.drain().await {
        tracing::warn!(error = %chain(&err), "draining the NATS connection failed");
    }
    let _ = metrics_task.await;
    match &result {
        Ok(()) => tracing::info!(service = binary.name, "stopped"),
        Err(err) => tracing::error!(service = binary.name, error = %chain(err), "stopped"),
    }
    Ok(result?)
}
