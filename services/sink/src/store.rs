//! The PostgreSQL side of the sink: the tables, and one writer task that
//! commits the rows of many messages in one transaction.
//!
//! Every message waits for the commit of the transaction holding its row
//! before the loop acks it, so a crash of the sink at any moment leaves the
//! message unacknowledged (redelivered, written again: an upsert, so never a
//! second row) or committed (acked or not: the redelivery changes nothing).
//! Batching is what makes that cheap: the messages in flight while one
//! transaction commits go into the next one, so the commits per second stay
//! few however many records arrive. Two connections write in turn (see
//! [`WRITERS`]).

use std::time::{Duration, Instant};

use std::sync::Arc;

use tokio::sync::{Mutex, mpsc, oneshot};
use tokio_postgres::{Client, NoTls};

use crate::metrics;
use crate::rows::{Batch, Row};

/// Most messages written in one transaction.
pub const MAX_BATCH: usize = 1000;

/// Connections writing at once: while one waits for its commit to reach
/// the disk, the other sends the next batch, and PostgreSQL works on both.
/// Their transactions lock the ids they write, so they never interleave on
/// one id.
pub const WRITERS: usize = 2;

/// The tables and indexes, created when missing (run at every start, under
/// an advisory lock so two replicas starting together do not collide).
pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS newsflow_records (
    id           text PRIMARY KEY,
    stream_seq   bigint NOT NULL,
    language     text NOT NULL,
    published_at timestamptz,
    countries    text[] NOT NULL,
    entity_ids   text[] NOT NULL,
    cluster_id   text NOT NULL,
    record       jsonb NOT NULL,
    stored_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS newsflow_records_language ON newsflow_records (language);
CREATE INDEX IF NOT EXISTS newsflow_records_published_at ON newsflow_records (published_at);
CREATE INDEX IF NOT EXISTS newsflow_records_countries ON newsflow_records USING gin (countries);
CREATE INDEX IF NOT EXISTS newsflow_records_entity_ids ON newsflow_records USING gin (entity_ids);
CREATE INDEX IF NOT EXISTS newsflow_records_cluster_id ON newsflow_records (cluster_id);
CREATE TABLE IF NOT EXISTS newsflow_duplicates (
    id               text PRIMARY KEY,
    stream_seq       bigint NOT NULL,
    duplicate_of     text NOT NULL,
    method           text NOT NULL,
    similarity       double precision NOT NULL,
    record_withdrawn boolean NOT NULL,
    notice           jsonb NOT NULL,
    stored_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS newsflow_duplicates_duplicate_of ON newsflow_duplicates (duplicate_of);
"#;

/// Key of the advisory lock held while the schema is created.
const SCHEMA_LOCK: i64 = 0x006e_665f_7369_6e6b; // "nf_sink" in ASCII

/// Locks every id of the batch, in sorted order, for the transaction: a
/// record and the notice withdrawing it, written by two replicas at once,
/// cannot both miss each other.
const LOCK_IDS: &str = "SELECT pg_advisory_xact_lock(k) \
    FROM (SELECT DISTINCT hashtextextended(x, 0) AS k FROM unnest($1::text[]) AS x ORDER BY k) AS keys";

/// The latest notice of an id wins; a withdrawal, once seen, stays.
const UPSERT_NOTICES: &str = "INSERT INTO newsflow_duplicates AS d
    (id, stream_seq, duplicate_of, method, similarity, record_withdrawn, notice)
  SELECT n.id, n.seq, n.duplicate_of, n.method, n.similarity, n.withdrawn, n.notice::jsonb
  FROM unnest($1::text[], $2::int8[], $3::text[], $4::text[], $5::float8[], $6::bool[], $7::text[])
    AS n(id, seq, duplicate_of, method, similarity, withdrawn, notice)
  ON CONFLICT (id) DO UPDATE SET
    stream_seq = GREATEST(d.stream_seq, EXCLUDED.stream_seq),
    duplicate_of = CASE WHEN EXCLUDED.stream_seq > d.stream_seq THEN EXCLUDED.duplicate_of ELSE d.duplicate_of END,
    method = CASE WHEN EXCLUDED.stream_seq > d.stream_seq THEN EXCLUDED.method ELSE d.method END,
    similarity = CASE WHEN EXCLUDED.stream_seq > d.stream_seq THEN EXCLUDED.similarity ELSE d.similarity END,
    notice = CASE WHEN EXCLUDED.stream_seq > d.stream_seq THEN EXCLUDED.notice ELSE d.notice END,
    record_withdrawn = d.record_withdrawn OR EXCLUDED.record_withdrawn,
    stored_at = now()";

const DELETE_WITHDRAWN: &str = "DELETE FROM newsflow_records WHERE id = ANY($1::text[])";

/// The latest record of an id wins; a record whose article was withdrawn
/// (its notice came first) is not stored.
const UPSERT_RECORDS: &str = "INSERT INTO newsflow_records AS r
    (id, stream_seq, language, published_at, countries, entity_ids, cluster_id, record)
  SELECT x.id, x.seq, x.language, x.published_at::timestamptz,
         ARRAY(SELECT jsonb_array_elements_text(x.countries::jsonb)),
         ARRAY(SELECT jsonb_array_elements_text(x.entity_ids::jsonb)),
         x.cluster_id, x.record::jsonb
  FROM unnest($1::text[], $2::int8[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
    AS x(id, seq, language, published_at, countries, entity_ids, cluster_id, record)
  WHERE NOT EXISTS (SELECT 1 FROM newsflow_duplicates d WHERE d.id = x.id AND d.record_withdrawn)
  ON CONFLICT (id) DO UPDATE SET
    stream_seq = EXCLUDED.stream_seq, language = EXCLUDED.language,
    published_at = EXCLUDED.published_at, countries = EXCLUDED.countries,
    entity_ids = EXCLUDED.entity_ids, cluster_id = EXCLUDED.cluster_id,
    record = EXCLUDED.record, stored_at = now()
  WHERE r.stream_seq < EXCLUDED.stream_seq";

/// Why a row was not written.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WriteError {
    /// PostgreSQL refused the row itself (a data error): writing it again
    /// cannot help.
    #[error("PostgreSQL refused the row of {id}: {reason}")]
    Refused { id: String, reason: String },
    /// The database could not be reached or the transaction failed: retry.
    #[error("writing to PostgreSQL failed: {0}")]
    Unavailable(String),
}

/// A row waiting for its transaction's commit.
struct Job {
    row: Row,
    done: oneshot::Sender<Result<(), WriteError>>,
}

/// Hands rows to the writer task; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Connects (checking the DSN and creating the tables) and starts the
    /// writer task; it ends once every `Writer` is dropped.
    ///
    /// # Errors
    /// When PostgreSQL cannot be reached with `dsn` or refuses the schema.
    pub async fn start(dsn: &str) -> Result<Self, WriteError> {
        let client = connect(dsn).await?;
        create_schema(&client).await?;
        let (jobs, receiver) = mpsc::channel(MAX_BATCH * 4);
        let receiver = Arc::new(Mutex::new(receiver));
        let mut client = Some(client);
        for _ in 0..WRITERS {
            // The others connect on their first batch.
            tokio::spawn(write_batches(
                dsn.to_string(),
                client.take(),
                receiver.clone(),
            ));
        }
        Ok(Self { jobs })
    }

    /// Writes one row; returns once its transaction is committed.
    ///
    /// # Errors
    /// [`WriteError::Refused`] for a row PostgreSQL will never take,
    /// [`WriteError::Unavailable`] otherwise.
    pub async fn write(&self, row: Row) -> Result<(), WriteError> {
        let (done, committed) = oneshot::channel();
        self.jobs
            .send(Job { row, done })
            .await
            .map_err(|_| WriteError::Unavailable("the writer task has stopped".into()))?;
        committed
            .await
            .map_err(|_| WriteError::Unavailable("the writer task has stopped".into()))?
    }
}

async fn connect(dsn: &str) -> Result<Client, WriteError> {
    let (client, connection) = tokio_postgres::connect(dsn, NoTls)
        .await
        .map_err(|err| WriteError::Unavailable(format!("connecting: {}", describe(&err))))?;
    tokio::spawn(async move {
        if let Err(err) = connection.await {
            tracing::warn!(error = %describe(&err), "PostgreSQL connection closed");
        }
    });
    Ok(client)
}

async fn create_schema(client: &Client) -> Result<(), WriteError> {
    let unavailable = |err: tokio_postgres::Error| {
        WriteError::Unavailable(format!("creating the tables: {}", describe(&err)))
    };
    client
        .execute("SELECT pg_advisory_lock($1)", &[&SCHEMA_LOCK])
        .await
        .map_err(unavailable)?;
    let created = client.batch_execute(SCHEMA).await.map_err(unavailable);
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1)", &[&SCHEMA_LOCK])
        .await
        .map_err(unavailable);
    created.and(unlocked.map(|_| ()))
}

/// The server's message, detail and code when it sent them (the error's
/// own text is often only "db error").
fn describe(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => {
            let mut text = format!("{} (SQLSTATE {})", db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                text.push_str(": ");
                text.push_str(detail);
            }
            text
        }
        None => {
            let mut text = err.to_string();
            let mut source = std::error::Error::source(err);
            while let Some(cause) = source {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                source = cause.source();
            }
            text
        }
    }
}

/// A data error (class 22) or a constraint (class 23) is the row's fault.
fn is_data_error(err: &tokio_postgres::Error) -> bool {
    err.code().is_some_and(|code| {
        let code = code.code();
        code.starts_with("22") || code.starts_with("23")
    })
}

/// A writer task: takes every job waiting (up to [`MAX_BATCH`]), writes
/// them in one transaction, tells each the outcome; reconnects after a
/// broken connection.
async fn write_batches(
    dsn: String,
    mut client: Option<Client>,
    jobs: Arc<Mutex<mpsc::Receiver<Job>>>,
) {
    let mut waiting = Vec::with_capacity(MAX_BATCH);
    loop {
        // One writer waits for jobs at a time; it lets go once it has a batch.
        let taken = jobs.lock().await.recv_many(&mut waiting, MAX_BATCH).await;
        if taken == 0 {
            return;
        }
        if client.as_ref().is_none_or(Client::is_closed) {
            client = match connect(&dsn).await {
                Ok(client) => Some(client),
                Err(err) => {
                    tracing::warn!(error = %err, "PostgreSQL unreachable; the messages will be retried");
                    for job in waiting.drain(..) {
                        let _ = job.done.send(Err(err.clone()));
                    }
                    // Every message comes back after its NAK delay anyway;
                    // this only keeps a dead server from being hammered.
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
        }
        let Some(connected) = client.as_mut() else {
            continue;
        };
        let started = Instant::now();
        let batch = Batch::merge(waiting.iter().map(|job| &job.row));
        match write(connected, &batch).await {
            Ok(()) => {
                metrics::committed(&batch, waiting.len(), started);
                for job in waiting.drain(..) {
                    let _ = job.done.send(Ok(()));
                }
            }
            Err(err) if is_data_error(&err) => {
                // One row spoils the batch: write each alone to find it.
                tracing::warn!(error = %describe(&err), rows = waiting.len(), "a row was refused; writing the batch row by row");
                for job in waiting.drain(..) {
                    let single = Batch::merge([&job.row]);
                    let outcome = match write(connected, &single).await {
                        Ok(()) => {
                            metrics::committed(&single, 1, started);
                            Ok(())
                        }
                        Err(err) if is_data_error(&err) => Err(WriteError::Refused {
                            id: job.row.id().to_string(),
                            reason: describe(&err),
                        }),
                        Err(err) => Err(WriteError::Unavailable(describe(&err))),
                    };
                    let _ = job.done.send(outcome);
                }
            }
            Err(err) => {
                metrics::failed();
                let err = WriteError::Unavailable(describe(&err));
                tracing::warn!(error = %err, "transaction failed; the messages will be retried");
                for job in waiting.drain(..) {
                    let _ = job.done.send(Err(err.clone()));
                }
            }
        }
    }
}

/// One transaction: lock the ids, notices first (withdrawals delete
/// records), then records.
async fn write(client: &mut Client, batch: &Batch) -> Result<(), tokio_postgres::Error> {
    let tx = client.transaction().await?;
    tx.execute(LOCK_IDS, &[&batch.ids()]).await?;
    if !batch.notices.is_empty() {
        let n = &batch.notices;
        let ids: Vec<&str> = n.iter().map(|r| r.id.as_str()).collect();
        let seqs: Vec<i64> = n.iter().map(|r| r.stream_seq).collect();
        let of: Vec<&str> = n.iter().map(|r| r.duplicate_of.as_str()).collect();
        let methods: Vec<&str> = n.iter().map(|r| r.method.as_str()).collect();
        let similarity: Vec<f64> = n.iter().map(|r| r.similarity).collect();
        let withdrawn: Vec<bool> = n.iter().map(|r| r.record_withdrawn).collect();
        let json: Vec<&str> = n.iter().map(|r| r.json.as_str()).collect();
        tx.execute(
            UPSERT_NOTICES,
            &[&ids, &seqs, &of, &methods, &similarity, &withdrawn, &json],
        )
        .await?;
        let withdrawn_ids: Vec<&str> = n
            .iter()
            .filter(|r| r.record_withdrawn)
            .map(|r| r.id.as_str())
            .collect();
        if !withdrawn_ids.is_empty() {
            tx.execute(DELETE_WITHDRAWN, &[&withdrawn_ids]).await?;
        }
    }
    if !batch.records.is_empty() {
        let r = &batch.records;
        let ids: Vec<&str> = r.iter().map(|x| x.id.as_str()).collect();
        let seqs: Vec<i64> = r.iter().map(|x| x.stream_seq).collect();
        let languages: Vec<&str> = r.iter().map(|x| x.language.as_str()).collect();
        let published: Vec<Option<&str>> = r.iter().map(|x| x.published_at.as_deref()).collect();
        let countries: Vec<&str> = r.iter().map(|x| x.countries.as_str()).collect();
        let entities: Vec<&str> = r.iter().map(|x| x.entity_ids.as_str()).collect();
        let clusters: Vec<&str> = r.iter().map(|x| x.cluster_id.as_str()).collect();
        let json: Vec<&str> = r.iter().map(|x| x.json.as_str()).collect();
        tx.execute(
            UPSERT_RECORDS,
            &[
                &ids, &seqs, &languages, &published, &countries, &entities, &clusters, &json,
            ],
        )
        .await?;
    }
    tx.commit().await
}
