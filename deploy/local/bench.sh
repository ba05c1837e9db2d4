#!/usr/bin/env bash
# Benchmark on this machine: builds release binaries, starts a private
# nats-server, runs `newsflow bench` (the separate services, then the fused
# pipeline, each started and stopped by the bench, then a no-op three-hop
# relay), prints the report and stops everything.
#
#   deploy/local/bench.sh [newsflow bench options, e.g. --articles 20000 --rate 1000]
#   deploy/local/bench.sh --stage dedup   # the dedup stage alone
#   PERF_OUT=dedup.perf deploy/local/bench.sh --stage dedup   # and a perf
#       profile of the dedup process while it runs (timer-based samples with
#       call graphs; read with deploy/local/perf_breakdown.py)
#   deploy/local/bench.sh --secured       # each deployment also against the
#       secured config with TLS (deploy/nats/nats-server-secured.conf), side by side
set -euo pipefail
source "$(dirname "$0")/tools.sh"

nats_bin="${NATS_SERVER_BIN:-$(debian_nats_server)}"
ensure_cargo
say "building newsflow (release)"
(cd "$NEWSFLOW_ROOT" && cargo build --release --quiet --bins \
  -p newsflow-cli -p newsflow-langid -p newsflow-dedup -p newsflow-enrich)
bin="$NEWSFLOW_ROOT/target/release"
work="$(mktemp -d)"
port=$(( 20000 + RANDOM % 20000 ))
monitor_port=$(( port + 1 ))
export NATS_URL="nats://127.0.0.1:$port"
# The bench reads the server's counters (messages, API calls per article).
export NATS_MONITOR="127.0.0.1:$monitor_port"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

"$nats_bin" -js -a 127.0.0.1 -p "$port" -m "$monitor_port" -sd "$work/jetstream" -l "$work/nats.log" \
  -c "$NEWSFLOW_ROOT/deploy/nats/limits.conf" &
pids+=($!)
wait_for_port "$port"
"$bin/newsflow" setup >/dev/null
if [[ " $* " == *" --stage dedup "* ]]; then
  # The dedup stage alone: nothing else competes for the CPU.
  METRICS_ADDR=127.0.0.1:0 "$bin/newsflow-dedup" >"$work/dedup.log" 2>&1 &
  pids=("$!" "${pids[@]}")
  sleep 1
  if [[ -n "${PERF_OUT:-}" ]]; then
    # cpu-clock: virtual machines often have no hardware counters.
    perf record -e cpu-clock -F 999 -g --call-graph dwarf,16384 -p "${pids[0]}" \
      -o "$PERF_OUT" >"$work/perf.log" 2>&1 &
    perf_pid=$!
  fi
fi
say "nats-server $("$nats_bin" --version | sed 's/.*v//'), $(nproc) cores"
# The server is this script's own: --fresh lets the bench empty the streams
# between deployments.
# A bare --secured means the shipped secured config (--secured=FILE another);
# the bench starts that server itself, with the same nats-server binary.
args=()
for arg in "$@"; do
  if [[ "$arg" == "--secured" ]]; then
    arg="--secured=$NEWSFLOW_ROOT/deploy/nats/nats-server-secured.conf"
  fi
  args+=("$arg")
done
NATS_SERVER_BIN="$nats_bin" \
  "$bin/newsflow" bench --fresh --pids "$(IFS=,; echo "${pids[*]}")" "${args[@]}"
if [[ -n "${perf_pid:-}" ]]; then
  kill -INT "$perf_pid"
  wait "$perf_pid" || true
  say "perf profile of newsflow-dedup written to $PERF_OUT"
fi
