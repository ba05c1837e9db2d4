#!/usr/bin/env bash
# Rebuilds the enrich stage's name-tagger weights (services/enrich/data/ner/*.model)
# from public training corpora (SOURCES.md): prepares the training files with
# prepare.py, trains one model per language, then prints the dev-set scores.
#
#   services/enrich/ner/train.sh [--mirrors DIR]     # from the repository root
#
# Training data goes to $NER_TRAIN (default .newsflow/ner-train), never into git.
# Same data, same seed: the same weights, byte for byte.
set -euo pipefail
cd "$(dirname "$0")/../../.."
train_dir="${NER_TRAIN:-.newsflow/ner-train}"
models=services/enrich/data/ner
languages=(${NER_LANGUAGES:-ar de en es fr id it nl pl pt ru uk})

# Other languages' news added to a language's own training set. German has
# no news training set reachable here (SOURCES.md): Dutch and English news
# teach it the names that German capitals on every noun hide (de-conll2003
# dev PER F1 0.53 -> 0.63, GermEval 0.35 -> 0.48); English helps Spanish a
# little (dev PER+ORG+LOC 0.728 -> 0.744). French has only Wikipedia (silver)
# and 19th-century newspapers (HIPE): Spanish and English news teach it how
# news names people (HIPE dev PER F1 0.43 -> 0.46; quote speakers on the
# French dev articles 0.755 -> 0.770), pruned harder to keep the model small.
declare -A also=([de]="nl en" [es]="en" [fr]="es en")
declare -A prune=([fr]=2)
# Languages whose tagger remembers the kind a word was tagged earlier in its
# document (a surname after the full name). English CoNLL has whole
# articles: dev PER F1 0.90 -> 0.91. Not Arabic (tagger PER up, ORG and LOC
# down, and the enrich stage's surname rule already does the rest), not
# Dutch (its sentences are shuffled within an article: PER and ORG down).
# Not tried for the others (Spanish marks no documents).
declare -A memory=([en]=1)
# Languages whose tagger sees whether a word and its neighbours are known
# first names or surnames (../data/person_names.tsv, from
# ../tools/gen_person_names.py). German: a surname alone looks like any of
# its capitalized nouns (GermEval dev PER 0.63 -> 0.69, CoNLL 0.83 -> 0.85).
declare -A name_list=([de]=1)

python3 services/enrich/ner/prepare.py --out "$train_dir" "$@"
cargo build --release -p newsflow-enrich --bin newsflow-ner
mkdir -p "$models"
for lang in "${languages[@]}"; do
    file="$train_dir/$lang.train.conll"
    if [[ ! -s "$file" ]]; then
        echo "no training data for $lang ($file): skipped" >&2
        continue
    fi
    echo "== $lang" >&2
    files=("$file")
    for extra in ${also[$lang]:-}; do
        files+=("$train_dir/$extra.train.conll")
    done
    target/release/newsflow-ner train "${files[@]}" --out "$models/$lang.model" --epochs 10 --seed 1 \
        --prune-below "${prune[$lang]:-1}" ${memory[$lang]:+--document-memory} \
        ${name_list[$lang]:+--name-list}
done
target/release/newsflow-ner eval --data ../shared/data/ner
# The corpora without a shared dev file (uk, id): their own dev and test files, held out by
# prepare.py (the test files check a result; nothing is chosen on them).
target/release/newsflow-ner eval --data "$train_dir/heldout"
