#!/usr/bin/env bash
# The full-size crash soak (issue 12): 100,000 articles (or the count given)
# through the separate services against Debian's nats-server while the
# services are killed with SIGKILL 17 times and nats-server once, then every
# id must appear exactly once across news.enriched, news.duplicates and
# news.dlq. tests/run.sh runs the reduced sizes (tests/e2e/crash.rs: 3,000
# and 2,000 articles); this is the full one, minutes long.
#
#   tests/soak.sh            # 100,000 articles
#   tests/soak.sh 20000      # another size
set -euo pipefail
source "$(dirname "$0")/../deploy/local/tools.sh"
cd "$NEWSFLOW_ROOT"

ensure_cargo
nats_bin="$(debian_nats_server)"
cargo build --quiet --bins -p newsflow-langid -p newsflow-dedup -p newsflow-enrich
NATS_SERVER_BIN="$nats_bin" NEWSFLOW_SOAK_ARTICLES="${1:-100000}" \
  cargo test -p newsflow-tests --test e2e crash::soak -- --ignored --nocapture
