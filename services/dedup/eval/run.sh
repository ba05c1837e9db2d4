#!/usr/bin/env bash
# Scores the live pipeline against the labelled real pairs: builds release
# binaries, starts a private nats-server (free port, temporary store) and the
# three services, publishes the three news files, waits until every article
# has an outcome (record, duplicate notice or dead letter) or the outputs stop
# growing, tails news.duplicates and news.enriched to files and runs score.py.
#
#   services/dedup/eval/run.sh [DATA_DIR] [score.py options, e.g. --split dev]
#
# DATA_DIR defaults to ../shared/data/news (next to the repository). The
# outputs are kept in a temporary folder whose path is printed at the end.
set -euo pipefail
source "$(dirname "$0")/../../../deploy/local/tools.sh"
eval_dir="$NEWSFLOW_ROOT/services/dedup/eval"

data="${1:-$NEWSFLOW_ROOT/../shared/data/news}"
[ $# -gt 0 ] && shift
files=(saudinewsnet_ar.jsonl masakhanews_en_fr.jsonl ecbplus_en_events.jsonl)
for f in "${files[@]}"; do
  [ -r "$data/$f" ] || { echo "missing $data/$f (give the news data folder as first argument)" >&2; exit 1; }
done

nats_bin="${NATS_SERVER_BIN:-$(debian_nats_server)}"
ensure_cargo
say "building newsflow (release)"
(cd "$NEWSFLOW_ROOT" && cargo build --release --bins --quiet)
bin="$NEWSFLOW_ROOT/target/release"
work="$(mktemp -d)"
port=$(( 20000 + RANDOM % 20000 ))
while port_busy "$port" || port_busy $((port + 1)); do port=$(( 20000 + RANDOM % 20000 )); done
monitor=$((port + 1))
export NATS_URL="nats://127.0.0.1:$port"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work/jetstream"
}
trap cleanup EXIT

"$nats_bin" -js -a 127.0.0.1 -p "$port" -m "$monitor" -sd "$work/jetstream" -l "$work/nats.log" &
pids+=($!)
wait_for_port "$port"
"$bin/newsflow" setup >/dev/null
for service in langid dedup enrich; do
  METRICS_ADDR=127.0.0.1:0 "$bin/newsflow-$service" >"$work/$service.log" 2>&1 &
  pids=("$!" "${pids[@]}")
done

# The news files carry the language as `lang`; the article contract calls it
# `lang_hint`. Only contract fields are sent.
python3 - "$data" "$work/articles.jsonl" "${files[@]}" <<'PY'
import json, sys
data, out, files = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(out, "w", encoding="utf-8") as w:
    for name in files:
        with open(f"{data}/{name}", encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                a = {k: d.get(k) for k in ("id", "title", "text", "url", "source")}
                a["lang_hint"] = d.get("lang")
                w.write(json.dumps(a, ensure_ascii=False) + "\n")
PY
expected=$(wc -l <"$work/articles.jsonl")
say "publishing $expected articles"
"$bin/newsflow" publish "$work/articles.jsonl"

# Every article ends as one record, one notice or one dead letter.
outcomes() {
  python3 - "$monitor" <<'PY'
import json, sys, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/jsz?accounts=true&streams=true"
info = json.load(urllib.request.urlopen(url, timeout=5))
total = 0
for account in info.get("account_details", []):
    for s in account.get("stream_detail", []):
        if s["name"] in ("NEWS_ENRICHED", "NEWS_DUPLICATES", "NEWS_DLQ"):
            total += s["state"]["messages"]
print(total)
PY
}
last=-1
still=0
while :; do
  now=$(outcomes)
  say "outcomes: $now of $expected"
  [ "$now" -ge "$expected" ] && break
  if [ "$now" = "$last" ]; then still=$((still + 1)); else still=0; fi
  [ "$still" -ge 6 ] && { say "outputs stopped growing at $now of $expected"; break; }
  last=$now
  sleep 5
done

"$bin/newsflow" tail --subject news.duplicates --timeout 3 >"$work/duplicates.jsonl"
"$bin/newsflow" tail --subject news.enriched --timeout 3 >"$work/enriched.jsonl"
"$bin/newsflow" tail --subject news.dlq --timeout 3 >"$work/dlq.jsonl"
say "$(wc -l <"$work/enriched.jsonl") records, $(wc -l <"$work/duplicates.jsonl") notices, $(wc -l <"$work/dlq.jsonl") dead letters (in $work)"
python3 "$eval_dir/score.py" --pairs "$eval_dir/pairs.tsv" \
  --duplicates "$work/duplicates.jsonl" --enriched "$work/enriched.jsonl" \
  --ecbplus "$data/ecbplus_en_events.jsonl" "$@"
