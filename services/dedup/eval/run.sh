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

ensure_cargo
say "building newsflow (release)"
(cd "$NEWSFLOW_ROOT" && cargo build --release --bins --quiet)
bin="$NEWSFLOW_ROOT/target/release"
work="$(mktemp -d)"
trap 'stop_private_pipeline; rm -rf "$work/jetstream"' EXIT
start_private_pipeline "$work"

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
wait_for_all_outcomes "$expected"
tail_outcomes "$work"
python3 "$eval_dir/score.py" --pairs "$eval_dir/pairs.tsv" \
  --duplicates "$work/duplicates.jsonl" --enriched "$work/enriched.jsonl" \
  --ecbplus "$data/ecbplus_en_events.jsonl" "$@"
