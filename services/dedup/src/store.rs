//! Where "seen" fingerprints live: a JetStream KV bucket in production, a
//! map in unit tests. Both give the same answer to [`SeenStore::claim`].

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Instant;

use async_nats::jetstream::kv;
use bytes::Bytes;

use crate::metrics;

/// The answer to "who saw this fingerprint first?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Nobody before: the claimant now holds it.
    First,
    /// The holder (`id@source_seq`) claimed it first (possibly the claimant itself).
    HeldBy(String),
}

/// Errors of the store; always transient (the message is retried).
#[derive(Debug, thiserror::Error)]
#[error("dedup store {operation} of key {key} failed: {message}")]
pub struct StoreError {
    pub operation: &'static str,
    pub key: String,
    pub message: String,
}

/// Atomic first-seen claims on fingerprints.
pub trait SeenStore: Send + Sync + 'static {
    /// Claims `key` for `claimant` unless someone holds it already.
    fn claim(
        &self,
        key: &str,
        claimant: &str,
    ) -> impl Future<Output = Result<Claim, StoreError>> + Send;
}

/// Fingerprints in a JetStream KV bucket: `create` fails when the key exists,
/// which makes the claim atomic across replicas and restarts; the bucket's
/// `max_age` is the dedup window.
#[derive(Clone)]
pub struct KvStore {
    store: kv::Store,
}

impl KvStore {
    pub fn new(store: kv::Store) -> Self {
        Self { store }
    }
}

impl SeenStore for KvStore {
    async fn claim(&self, key: &str, claimant: &str) -> Result<Claim, StoreError> {
        // A key can expire between a failed create and the get; then claim again.
        for _ in 0..3 {
            let started = Instant::now();
            let created = self
                .store
                .create(key, Bytes::copy_from_slice(claimant.as_bytes()))
                .await;
            metrics::kv_observe("create", started, created.is_ok() || is_exists(&created));
            match created {
                Ok(_) => return Ok(Claim::First),
                Err(err) if err.kind() == kv::CreateErrorKind::AlreadyExists => {}
                Err(err) => {
                    return Err(StoreError {
                        operation: "create",
                        key: key.into(),
                        message: err.to_string(),
                    });
                }
            }
            let started = Instant::now();
            let entry = self.store.get(key).await;
            metrics::kv_observe("get", started, entry.is_ok());
            match entry {
                Ok(Some(holder)) => {
                    return Ok(Claim::HeldBy(String::from_utf8_lossy(&holder).into_owned()));
                }
                Ok(None) => continue,
                Err(err) => {
                    return Err(StoreError {
                        operation: "get",
                        key: key.into(),
                        message: err.to_string(),
                    });
                }
            }
        }
        Err(StoreError {
            operation: "create",
            key: key.into(),
            message: "key kept disappearing between create and get".into(),
        })
    }
}

fn is_exists<T>(result: &Result<T, kv::CreateError>) -> bool {
    matches!(result, Err(err) if err.kind() == kv::CreateErrorKind::AlreadyExists)
}

/// Fingerprints in memory, for tests of the transform.
#[derive(Default)]
pub struct MemoryStore {
    seen: Mutex<HashMap<String, String>>,
}

impl SeenStore for MemoryStore {
    async fn claim(&self, key: &str, claimant: &str) -> Result<Claim, StoreError> {
        let mut seen = self.seen.lock().expect("lock is never poisoned");
        match seen.get(key) {
            Some(holder) => Ok(Claim::HeldBy(holder.clone())),
            None => {
                seen.insert(key.to_string(), claimant.to_string());
                Ok(Claim::First)
            }
        }
    }
}
