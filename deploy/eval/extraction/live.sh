#!/usr/bin/env bash
# The benchmark's pages through the live pipeline: every page must end as a
# record or as a dead letter with a specific reason, and no page as a
# duplicate of a page with another text. Prints the outcome counts, the
# dead-letter codes, the duplicate notices with the similarity of the two
# pages' ground-truth texts, and the main-text and title scores of the
# records per split.
#
#   deploy/eval/extraction/live.sh --data DIR
#
# DIR holds pages.jsonl (see README.md; run.sh or prepare.py writes it).
set -euo pipefail
source "$(dirname "$0")/../../local/tools.sh"
here="$NEWSFLOW_ROOT/deploy/eval/extraction"

data=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --data) data="${2:?--data needs a folder}"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "live.sh: unknown argument $1 (usage: live.sh --data DIR)" >&2; exit 2 ;;
  esac
done
[[ -s "$data/pages.jsonl" ]] || { echo "live.sh: $data/pages.jsonl is missing (run run.sh or prepare.py first)" >&2; exit 2; }

ensure_cargo
say "building newsflow (release)"
(cd "$NEWSFLOW_ROOT" && cargo build --release --bins --quiet)
work="$(mktemp -d)"
trap 'stop_private_pipeline; rm -rf "$work/jetstream"' EXIT
start_private_pipeline "$work"

# Only the article contract's fields: id, url, html.
python3 - "$data/pages.jsonl" "$work/articles.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as pages, open(sys.argv[2], "w", encoding="utf-8") as out:
    for line in pages:
        page = json.loads(line)
        out.write(json.dumps({k: page[k] for k in ("id", "url", "html")}, ensure_ascii=False) + "\n")
PY
expected=$(wc -l <"$work/articles.jsonl")
say "publishing $expected pages"
"$NEWSFLOW_ROOT/target/release/newsflow" publish "$work/articles.jsonl"
wait_for_all_outcomes "$expected"
tail_outcomes "$work"
python3 "$here/live.py" --data "$data" --outcomes "$work"
