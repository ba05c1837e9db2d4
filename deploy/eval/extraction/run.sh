#!/usr/bin/env bash
# Extraction evaluation: newsflow against trafilatura on L3S-GN1.
#
#   deploy/eval/extraction/run.sh --data DIR [--details FILE]
#
# DIR is the L3S-GN1 folder (original/, annotated/, url-mapping.txt; see
# README.md). Installs trafilatura into .newsflow/tools/trafilatura-venv when
# missing, builds `newsflow` in release mode, writes DIR/pages.jsonl when it
# is missing, and prints the figures for the dev and test splits.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
venv="$root/.newsflow/tools/trafilatura-venv"
# Pinned so that figures from different days compare.
trafilatura_version="2.3.1"
lxml_html_clean_version="0.4.6"

data=""
details=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --data) data="${2:?--data needs a folder}"; shift 2 ;;
        --details) details=(--details "${2:?--details needs a file}"); shift 2 ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $1 (usage: run.sh --data DIR [--details FILE])" >&2; exit 2 ;;
    esac
done
if [[ -z "$data" ]]; then
    echo "run.sh: --data DIR is required (the L3S-GN1 folder, see $here/README.md)" >&2
    exit 2
fi
data="$(cd "$data" && pwd)"

if ! "$venv/bin/python" -c "import trafilatura, sys; sys.exit(trafilatura.__version__ != '$trafilatura_version')" 2>/dev/null; then
    echo "run.sh: installing trafilatura $trafilatura_version into $venv" >&2
    python3 -m venv "$venv"
    # lxml_html_clean: trafilatura's jusText needs it and recent lxml no longer bundles it.
    "$venv/bin/pip" install --quiet "trafilatura==$trafilatura_version" "lxml_html_clean==$lxml_html_clean_version"
fi

echo "run.sh: building newsflow (release)" >&2
(cd "$root" && cargo build --release --quiet -p newsflow-cli)

if [[ ! -s "$data/pages.jsonl" ]]; then
    python3 "$here/prepare.py" --data "$data"
fi

cd "$root"
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- services || echo ' (with uncommitted changes in services/)')"
exec "$venv/bin/python" "$here/evaluate.py" --data "$data" --newsflow "$root/target/release/newsflow" "${details[@]}"
