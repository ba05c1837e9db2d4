//! newsflow sink: records of `news.enriched` and duplicate notices of
//! `news.duplicates` into PostgreSQL (`newsflow sink postgres`).
//!
//! Two durable consumers (`sink-postgres-records`, `sink-postgres-duplicates`)
//! run the services' own loop (`newsflow_core::runtime`): a message is
//! acked only after the transaction holding its row commits, so a crash of
//! the sink never loses a row, and rows are upserts by id, so a
//! redelivery never doubles one. The tables are in [`store::SCHEMA`] and
//! the README ("Records into PostgreSQL").
//!
//! * [`rows`]: the columns read out of each message, and the merging of one batch.
//! * [`store`]: the tables and the writer task that batches commits.

mod metrics;
pub mod rows;
pub mod store;

use std::net::SocketAddr;

use newsflow_core::config::Settings;
use newsflow_core::intake::{Rejection, reject_code};
use newsflow_core::runtime::{CpuThreads, Incoming, Processed, Processor, StageError};
use newsflow_core::service::{self, StageBinary};
use newsflow_core::subjects;
use newsflow_core::topology::ConsumerSpec;

use rows::Row;
use store::{WriteError, Writer};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The durable consumer of the records.
pub const RECORDS: ConsumerSpec = ConsumerSpec {
    durable: "sink-postgres-records",
    stream: subjects::STREAM_ENRICHED,
    subject: subjects::ENRICHED,
};

/// The durable consumer of the duplicate notices.
pub const DUPLICATES: ConsumerSpec = ConsumerSpec {
    durable: "sink-postgres-duplicates",
    stream: subjects::STREAM_DUPLICATES,
    subject: subjects::DUPLICATES,
};

/// Default `/metrics` address of the sink.
pub const DEFAULT_METRICS_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 9105);

const BINARY: StageBinary = StageBinary {
    name: "newsflow-sink-postgres",
    version: VERSION,
    default_metrics_addr: DEFAULT_METRICS_ADDR,
    consumer: &RECORDS,
    outputs: &[],
};

/// Which stream a [`SinkStage`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Records,
    Duplicates,
}

/// The loop's processor: a message's row, written by the shared [`Writer`].
pub struct SinkStage {
    pub kind: Kind,
    pub writer: Writer,
}

impl Processor for SinkStage {
    type Transformed = Row;
    type Finished = Processed;

    fn stage(&self) -> &'static str {
        match self.kind {
            Kind::Records => "sink_records",
            Kind::Duplicates => "sink_duplicates",
        }
    }

    fn init_metrics(&self) {
        metrics::init();
    }

    fn transform(&self, input: Incoming<'_>) -> Result<Row, StageError> {
        Ok(match self.kind {
            Kind::Records => Row::Record(rows::record_row(input.payload, input.stream_sequence)?),
            Kind::Duplicates => {
                Row::Notice(rows::notice_row(input.payload, input.stream_sequence)?)
            }
        })
    }

    async fn finish(&self, row: Row, _cpu: &CpuThreads) -> Result<Processed, StageError> {
        match self.writer.write(row).await {
            Ok(()) => Ok(Processed {
                messages: Vec::new(),
            }),
            Err(WriteError::Refused { id, reason }) => Err(Rejection::new(
                reject_code::INVALID_FIELD,
                format!("PostgreSQL refused the row of {id}: {reason}"),
            )
            .into()),
            Err(err @ WriteError::Unavailable(_)) => Err(StageError::transient_caused(
                "postgres",
                "writing to PostgreSQL",
                err,
            )),
        }
    }

    fn complete(&self, processed: Processed) -> Result<Processed, StageError> {
        Ok(processed)
    }
}

/// Runs the sink until SIGTERM/Ctrl-C, then finishes the messages in
/// flight (their transactions commit and they are acked) and exits.
///
/// # Errors
/// When PostgreSQL cannot be reached at start or refuses the tables, or as
/// the services' [`service::run`] fails.
pub async fn run(settings: Settings, dsn: &str) -> anyhow::Result<()> {
    tracing::info!(
        metrics_addr = %settings.metrics_addr,
        "starting the PostgreSQL sink"
    );
    let writer = Writer::start(dsn)
        .await
        .map_err(|err| anyhow::anyhow!("PostgreSQL at {}: {err}", redact_dsn(dsn)))?;
    tracing::info!(dsn = %redact_dsn(dsn), "PostgreSQL tables ready");
    service::run_consumers_until(
        &BINARY,
        &[&RECORDS, &DUPLICATES],
        settings,
        async |_js| {
            Ok(vec![
                SinkStage {
                    kind: Kind::Records,
                    writer: writer.clone(),
                },
                SinkStage {
                    kind: Kind::Duplicates,
                    writer,
                },
            ])
        },
        newsflow_core::shutdown::on_signal(),
    )
    .await
}

/// The DSN without its password, for logs and errors.
pub fn redact_dsn(dsn: &str) -> String {
    // URL form: postgres://user:password@host/db
    if let Some((scheme, rest)) = dsn.split_once("://") {
        if let Some((credentials, host)) = rest.split_once('@') {
            let user = credentials.split(':').next().unwrap_or_default();
            return format!("{scheme}://{user}:***@{host}");
        }
        return dsn.to_string();
    }
    // key=value form
    dsn.split_whitespace()
        .map(|pair| {
            if pair.starts_with("password=") {
                "password=***"
            } else {
                pair
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::redact_dsn;

    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(
            redact_dsn("postgres://sink:s3cret@db:5432/news"),
            "postgres://sink:***@db:5432/news"
        );
        assert_eq!(
            redact_dsn("host=db user=sink password=s3cret dbname=news"),
            "host=db user=sink password=*** dbname=news"
        );
        assert_eq!(redact_dsn("postgres://db/news"), "postgres://db/news");
    }
}
