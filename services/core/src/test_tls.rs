//! A throwaway TLS setup for the secured bench (`newsflow bench --secured`)
//! and the tests of the secured config: a certificate authority made on the
//! spot, a server certificate (127.0.0.1, localhost) and a client
//! certificate it signs, and the shipped secured nats-server config with its
//! commented `tls` block turned on for them. One place for both, because the
//! command line cannot depend on the tests crate.
//!
//! Never for production: the keys are unencrypted and the certificates
//! valid for one day. It runs the `openssl` command line, which every
//! machine that runs nats-server with TLS has, rather than linking a
//! certificate library into every binary for a test helper.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The files [`write_test_ca`] makes in its directory.
pub const CA_FILE: &str = "ca.pem";
pub const SERVER_CERT_FILE: &str = "server.pem";
pub const SERVER_KEY_FILE: &str = "server-key.pem";
pub const CLIENT_CERT_FILE: &str = "client.pem";
pub const CLIENT_KEY_FILE: &str = "client-key.pem";

/// Where the shipped secured config expects its certificates.
const SHIPPED_CERT_DIR: &str = "/etc/nats/tls";

#[derive(Debug, thiserror::Error)]
pub enum TestTlsError {
    #[error("cannot run openssl {args:?} in {dir} (apt-get install openssl)")]
    OpensslMissing {
        args: Vec<String>,
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("openssl {args:?} in {dir} failed: {stderr}")]
    Openssl {
        args: Vec<String>,
        dir: PathBuf,
        stderr: String,
    },
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the nats-server config has no commented `# tls {{` block to turn on")]
    NoTlsBlock,
}

/// Writes a CA ([`CA_FILE`]), a server certificate for 127.0.0.1 and
/// localhost and a client certificate it signs, with their keys, into `dir`.
///
/// # Errors
/// When openssl cannot run or fails, or a file cannot be written.
pub fn write_test_ca(dir: &Path) -> Result<(), TestTlsError> {
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|source| TestTlsError::Write { path, source })
    };
    let new_key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    openssl(
        dir,
        &format!(
            "req -x509 {new_key} -keyout ca-key.pem -out {CA_FILE} -days 1 -subj /CN=newsflow-test-CA"
        ),
    )?;
    write(
        "server.ext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    )?;
    write("client.ext", "extendedKeyUsage=clientAuth\n")?;
    for (name, cert, key) in [
        ("server", SERVER_CERT_FILE, SERVER_KEY_FILE),
        ("client", CLIENT_CERT_FILE, CLIENT_KEY_FILE),
    ] {
        openssl(
            dir,
            &format!("req {new_key} -keyout {key} -out {name}.csr -subj /CN=newsflow-test-{name}"),
        )?;
        openssl(
            dir,
            &format!(
                "x509 -req -in {name}.csr -CA {CA_FILE} -CAkey ca-key.pem -CAcreateserial -out {cert} -days 1 -extfile {name}.ext"
            ),
        )?;
    }
    Ok(())
}

/// Runs openssl in `dir` with the space-separated `args` (none has a space).
fn openssl(dir: &Path, args: &str) -> Result<(), TestTlsError> {
    let args: Vec<String> = args.split(' ').map(str::to_string).collect();
    let out = Command::new("openssl")
        .args(&args)
        .current_dir(dir)
        .output()
        .map_err(|source| TestTlsError::OpensslMissing {
            args: args.clone(),
            dir: dir.to_path_buf(),
            source,
        })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(TestTlsError::Openssl {
            args,
            dir: dir.to_path_buf(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

/// The secured config `shipped` with its commented `# tls {` block turned
/// on, for the certificates [`write_test_ca`] made in `cert_dir`.
///
/// # Errors
/// When the config has no commented `tls` block.
pub fn with_tls_on(shipped: &str, cert_dir: &Path) -> Result<String, TestTlsError> {
    let mut in_tls = false;
    let mut config = String::with_capacity(shipped.len());
    for line in shipped.lines() {
        in_tls |= line.starts_with("# tls {");
        let line = if in_tls {
            line.trim_start_matches('#')
                .trim_start()
                .replace(SHIPPED_CERT_DIR, &cert_dir.display().to_string())
        } else {
            line.to_string()
        };
        in_tls &= line != "}";
        config.push_str(&line);
        config.push('\n');
    }
    if config.contains("\ntls {") {
        Ok(config)
    } else {
        Err(TestTlsError::NoTlsBlock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tls_block_is_turned_on_for_the_directory_given() {
        let shipped = "port: 4222\n# tls {\n#   cert_file: \"/etc/nats/tls/server.pem\"\n#   verify: true\n# }\n# a comment after it\n";
        let on = with_tls_on(shipped, Path::new("/tmp/certs")).unwrap();
        assert_eq!(
            on,
            "port: 4222\ntls {\ncert_file: \"/tmp/certs/server.pem\"\nverify: true\n}\n# a comment after it\n"
        );
        assert!(matches!(
            with_tls_on("port: 4222\n", Path::new("/tmp")),
            Err(TestTlsError::NoTlsBlock)
        ));
    }
}
