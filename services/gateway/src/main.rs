//! `newsflow-gateway`: the HTTP ingest gateway.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use newsflow_core::config::CommonArgs;
use newsflow_core::metrics::{self, pipeline};
use newsflow_core::telemetry::chain;
use newsflow_core::{subjects, topology};
use newsflow_gateway::{Gateway, GatewayConfig, VERSION};

/// Takes articles over HTTP and publishes them to `news.raw`:
/// `POST /v1/articles` with one JSON article (`application/json`) or one per
/// line (`application/x-ndjson`). Answers 202 with the stored ids once
/// JetStream has acknowledged them, 207 or 400 with the refused lines and
/// why, 503 with Retry-After when NATS cannot take them, 413 over the body
/// limit. `proto/gateway.openapi.json` describes every answer.
///
/// Run as many replicas as you like behind a load balancer. Stops on SIGTERM
/// or Ctrl-C after answering the requests in flight.
///
/// Exit status: 0 after a clean stop, 1 when it cannot start (configuration,
/// token file, an address in use, the server refusing the stream).
#[derive(Debug, Parser)]
#[command(name = "newsflow-gateway", version, about, long_about)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
    /// Address the HTTP API listens on [default: 127.0.0.1:8080]
    #[arg(long, env = "LISTEN_ADDR", value_name = "HOST:PORT")]
    listen: Option<SocketAddr>,
    /// File holding the bearer token clients must send
    /// (`Authorization: Bearer <token>`); without it no token is asked.
    #[arg(long, env = "NEWSFLOW_GATEWAY_TOKEN_FILE", value_name = "FILE")]
    token_file: Option<PathBuf>,
}

const NAME: &str = "newsflow-gateway";
const DEFAULT_METRICS_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 9104);

fn main() -> anyhow::Result<()> {
    newsflow_core::service::block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    let settings = args
        .common
        .load(DEFAULT_METRICS_ADDR)
        .context("loading configuration")?;
    newsflow_core::telemetry::init(settings.log_format, "info");
    let mut config: GatewayConfig = settings
        .section("gateway")
        .context("reading the [gateway] settings")?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(path) = args.token_file {
        config.token_file = Some(path);
    }
    let token = match &config.token_file {
        Some(path) => Some(read_token(path)?),
        None => None,
    };
    pipeline()
        .build_info
        .with_label_values(&[NAME, VERSION])
        .set(1);
    tracing::info!(
        service = NAME,
        version = VERSION,
        nats_url = %newsflow_core::nats::redact(&settings.nats_url),
        listen = %config.listen,
        metrics_addr = %settings.metrics_addr,
        token = token.is_some(),
        "starting"
    );
    let shutdown = newsflow_core::shutdown::on_signal();
    let client = newsflow_core::nats::connect(&settings.nats_url, &settings.nats, NAME, true)
        .await
        .context("connecting to NATS")?;
    let js = async_nats::jetstream::context::ContextBuilder::new()
        .timeout(config.publish_timeout())
        .max_ack_inflight(config.max_ack_inflight.max(1))
        .backpressure_on_inflight(true)
        .build(client.clone());
    let gateway = Arc::new(Gateway {
        client: client.clone(),
        js: js.clone(),
        limits: settings.intake_limits(),
        config: config.clone(),
        token,
        stream_ready: Default::default(),
    });

    let health_gateway = gateway.clone();
    let health: metrics::HealthCheck = Arc::new(move || health_gateway.is_ready());
    let (metrics_addr, metrics_task) =
        metrics::serve(settings.metrics_addr, health, shutdown.clone())
            .await
            .with_context(|| {
                format!("binding the metrics endpoint on {}", settings.metrics_addr)
            })?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding the HTTP API on {}", config.listen))?;
    let api_addr = listener.local_addr().context("reading the API address")?;
    tracing::info!(%api_addr, %metrics_addr, "serving POST /v1/articles, /metrics, /healthz and /livez");
    let api_shutdown = shutdown.clone();
    let api = tokio::spawn(
        axum::serve(listener, newsflow_gateway::router(gateway.clone()))
            .with_graceful_shutdown(async move { api_shutdown.cancelled().await })
            .into_future(),
    );

    // The stream of news.raw must exist before anything is published; with
    // streams.manage the gateway creates it like every service does.
    let spec = topology::stream_for(subjects::RAW);
    let mut stream_result = Ok(());
    while !shutdown.is_cancelled() {
        match topology::ensure_or_check_stream(&js, spec, &settings.streams).await {
            Ok(line) => {
                tracing::info!("{line}");
                gateway.stream_ready.store(true, Ordering::Relaxed);
                break;
            }
            Err(err) if err.is_refused() => {
                stream_result = Err(err);
                shutdown.cancel();
            }
            Err(err) => {
                tracing::warn!(error = %chain(&err), "cannot find the news.raw stream yet; retrying");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    () = shutdown.cancelled() => {}
                }
            }
        }
    }

    shutdown.cancelled().await;
    tracing::info!("stopping: answering the requests in flight");
    let served = api.await;
    if let Err(err) = client.drain().await {
        tracing::warn!(error = %chain(&err), "draining the NATS connection failed");
    }
    let _ = metrics_task.await;
    stream_result.context("the NATS server refused the news.raw stream")?;
    served
        .context("the HTTP API task failed")?
        .context("serving the HTTP API")?;
    tracing::info!(service = NAME, "stopped");
    Ok(())
}

fn read_token(path: &std::path::Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the bearer token file {}", path.display()))?;
    let token = text.trim();
    anyhow::ensure!(
        !token.is_empty(),
        "the bearer token file {} is empty",
        path.display()
    );
    Ok(token.to_string())
}
