//! Load generator for `newsflow-gateway` (a running gateway at `--url`):
//! first the throughput of NDJSON batches posted back to back by a few
//! connections, then the latency of single articles sent at a steady rate.
//!
//! Latency is measured from the time a request was due, not from when it was
//! sent, so a stalled gateway shows as late answers rather than as fewer
//! requests. `deploy/local/bench-gateway.sh` starts nats-server and the
//! gateway (release build) and runs this.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser;

/// Posts generated articles to a running gateway and prints what it sustained.
///
/// Exit status: 0 after printing the figures, 1 when the gateway refused
/// requests (any answer but 202) or could not be reached.
#[derive(Debug, Parser)]
#[command(name = "newsflow-gateway-bench")]
struct Args {
    /// The gateway's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Seconds of the throughput phase.
    #[arg(long, default_value_t = 10)]
    throughput_secs: u64,
    /// Articles per NDJSON batch in the throughput phase.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Connections posting batches at once.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Articles per second of the latency phase (one article per request).
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    /// Seconds of the latency phase.
    #[arg(long, default_value_t = 10)]
    latency_secs: u64,
    /// Bytes of text per generated article.
    #[arg(long, default_value_t = 3000)]
    article_bytes: usize,
    /// File holding the gateway's bearer token, if it asks for one.
    #[arg(long)]
    token_file: Option<std::path::PathBuf>,
}

const WORDS: &[&str] = &[
    "council", "minister", "harbour", "election", "storm", "budget", "river", "talks", "market",
    "school", "railway", "court", "hospital", "festival", "factory", "border", "report", "weather",
    "bridge", "village", "police", "energy", "prices", "farmers",
];

/// An article of about `bytes` bytes whose words depend on `n`, so no two
/// are copies of each other.
fn article(run: &str, n: u64, bytes: usize) -> String {
    let mut text = String::with_capacity(bytes + 16);
    let mut state = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while text.len() < bytes {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        text.push_str(WORDS[(state % WORDS.len() as u64) as usize]);
        text.push(' ');
    }
    serde_json::json!({"id": format!("{run}-{n}"), "title": format!("Bench article {n}"), "text": text})
        .to_string()
}

struct Client {
    agent: ureq::Agent,
    url: String,
    token: Option<String>,
}

impl Client {
    /// Posts `body`; returns the answer's status.
    fn post(&self, content_type: &str, body: &[u8]) -> anyhow::Result<u16> {
        let mut request = self
            .agent
            .post(&self.url)
            .header("Content-Type", content_type);
        if let Some(token) = &self.token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let mut response = request
            .send(body)
            .with_context(|| format!("posting to {}", self.url))?;
        let status = response.status().as_u16();
        // Read the answer to the end, so the connection is reused.
        let _ = response.body_mut().read_to_string();
        Ok(status)
    }
}

fn percentile(sorted: &[Duration], share: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let at = ((sorted.len() as f64 * share).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[at]
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let token = match &args.token_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("reading the token file {}", path.display()))?
                .trim()
                .to_string(),
        ),
        None => None,
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .max_idle_connections_per_host(256)
        .build()
        .into();
    let client = Arc::new(Client {
        agent,
        url: format!("{}/v1/articles", args.url.trim_end_matches('/')),
        token,
    });
    let run = format!(
        "bench-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
    );

    // Phase 1: NDJSON batches back to back.
    let next = Arc::new(AtomicU64::new(0));
    let accepted = Arc::new(AtomicU64::new(0));
    let refused_requests = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.throughput_secs);
    let workers: Vec<_> = (0..args.connections)
        .map(|_| {
            let (client, next, accepted, refused) = (
                client.clone(),
                next.clone(),
                accepted.clone(),
                refused_requests.clone(),
            );
            let (run, batch, bytes) = (run.clone(), args.batch, args.article_bytes);
            std::thread::spawn(move || -> anyhow::Result<()> {
                while Instant::now() < deadline {
                    let first = next.fetch_add(batch as u64, Ordering::Relaxed);
                    let mut body = String::with_capacity(batch * (bytes + 100));
                    for n in first..first + batch as u64 {
                        body.push_str(&article(&run, n, bytes));
                        body.push('\n');
                    }
                    match client.post("application/x-ndjson", body.as_bytes())? {
                        202 => {
                            accepted.fetch_add(batch as u64, Ordering::Relaxed);
                        }
                        _ => {
                            refused.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                Ok(())
            })
        })
        .collect();
    for worker in workers {
        worker
            .join()
            .map_err(|_| anyhow::anyhow!("a load thread panicked"))??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let throughput = accepted.load(Ordering::Relaxed) as f64 / elapsed;
    println!(
        "throughput: {} articles accepted in {elapsed:.1} s = {throughput:.0} articles/s \
         (NDJSON batches of {}, {} connections, {} bytes of text each); {} requests not answered 202",
        accepted.load(Ordering::Relaxed),
        args.batch,
        args.connections,
        args.article_bytes,
        refused_requests.load(Ordering::Relaxed)
    );

    // Phase 2: single articles at a steady rate, latency from the due time.
    let total = args.rate * args.latency_secs;
    let interval = Duration::from_secs_f64(1.0 / args.rate.max(1) as f64);
    let bodies: Arc<Vec<String>> = Arc::new(
        (0..total)
            .map(|i| article(&format!("{run}-steady"), i, args.article_bytes))
            .collect(),
    );
    let next = Arc::new(AtomicU64::new(0));
    let not_accepted = Arc::new(AtomicUsize::new(0));
    let threads = 64;
    let started = Instant::now() + Duration::from_millis(100);
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (client, next, bodies, not_accepted) = (
                client.clone(),
                next.clone(),
                bodies.clone(),
                not_accepted.clone(),
            );
            std::thread::spawn(move || -> anyhow::Result<Vec<Duration>> {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        return Ok(latencies);
                    }
                    let due = started + interval.mul_f64(i as f64);
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    let status = client.post("application/json", bodies[i as usize].as_bytes())?;
                    if status != 202 {
                        not_accepted.fetch_add(1, Ordering::Relaxed);
                    }
                    latencies.push(due.elapsed());
                }
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(total as usize);
    for worker in workers {
        latencies.extend(
            worker
                .join()
                .map_err(|_| anyhow::anyhow!("a load thread panicked"))??,
        );
    }
    let steady_secs = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p99 = percentile(&latencies, 0.99);
    println!(
        "latency at a steady {} articles/s (one article per request, {} requests in {steady_secs:.1} s): \
         p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {} requests not answered 202",
        args.rate,
        latencies.len(),
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.90)),
        ms(p99),
        ms(latencies.last().copied().unwrap_or_default()),
        not_accepted.load(Ordering::Relaxed)
    );
    println!(
        "gateway {throughput:.0} articles/s accepted (batches of {}), p99 {:.1} ms at {} articles/s",
        args.batch,
        ms(p99),
        args.rate
    );
    let failures = refused_requests.load(Ordering::Relaxed) + not_accepted.load(Ordering::Relaxed);
    anyhow::ensure!(failures == 0, "{failures} requests were not answered 202");
    Ok(())
}
