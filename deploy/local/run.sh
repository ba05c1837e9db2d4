#!/usr/bin/env bash
# The newsflow demo in one command: installs nats-server if missing, builds
# newsflow, starts a local NATS with JetStream and the three services,
# publishes the sample articles (and ../shared/seeds when present), waits until
# the pipeline has handled them, shows the enriched records, duplicate notices
# and dead letters as tables, then stops everything.
#
#   deploy/local/run.sh            # demo, then stop
#   deploy/local/run.sh --keep     # leave NATS and the services running
#   deploy/local/run.sh --stop     # stop what --keep left running
#   deploy/local/run.sh --fresh    # start from an empty store (forget earlier runs)
#   deploy/local/run.sh --json     # print the raw JSON lines instead of tables
#
# State (the JetStream store, logs, the pids of a --keep run) lives in
# .newsflow/ and is kept between runs, so earlier runs' records show too.
# The first build takes several minutes (debug profile; see README.md for
# measured times); later runs reuse target/.
# Environment: NEWSFLOW_NATS_PORT (default 4222; when 4222 is taken, e.g. by a
# packaged nats-server, the next free port), NEWSFLOW_STATE (default .newsflow/),
# CARGO_TARGET_DIR (default target/).
set -euo pipefail
source "$(dirname "$0")/tools.sh"

keep=false fresh=false stop=false format=table
for arg in "$@"; do
  case "$arg" in
    --keep) keep=true ;;
    --fresh) fresh=true ;;
    --stop) stop=true ;;
    --json) format=json ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

pid_file="$NEWSFLOW_STATE/demo.pids"
logs="$NEWSFLOW_STATE/logs"
bin="${CARGO_TARGET_DIR:-$NEWSFLOW_ROOT/target}/debug"

# The processes a --keep run left that are still alive. A pid is taken only
# while it is still nats-server or a newsflow service: after a reboot the
# number may belong to something else.
kept_pids() {
  [ -f "$pid_file" ] || return 0
  local pid
  for pid in $(cat "$pid_file"); do
    case "$(ps -p "$pid" -o comm= 2>/dev/null)" in
      nats-server|newsflow-*) echo "$pid" ;;
    esac
  done
  return 0
}

if $stop; then
  pids=$(kept_pids)
  if [ -z "$pids" ]; then
    say "no demo is running (nothing in $pid_file)"
  else
    say "stopping $(echo $pids | wc -w) processes (SIGTERM: services drain in-flight messages)"
    kill -TERM $pids 2>/dev/null || true
    for _ in $(seq 1 300); do [ -z "$(kept_pids)" ] && break; sleep 0.1; done
    [ -z "$(kept_pids)" ] || { echo "still running after 30 s: $(kept_pids)" >&2; exit 1; }
  fi
  rm -f "$pid_file" "$NEWSFLOW_STATE/demo.env"
  exit 0
fi

if [ -n "$(kept_pids)" ]; then
  echo "a demo started with --keep is still running ($(cat "$NEWSFLOW_STATE/demo.env" 2>/dev/null || echo "pids $(kept_pids | tr '\n' ' ')")):" >&2
  echo "stop it first with: deploy/local/run.sh --stop" >&2
  exit 1
fi

started=$SECONDS
port="${NEWSFLOW_NATS_PORT:-4222}"
export NATS_URL="nats://127.0.0.1:$port"

nats_bin="$(debian_nats_server)"
ensure_cargo
say "building newsflow (debug profile, as the tests; the first build takes minutes, later ones seconds)"
(cd "$NEWSFLOW_ROOT" && cargo build --workspace --bins)
say "built in $((SECONDS - started)) s"

pids=()
stop_all() {
  say "stopping (SIGTERM: services drain in-flight messages)"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -f "$pid_file" "$NEWSFLOW_STATE/demo.env"
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

if $fresh; then
  say "--fresh: removing the store and logs of earlier runs ($NEWSFLOW_STATE/jetstream, $logs)"
  rm -rf "$NEWSFLOW_STATE/jetstream" "$logs"
elif [ -d "$NEWSFLOW_STATE/jetstream" ]; then
  say "reusing the store of earlier runs in $NEWSFLOW_STATE/jetstream: their records show too (--fresh starts empty)"
fi
mkdir -p "$logs"

say "starting nats-server ($("$nats_bin" --version)) on $NATS_URL, store in $NEWSFLOW_STATE/jetstream"
"$nats_bin" -js -a 127.0.0.1 -p "$port" -sd "$NEWSFLOW_STATE/jetstream" -l "$logs/nats-server.log" \
  -c "$NEWSFLOW_ROOT/deploy/nats/limits.conf" &
pids+=($!)
$keep || trap stop_all EXIT
wait_for_port "$port"

say "creating streams and consumers"
"$bin/newsflow" setup >/dev/null

metrics_port=9101
for service in langid dedup enrich; do
  METRICS_ADDR="127.0.0.1:$metrics_port" "$bin/newsflow-$service" >"$logs/$service.log" 2>&1 &
  pids=("$!" "${pids[@]}")
  say "started newsflow-$service (metrics on http://127.0.0.1:$metrics_port/metrics, log $logs/$service.log)"
  metrics_port=$((metrics_port + 1))
done
for p in 9101 9102 9103; do wait_for_port "$p"; done
if $keep; then
  echo "${pids[*]}" >"$pid_file"
  echo "NATS at $NATS_URL" >"$NEWSFLOW_STATE/demo.env"
fi

inputs=("$NEWSFLOW_ROOT/deploy/local/samples")
[ -d "$NEWSFLOW_ROOT/../shared/seeds" ] && inputs+=("$NEWSFLOW_ROOT/../shared/seeds")
say "publishing ${inputs[*]}"
"$bin/newsflow" publish "${inputs[@]}"
say "publishing two broken inputs, to show dead letters"
printf '{"id":"demo-broken","title":42,"text":"a title that is a number"}\nnot json at all\n' \
  | "$bin/newsflow" publish --no-validate -

say "waiting until the services have handled every article"
"$bin/newsflow" wait --timeout 120

say "enriched records (news.enriched): id, language, dedup status, title; top entities, countries, categories"
"$bin/newsflow" tail --subject news.enriched --timeout 1 --format "$format"
say "duplicate notices (news.duplicates): the copy, and the original it repeats"
"$bin/newsflow" tail --subject news.duplicates --timeout 1 --format "$format"
say "dead letters (news.dlq): what each stage refused, and why"
"$bin/newsflow" tail --subject news.dlq --timeout 1 --format "$format"
say "records on screen $((SECONDS - started)) s after the start"

if $keep; then
  say "still running: NATS at $NATS_URL, metrics on 127.0.0.1:9101-9103, logs in $logs"
  say "use the CLI with:  export PATH=\"$bin:\$PATH\" NATS_URL=$NATS_URL"
  say "then e.g.:         newsflow publish my-articles/ && newsflow tail --follow --format table"
  say "stop with:         deploy/local/run.sh --stop"
fi
