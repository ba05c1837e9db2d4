//! A real PostgreSQL server per test: `initdb` into a
//! temporary directory and `postgres` on a free loopback port, stopped and
//! removed on drop.
//!
//! The binaries come from `POSTGRES_BIN_DIR`, else the newest
//! `/usr/lib/postgresql/<version>/bin` (Debian's `postgresql` package;
//! `tests/run.sh` installs it). PostgreSQL refuses to run as root, so as
//! root the server runs as the `postgres` user the package creates.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The directory of `initdb` and `postgres`.
pub fn postgres_bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("POSTGRES_BIN_DIR") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).unwrap_or_else(|| {
        panic!(
            "PostgreSQL not found: install it (`apt-get install postgresql`) or set \
             POSTGRES_BIN_DIR; tests/run.sh does this"
        )
    })
}

/// The uid and gid of the `postgres` user, when this process is root.
fn run_as() -> Option<(u32, u32)> {
    let id = |flag: &str| -> u32 {
        let out = Command::new("id")
            .args([flag, "postgres"])
            .output()
            .expect("`id` runs");
        assert!(
            out.status.success(),
            "running as root, PostgreSQL needs the `postgres` user (apt-get install postgresql creates it)"
        );
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("a numeric id")
    };
    let me = Command::new("id").arg("-u").output().expect("`id` runs");
    (String::from_utf8_lossy(&me.stdout).trim() == "0").then(|| (id("-u"), id("-g")))
}

/// A PostgreSQL server with the database `postgres` and the superuser
/// `newsflow` (trust authentication, loopback only).
pub struct Postgres {
    child: Option<Child>,
    pub port: u16,
    dir: tempfile::TempDir,
    user: Option<(u32, u32)>,
}

impl Postgres {
    /// Creates a cluster and starts it; `settings` are extra `-c` options
    /// (`fsync=off` for tests that do not measure anything).
    pub fn start(settings: &[&str]) -> Self {
        let bin = postgres_bin_dir();
        let dir = tempfile::tempdir().expect("temp dir for PostgreSQL");
        let user = run_as();
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .expect("hand the temp dir to the postgres user");
        }
        let data = dir.path().join("data");
        let mut initdb = Command::new(bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-U", "newsflow", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        as_user(&mut initdb, user);
        let out = initdb.output().expect("initdb runs");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut server = Self {
            child: None,
            port: crate::free_port(),
            dir,
            user,
        };
        server.spawn(&bin, settings);
        server
    }

    fn spawn(&mut self, bin: &Path, settings: &[&str]) {
        let log = std::fs::File::create(self.dir.path().join("postgres.log")).expect("log file");
        if let Some((uid, gid)) = self.user {
            std::os::unix::fs::chown(self.dir.path().join("postgres.log"), Some(uid), Some(gid))
                .expect("hand the log to the postgres user");
        }
        let mut command = Command::new(bin.join("postgres"));
        command
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args([
                "-p",
                &self.port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
            ])
            .arg("-k")
            .arg(self.dir.path())
            .args(settings.iter().flat_map(|s| ["-c", s]))
            .stdout(Stdio::null())
            .stderr(log);
        as_user(&mut command, self.user);
        self.child = Some(command.spawn().expect("postgres starts"));
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self
                .log()
                .contains("database system is ready to accept connections")
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("PostgreSQL did not start: {}", self.log());
    }

    /// The DSN of the `postgres` database.
    pub fn dsn(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=newsflow dbname=postgres",
            self.port
        )
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
    }

    /// A client of the database (its connection runs on the current runtime).
    pub async fn client(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.dsn(), tokio_postgres::NoTls)
            .await
            .expect("connect to the test PostgreSQL");
        tokio::spawn(connection);
        client
    }
}

fn as_user(command: &mut Command, user: Option<(u32, u32)>) {
    if let Some((uid, gid)) = user {
        command.uid(uid).gid(gid);
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Immediate shutdown: the server and its backends exit at once.
            let _ = Command::new("kill")
                .args(["-QUIT", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
