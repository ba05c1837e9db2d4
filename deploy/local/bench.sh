#!/usr/bin/env bash
# Benchmark on this machine: builds release binaries, starts a private
# nats-server and the three services, runs `newsflow bench` (pipeline versus
# a no-op three-hop relay), prints the report and stops everything.
#
#   deploy/local/bench.sh [newsflow bench options, e.g. --articles 20000]
#   deploy/local/bench.sh --stage dedup   # the dedup stage alone
set -euo pipefail
source "$(dirname "$0")/tools.sh"

nats_bin="${NATS_SERVER_BIN:-$(debian_nats_server)}"
ensure_cargo
say "building newsflow (release)"
(cd "$NEWSFLOW_ROOT" && cargo build --release --bins --quiet)
bin="$NEWSFLOW_ROOT/target/release"
work="$(mktemp -d)"
port=$(( 20000 + RANDOM % 20000 ))
export NATS_URL="nats://127.0.0.1:$port"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

"$nats_bin" -js -a 127.0.0.1 -p "$port" -sd "$work/jetstream" -l "$work/nats.log" \
  -c "$NEWSFLOW_ROOT/deploy/nats/limits.conf" &
pids+=($!)
wait_for_port "$port"
"$bin/newsflow" setup >/dev/null
services=(langid dedup enrich)
if [[ " $* " == *" --stage dedup "* ]]; then
  services=(dedup) # the dedup stage alone: nothing else competes for the CPU
fi
for service in "${services[@]}"; do
  METRICS_ADDR=127.0.0.1:0 "$bin/newsflow-$service" >"$work/$service.log" 2>&1 &
  pids=("$!" "${pids[@]}")
done
sleep 1
say "nats-server $("$nats_bin" --version | sed 's/.*v//'), $(nproc) cores"
"$bin/newsflow" bench --pids "$(IFS=,; echo "${pids[*]}")" "$@"
