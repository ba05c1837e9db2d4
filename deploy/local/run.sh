#!/usr/bin/env bash
# The newsflow demo in one command: installs nats-server if missing, builds
# newsflow, starts a local NATS with JetStream and the three services,
# publishes the sample articles (and ../shared/seeds when present), prints the
# enriched records, duplicate notices and dead letters, then stops everything.
#
#   deploy/local/run.sh            # demo, then stop
#   deploy/local/run.sh --keep     # leave NATS and the services running
#
# Environment: NEWSFLOW_NATS_PORT (default 4222; when 4222 is taken, e.g. by a
# packaged nats-server, the next free port), NEWSFLOW_STATE (default .newsflow/).
set -euo pipefail
source "$(dirname "$0")/tools.sh"

keep=false
case "${1:-}" in
  --keep) keep=true ;;
  -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
esac

port="${NEWSFLOW_NATS_PORT:-4222}"
export NATS_URL="nats://127.0.0.1:$port"
logs="$NEWSFLOW_STATE/logs"
mkdir -p "$logs"

nats_bin="$(debian_nats_server)"
ensure_cargo
say "building newsflow (release)"
(cd "$NEWSFLOW_ROOT" && cargo build --release --bins --quiet)
bin="$NEWSFLOW_ROOT/target/release"

pids=()
stop_all() {
  say "stopping (SIGTERM: services drain in-flight messages)"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}

if port_busy "$port"; then
  if [ -n "${NEWSFLOW_NATS_PORT:-}" ]; then
    echo "port $port (NEWSFLOW_NATS_PORT) is in use: stop what listens there or choose another port" >&2
    exit 1
  fi
  # Often Debian's packaged nats-server, started by systemd without JetStream:
  # leave it alone and run the demo's own server on the next free port.
  taken=$port
  while port_busy "$port"; do
    port=$((port + 1))
    [ "$port" -le 4300 ] || { echo "ports 4222-4300 are all in use: set NEWSFLOW_NATS_PORT" >&2; exit 1; }
  done
  export NATS_URL="nats://127.0.0.1:$port"
  say "port $taken is in use (a packaged nats-server?); the demo's server uses port $port instead"
fi
say "starting nats-server ($("$nats_bin" --version)) on $NATS_URL, store in $NEWSFLOW_STATE/jetstream"
"$nats_bin" -js -a 127.0.0.1 -p "$port" -sd "$NEWSFLOW_STATE/jetstream" -l "$logs/nats-server.log" \
  -c "$NEWSFLOW_ROOT/deploy/nats/limits.conf" &
pids+=($!)
$keep || trap stop_all EXIT
wait_for_port "$port"

say "creating streams and consumers"
"$bin/newsflow" setup

metrics_port=9101
for service in langid dedup enrich; do
  METRICS_ADDR="127.0.0.1:$metrics_port" "$bin/newsflow-$service" >"$logs/$service.log" 2>&1 &
  pids=("$!" "${pids[@]}")
  say "started newsflow-$service (metrics on http://127.0.0.1:$metrics_port/metrics, log $logs/$service.log)"
  metrics_port=$((metrics_port + 1))
done
for p in 9101 9102 9103; do wait_for_port "$p"; done

inputs=("$NEWSFLOW_ROOT/deploy/local/samples")
[ -d "$NEWSFLOW_ROOT/../shared/seeds" ] && inputs+=("$NEWSFLOW_ROOT/../shared/seeds")
say "publishing ${inputs[*]}"
"$bin/newsflow" publish "${inputs[@]}"
printf '{"id":"demo-broken","title":42,"text":"a title that is a number"}\nnot json at all\n' \
  | "$bin/newsflow" publish --no-validate -

sleep 2
say "enriched records (news.enriched)"
"$bin/newsflow" tail --subject news.enriched --timeout 3
say "duplicate notices (news.duplicates)"
"$bin/newsflow" tail --subject news.duplicates --timeout 2
say "dead letters (news.dlq)"
"$bin/newsflow" tail --subject news.dlq --timeout 2

if $keep; then
  say "still running: NATS at $NATS_URL, metrics on 127.0.0.1:9101-9103; stop with: kill ${pids[*]}"
  say "point the CLI at it with: export NATS_URL=$NATS_URL"
fi
