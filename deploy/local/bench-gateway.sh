#!/usr/bin/env bash
# Benchmark of the HTTP ingest gateway: starts a private
# nats-server (free loopback port, store in a temporary folder, the shipped
# limits) and newsflow-gateway (release build), then runs
# newsflow-gateway-bench against it: NDJSON batches of 100 posted back to
# back (articles/s accepted), then single articles at a steady 1,000/s
# (latency percentiles from the time each request was due). Arguments go to
# the bench (`--help` lists them). The last line is
#   gateway <X> articles/s accepted (batches of 100), p99 <Y> ms at 1000 articles/s
set -euo pipefail
source "$(dirname "$0")/tools.sh"
cd "$NEWSFLOW_ROOT"
ensure_cargo

say "building newsflow-gateway and its bench (release)"
cargo build --release -p newsflow-gateway --bins
work="$(mktemp -d)"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

port=$(( 20000 + RANDOM % 20000 ))
while port_busy "$port" || port_busy $((port + 1)); do port=$(( 20000 + RANDOM % 20000 )); done
api=$((port + 1))
"${NATS_SERVER_BIN:-$(debian_nats_server)}" -js -a 127.0.0.1 -p "$port" -sd "$work/jetstream" \
  -l "$work/nats.log" -c deploy/nats/limits.conf &
pids+=($!)
wait_for_port "$port"
NATS_URL="nats://127.0.0.1:$port" LISTEN_ADDR="127.0.0.1:$api" METRICS_ADDR=127.0.0.1:0 \
  target/release/newsflow-gateway >"$work/gateway.log" 2>&1 &
pids=("$!" "${pids[@]}")
wait_for_port "$api"
for _ in $(seq 1 100); do
  python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$api/healthz', timeout=1)" 2>/dev/null && break
  sleep 0.1
done
say "gateway on 127.0.0.1:$api, nats-server on $port ($("${NATS_SERVER_BIN:-$(debian_nats_server)}" --version))"
target/release/newsflow-gateway-bench --url "http://127.0.0.1:$api" "$@"
