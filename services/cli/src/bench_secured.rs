//! `newsflow bench --secured CONFIG`: the deployments measured a second
//! time against a nats-server of the bench's own that runs the shipped
//! secured configuration (`deploy/nats/nats-server-secured.conf` and its
//! `auth.conf`: every client authenticates, each with its role's
//! permissions) with its TLS block turned on, for certificates of a CA made
//! for the run (client certificates verified). Each service runs as its own
//! user with TLS, as in production; the figures are printed beside the
//! unsecured ones of the same invocation, so the cost of authentication,
//! authorization and TLS reads off directly.
//!
//! The bench itself publishes to `news.raw` and watches the output subjects
//! (core subscriptions, as in the unsecured runs), which no shipped user may
//! do both of: the config the bench writes adds a `bench` user for that,
//! and leaves the shipped users as they are.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use async_nats::jetstream;
use newsflow_core::config::Settings;
use newsflow_core::{subjects, test_tls, topology};

/// The users of the shipped `auth.conf` the measured processes run as, by
/// binary (and the bench's own user).
const USERS: [&str; 8] = [
    "langid", "dedup", "enrich", "pipeline", "sink", "crawler", "consumer", "operator",
];

/// The secured nats-server the bench started, and what its clients need.
pub struct SecuredServer {
    child: std::process::Child,
    port: u16,
    dir: PathBuf,
    passwords: HashMap<&'static str, String>,
}

impl Drop for SecuredServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl SecuredServer {
    /// Makes a CA and certificates, writes `config` with its TLS block on
    /// (and the `bench` user added), starts `NATS_SERVER_BIN` (or
    /// `nats-server` from `PATH`) on a free loopback port and creates the
    /// pipeline's streams and consumers as the operator would.
    ///
    /// # Errors
    /// When openssl or nats-server cannot run, the config has no TLS block
    /// or no user list, or the server does not start.
    pub async fn start(config: &Path, settings: &Settings) -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!(
            "newsflow-bench-secured-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_millis()
        ));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        test_tls::write_test_ca(&dir)?;
        let bench_password = random_password();
        write_config(config, &dir, &bench_password)?;
        let mut passwords: HashMap<&'static str, String> = USERS
            .iter()
            .map(|user| (*user, random_password()))
            .collect();
        passwords.insert("bench", bench_password);
        let port = free_port()?;
        let binary = std::env::var("NATS_SERVER_BIN").unwrap_or_else(|_| "nats-server".into());
        let child = Command::new(&binary)
            // The config's monitoring port, moved to a free one.
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string()])
            .args(["-m", &free_port()?.to_string()])
            .arg("-sd")
            .arg(dir.join("store"))
            .arg("-l")
            .arg(dir.join("nats.log"))
            .arg("-c")
            .arg(dir.join("nats-server-secured.conf"))
            .envs(
                USERS
                    .iter()
                    .map(|user| (password_variable(user), passwords[user].clone())),
            )
            .spawn()
            .with_context(|| format!("starting {binary} (set NATS_SERVER_BIN)"))?;
        let server = Self {
            child,
            port,
            dir,
            passwords,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        let js = loop {
            match server.client("bench").await {
                Ok(js) => break js,
                Err(err) if Instant::now() > deadline => {
                    return Err(err.context(format!(
                        "the secured nats-server did not accept the bench; its log:\n{}",
                        std::fs::read_to_string(server.dir.join("nats.log")).unwrap_or_default()
                    )));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        topology::ensure_all(&js, &settings.streams, &settings.consumer)
            .await
            .context("creating the streams on the secured server")?;
        Ok(server)
    }

    /// Its URL: TLS is required, so clients need the CA and a certificate.
    pub fn url(&self) -> String {
        format!("tls://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Operations the server refused so far ("Permissions Violation" in its
    /// log): none, when every process ran with what its user may do.
    pub fn violations(&self) -> usize {
        std::fs::read_to_string(self.dir.join("nats.log"))
            .unwrap_or_default()
            .matches("Permissions Violation")
            .count()
    }

    /// A JetStream context of `user`, over TLS with the run's certificates.
    ///
    /// # Errors
    /// When the server refuses the connection.
    pub async fn client(&self, user: &str) -> anyhow::Result<jetstream::Context> {
        let client = async_nats::ConnectOptions::with_user_and_password(
            user.into(),
            self.passwords[user].clone(),
        )
        .custom_inbox_prefix(format!("_INBOX_{user}"))
        .add_root_certificates(self.dir.join(test_tls::CA_FILE))
        .add_client_certificate(
            self.dir.join(test_tls::CLIENT_CERT_FILE),
            self.dir.join(test_tls::CLIENT_KEY_FILE),
        )
        .require_tls(true)
        .connect(self.url())
        .await
        .with_context(|| format!("connecting to the secured server as {user}"))?;
        Ok(jetstream::new(client))
    }

    /// The environment a process of the deployment runs with: the user of
    /// its binary (`newsflow` is the fused pipeline), TLS, and streams
    /// managed by the operator (services may not create them).
    pub fn env_for(&self, binary: &str) -> anyhow::Result<Vec<(String, String)>> {
        let user = match binary {
            "newsflow-langid" => "langid",
            "newsflow-dedup" => "dedup",
            "newsflow-enrich" => "enrich",
            "newsflow" => "pipeline",
            other => bail!("no user of the secured config runs {other}"),
        };
        let file = |name: &str| self.dir.join(name).display().to_string();
        Ok(vec![
            ("NATS_USER".into(), user.into()),
            ("NATS_PASSWORD".into(), self.passwords[user].clone()),
            (
                "NEWSFLOW__NATS__INBOX_PREFIX".into(),
                format!("_INBOX_{user}"),
            ),
            ("NEWSFLOW__STREAMS__MANAGE".into(), "false".into()),
            ("NATS_CA".into(), file(test_tls::CA_FILE)),
            ("NATS_CERT".into(), file(test_tls::CLIENT_CERT_FILE)),
            ("NATS_KEY".into(), file(test_tls::CLIENT_KEY_FILE)),
            ("NEWSFLOW__NATS__TLS_REQUIRED".into(), "true".into()),
        ])
    }
}

/// `NEWSFLOW_<USER>_PASSWORD`, the variable auth.conf reads a password from.
fn password_variable(user: &str) -> String {
    format!("NEWSFLOW_{}_PASSWORD", user.to_uppercase())
}

/// A password for one run: the standard library's randomly keyed hasher
/// is random enough for a server that lives as long as the bench, on
/// loopback. It starts with letters: nats-server reads a variable's value
/// as a config value, and one starting with a digit as a number.
fn random_password() -> String {
    use std::hash::{BuildHasher, Hasher};
    let random: String = (0..2)
        .map(|_| {
            let hasher = std::collections::hash_map::RandomState::new().build_hasher();
            format!("{:016x}", hasher.finish())
        })
        .collect();
    format!("pw{random}")
}

fn free_port() -> anyhow::Result<u16> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").context("finding a free loopback port")?;
    Ok(listener.local_addr()?.port())
}

/// Writes the shipped secured config into `dir` with its commented `tls`
/// block turned on for the certificates in `dir`, and its `auth.conf` with
/// the bench's own user added: it publishes articles and watches the outputs.
fn write_config(config: &Path, dir: &Path, bench_password: &str) -> anyhow::Result<()> {
    let shipped =
        std::fs::read_to_string(config).with_context(|| format!("reading {}", config.display()))?;
    let out = test_tls::with_tls_on(&shipped, dir)
        .with_context(|| format!("turning on the tls block of {}", config.display()))?;
    std::fs::write(dir.join("nats-server-secured.conf"), out)?;

    let auth_path = config.with_file_name("auth.conf");
    let auth = std::fs::read_to_string(&auth_path)
        .with_context(|| format!("reading {}", auth_path.display()))?;
    let outputs = [subjects::ENRICHED, subjects::DUPLICATES, subjects::DLQ]
        .map(|s| format!("\"{s}\""))
        .join(", ");
    let bench_user = format!(
        "  users = [\n    {{\n      user: bench\n      password: \"{bench_password}\"\n      permissions: {{\n        publish: {{ allow: [\"{}\", \"$JS.API.>\"] }}\n        subscribe: {{ allow: [{outputs}, \"_INBOX_bench.>\"] }}\n      }}\n    }}\n",
        subjects::RAW
    );
    if !auth.contains("  users = [\n") {
        bail!("{} has no `users = [` list", auth_path.display());
    }
    std::fs::write(
        dir.join("auth.conf"),
        auth.replacen("  users = [\n", &bench_user, 1),
    )?;
    Ok(())
}

/// One pair of the comparison: the same articles without and with
/// authentication and TLS, as (articles/s, µs CPU per article) each.
pub struct Pair {
    pub unsecured: (f64, f64),
    pub secured: (f64, f64),
    /// Whether the secured run came first.
    pub secured_first: bool,
    /// The one-minute load average before and after the pair.
    pub load: (Option<f64>, Option<f64>),
}

impl Pair {
    /// Secured throughput as a share of the unsecured, in %.
    fn share(&self) -> f64 {
        self.secured.0 / self.unsecured.0 * 100.0
    }

    /// The unsecured CPU per article as a share of the secured, in %: the
    /// secured throughput as a share of the unsecured where the CPU is the
    /// limit and the pipeline has it to itself. On a machine shared with
    /// other work the CPU per article varies far less than the wall clock.
    fn share_at_equal_cpu(&self) -> f64 {
        self.unsecured.1 / self.secured.1 * 100.0
    }
}

/// The one-minute load average (`/proc/loadavg`), where there is one.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Prints every pair of each deployment, then its median share: on a
/// shared machine one pair can be off by the load of the moment.
pub fn print_comparison(rows: &[(&str, Vec<Pair>)], violations: usize) {
    let load = |load: Option<f64>| load.map_or_else(|| "?".into(), |l| format!("{l:.1}"));
    println!();
    println!(
        "with authentication, per-service permissions and TLS (same invocation; {violations} operations refused by the secured server):"
    );
    for (name, pairs) in rows {
        for (index, pair) in pairs.iter().enumerate() {
            println!(
                "  {name:<9} pair {} ({} first, load {} -> {}): {:>6.0} articles/s unsecured, {:>6.0} secured: {:.1} % of unsecured; CPU per article {:.0} -> {:.0} µs ({:.1} % at equal CPU)",
                index + 1,
                if pair.secured_first {
                    "secured"
                } else {
                    "unsecured"
                },
                load(pair.load.0),
                load(pair.load.1),
                pair.unsecured.0,
                pair.secured.0,
                pair.share(),
                pair.unsecured.1,
                pair.secured.1,
                pair.share_at_equal_cpu(),
            );
        }
        for (what, share) in [
            ("throughput", Pair::share as fn(&Pair) -> f64),
            ("at equal CPU", Pair::share_at_equal_cpu),
        ] {
            let mut shares: Vec<f64> = pairs.iter().map(share).collect();
            shares.sort_by(f64::total_cmp);
            if let Some(median) = median(&shares) {
                println!(
                    "  {name:<9} median of {} pairs, {what}: secured {median:.1} % of unsecured (lowest {:.1} %, highest {:.1} %)",
                    shares.len(),
                    shares[0],
                    shares[shares.len() - 1]
                );
            }
        }
    }
}

/// The median of sorted values.
fn median(sorted: &[f64]) -> Option<f64> {
    let middle = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[middle]),
        _ => Some((sorted[middle - 1] + sorted[middle]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[83.0, 92.0, 95.0]), Some(92.0));
        assert_eq!(median(&[83.0, 92.0, 94.0, 95.0]), Some(93.0));
    }
}
