#!/usr/bin/env bash
# A highly available PostgreSQL for Tally on one machine, for development and for `pnpm test:ha`:
# a one-member etcd, two or three Patroni nodes on the installed PostgreSQL 15 (synchronous
# replication, strict with three nodes; failsafe mode), and HAProxy routing to whichever node
# Patroni's /primary check calls the leader. Everything listens on 127.0.0.1 on free ports and lives
# in one directory.
#
#   scripts/ha/cluster.sh up [--nodes 2|3]   create (or start again) the cluster; prints DATABASE_URL
#   scripts/ha/cluster.sh status             each node's role, state, timeline and standbys
#   scripts/ha/cluster.sh wait               until the leader answers through HAProxy and has a sync standby
#   scripts/ha/cluster.sh leader             the name of the node that is the leader now (node1, node2, ...)
#   scripts/ha/cluster.sh psql [ARGS]        psql as the superuser on the leader's tally database, through HAProxy
#   scripts/ha/cluster.sh kill NAME          SIGKILL a node's Patroni and postmaster, or etcd, or haproxy
#   scripts/ha/cluster.sh stop NAME          stop one component in order (SIGTERM)
#   scripts/ha/cluster.sh start NAME         start one stopped or killed component again
#   scripts/ha/cluster.sh halt               stop everything, keep the data (`up` starts it again)
#   scripts/ha/cluster.sh down               stop everything and delete the directory
#
# NAME is etcd, haproxy or node1..node3. The directory is $TALLY_HA_DIR (default .tally-ha/ in the
# repository); `source $TALLY_HA_DIR/cluster.env` sets DATABASE_URL for Tally.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir=$(realpath -m "${TALLY_HA_DIR:-$repo_root/.tally-ha}")
pg_bin=${TALLY_HA_PG_BIN:-/usr/lib/postgresql/15/bin}
python=/usr/bin/python3 # Patroni's own interpreter, so a pyenv or venv on PATH does not matter
scope=tally

# Failure detection. Patroni requires loop_wait + 2 * retry_timeout <= ttl; these detect a dead
# leader in at most ttl seconds on one machine. Production keeps Patroni's defaults (30/10/10).
ttl=${TALLY_HA_TTL:-10}
loop_wait=${TALLY_HA_LOOP_WAIT:-1}
retry_timeout=${TALLY_HA_RETRY_TIMEOUT:-4}
# How long `up`, `wait` and a stop may take before the script gives up and shows the logs.
ready_timeout_s=${TALLY_HA_READY_TIMEOUT:-120}
stop_timeout_s=30

say() { printf 'cluster: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}

# --- set-up ------------------------------------------------------------------------------------

ensure_packages() {
  local missing=()
  command -v patroni >/dev/null || missing+=(patroni)
  command -v etcd >/dev/null || missing+=(etcd-server)
  command -v haproxy >/dev/null || missing+=(haproxy)
  [ -x "$pg_bin/postgres" ] || missing+=("postgresql-${pg_bin//[^0-9]/}")
  [ ${#missing[@]} -eq 0 ] && return
  [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]}: run 'sudo apt-get install ${missing[*]}'"
  say "installing ${missing[*]} with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user.
if [ "$(id -u)" -eq 0 ]; then
  as_owner=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  owner=postgres
else
  as_owner=()
  owner=$(id -un)
fi

# Free ports, held open together so that the kernel hands out distinct ones.
free_ports() {
  "$python" - "$1" <<'PY'
import socket, sys
held = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in held: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in held))
PY
}

secret() { "$python" -c 'import secrets; print(secrets.token_hex(16))'; }

create() {
  local nodes=$1
  case $nodes in 2 | 3) ;; *) die "--nodes must be 2 or 3" ;; esac
  mkdir -p "$dir"
  "${as_owner[@]}" test -x "$dir" || die "$owner cannot enter $dir: it or a parent directory is not searchable by $owner (chmod o+x it, or set TALLY_HA_DIR)"
  local ports
  read -r -a ports <<<"$(free_ports $((2 + 2 * nodes + 2)))"
  {
    echo "NODES=$nodes"
    echo "ETCD_PORT=${ports[0]}"
    echo "ETCD_PEER_PORT=${ports[1]}"
    for i in $(seq 1 "$nodes"); do
      echo "NODE${i}_PG_PORT=${ports[2 * i]}"
      echo "NODE${i}_API_PORT=${ports[2 * i + 1]}"
    done
    echo "HAPROXY_PORT=${ports[2 * nodes + 2]}"
    echo "HAPROXY_STATS_PORT=${ports[2 * nodes + 3]}"
    echo "SUPERUSER_PASSWORD=$(secret)"
    echo "REPLICATION_PASSWORD=$(secret)"
    echo "TALLY_PASSWORD=$(secret)"
  } >"$dir/settings.env"
  chmod 600 "$dir/settings.env"
  load
  mkdir -p "$dir/etcd"
  for i in $(seq 1 "$NODES"); do
    mkdir -p "$dir/node$i"
    patroni_config "$i" >"$dir/node$i/patroni.yml"
    chmod 600 "$dir/node$i/patroni.yml"
  done
  haproxy_config >"$dir/haproxy.cfg"
  echo "DATABASE_URL=postgres://tally:$TALLY_PASSWORD@127.0.0.1:$HAPROXY_PORT/tally" >"$dir/cluster.env"
  chmod 755 "$dir"
  [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$dir/etcd" "$dir"/node*
  return 0
}

load() {
  [ -f "$dir/settings.env" ] || die "no cluster in $dir: run 'scripts/ha/cluster.sh up' first"
  # shellcheck source=/dev/null
  source "$dir/settings.env"
}

port_of() { local name="NODE${1}_$2_PORT"; echo "${!name}"; }

# Strict synchronous mode with three nodes: a leader with no synchronous standby (just promoted,
# before the other standby streams from it, or with both standbys gone) sets synchronous_standby_names
# to '*', so its commits wait for whichever standby streams first instead of being acknowledged with
# no copy anywhere else. Two nodes keep it off: there the lone survivor of a failover must take
# writes, and it commits alone until the other node is back.
strict_sync() { [ "$NODES" -ge 3 ] && echo true || echo false; }

patroni_config() {
  local i=$1 pg_port api_port
  pg_port=$(port_of "$i" PG)
  api_port=$(port_of "$i" API)
  cat <<YAML
scope: $scope
name: node$i
log:
  level: INFO
restapi:
  listen: 127.0.0.1:$api_port
  connect_address: 127.0.0.1:$api_port
etcd3:
  hosts: 127.0.0.1:$ETCD_PORT
bootstrap:
  dcs:
    ttl: $ttl
    loop_wait: $loop_wait
    retry_timeout: $retry_timeout
    maximum_lag_on_failover: 1048576
    # A commit is acknowledged only once a standby has it; only that standby may be promoted.
    synchronous_mode: true
    synchronous_mode_strict: $(strict_sync)
    # With etcd unreachable, the leader stays primary while it reaches every other member.
    failsafe_mode: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_log_hints: "on"
        max_connections: 200
        max_wal_senders: 10
        max_replication_slots: 10
        # A standby that asks a new leader for WAL before that leader has made its replication slot
        # is refused and asks again after this (PostgreSQL's default is 5 s): with three nodes the
        # other standby streams, and the writes waiting on a strict leader go on, that much sooner.
        wal_retrieve_retry_interval: 1s
  initdb:
    - encoding: UTF8
    - locale: C
  pg_hba:
    - local all all trust
    - host replication replicator 127.0.0.1/32 scram-sha-256
    - host all all 127.0.0.1/32 scram-sha-256
postgresql:
  listen: 127.0.0.1:$pg_port
  connect_address: 127.0.0.1:$pg_port
  data_dir: $dir/node$i/data
  bin_dir: $pg_bin
  pgpass: $dir/node$i/pgpass
  remove_data_directory_on_rewind_failure: true
  authentication:
    superuser:
      username: postgres
      password: $SUPERUSER_PASSWORD
    replication:
      username: replicator
      password: $REPLICATION_PASSWORD
  parameters:
    unix_socket_directories: $dir/node$i
YAML
}

haproxy_config() {
  cat <<CFG
global
    maxconn 1000

defaults
    mode tcp
    log global
    timeout connect 2s
    # Above Tally's pool idle timeout, so HAProxy never cuts a connection the pool still trusts.
    timeout client 30m
    timeout server 30m

listen stats
    mode http
    bind 127.0.0.1:$HAPROXY_STATS_PORT
    stats enable
    stats uri /

# Only the leader receives connections: Patroni answers 200 on /primary, and its PostgreSQL has
# left recovery. Patroni 3.0 answers 200 as soon as it holds the leader key, before the promotion
# ends, and a session opened then would find the node read-only. When a node stops being the
# leader its sessions are cut at once, so no client keeps writing to a demoted node.
listen postgres
    bind 127.0.0.1:$HAPROXY_PORT
    option httpchk GET /primary
    http-check expect status 200
    http-check expect rstring "\"role\": ?\"(master|primary)\""
    default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions
CFG
  for i in $(seq 1 "$NODES"); do
    echo "    server node$i 127.0.0.1:$(port_of "$i" PG) maxconn 200 check port $(port_of "$i" API)"
  done
}

# --- processes ---------------------------------------------------------------------------------

pid_file() { echo "$dir/$1.pid"; }
pid_of() { cat "$(pid_file "$1")" 2>/dev/null || true; }

# A live process of this cluster: not a zombie (which still answers kill -0), and started with
# this cluster's directory on its command line, so a stale pid file never names another process.
running() {
  local pid=$1 stat
  [ -n "$pid" ] && stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ] || return 1
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$dir/"
}

postmaster_pid() { head -1 "$dir/$1/data/postmaster.pid" 2>/dev/null || true; }

# Starts a command in a session of its own (a Ctrl-C in the caller's terminal does not reach it),
# logging to $dir/NAME.log, and records its pid.
spawn() {
  local name=$1
  shift
  # From /, which every user can enter: PostgreSQL's programs, run as `postgres`, fail in a working
  # directory they cannot reach (a clone in root's 0700 home).
  (cd / && exec setsid bash -c 'echo $$ >"$0"; exec "$@"' "$(pid_file "$name")" "$@" >>"$dir/$name.log" 2>&1 </dev/null) &
  local waited=0
  until [ -s "$(pid_file "$name")" ]; do
    sleep 0.05
    waited=$((waited + 1))
    [ $waited -lt 100 ] || die "$name did not start; see $dir/$name.log"
  done
}

start_etcd() {
  running "$(pid_of etcd)" && return
  rm -f "$(pid_file etcd)"
  spawn etcd "${as_owner[@]}" etcd --name etcd1 --data-dir "$dir/etcd/data" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "etcd1=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-token "tally-ha-$ETCD_PORT" \
    --initial-cluster-state new
  poll "etcd to answer" curl -fsS -o /dev/null "http://127.0.0.1:$ETCD_PORT/health"
}

start_node() {
  local name=$1
  running "$(pid_of "$name")" && return
  rm -f "$(pid_file "$name")"
  spawn "$name" "${as_owner[@]}" patroni "$dir/$name/patroni.yml"
}

start_haproxy() {
  running "$(pid_of haproxy)" && return
  rm -f "$(pid_file haproxy)"
  haproxy -c -q -f "$dir/haproxy.cfg" || die "haproxy.cfg is invalid"
  spawn haproxy haproxy -db -f "$dir/haproxy.cfg"
}

start() {
  case $1 in
    etcd) start_etcd ;;
    haproxy) start_haproxy ;;
    node[1-3]) [ -f "$dir/$1/patroni.yml" ] || die "no $1 in this cluster" && start_node "$1" ;;
    *) die "unknown component $1 (etcd, haproxy, node1..node$NODES)" ;;
  esac
}

# The running processes of a component, one a line: a node is its Patroni and its postmaster.
pids_of() {
  local pid candidates
  case $1 in
    node[1-3]) candidates="$(pid_of "$1") $(postmaster_pid "$1")" ;;
    *) candidates=$(pid_of "$1") ;;
  esac
  for pid in $candidates; do
    if running "$pid"; then echo "$pid"; fi
  done
}

wait_gone() {
  local pid deadline=$((SECONDS + stop_timeout_s))
  for pid in "$@"; do
    while running "$pid"; do
      [ $SECONDS -lt $deadline ] || return 1
      sleep 0.1
    done
  done
}

kill_component() {
  local pids
  mapfile -t pids < <(pids_of "$1")
  [ ${#pids[@]} -gt 0 ] || return 0
  kill -KILL "${pids[@]}" 2>/dev/null || true
  wait_gone "${pids[@]}" || die "$1 (${pids[*]}) survived SIGKILL"
}

# Patroni stops its PostgreSQL on SIGTERM (a leader hands over first); one that does not within
# the timeout, and a postmaster left without its Patroni, are stopped outright.
stop_component() {
  local main
  main=$(pid_of "$1")
  if running "$main"; then
    kill -TERM "$main" 2>/dev/null || true
    wait_gone "$main" || say "$1 did not stop within ${stop_timeout_s}s; killing it"
  fi
  kill_component "$1"
}

components() {
  echo haproxy
  for i in $(seq 1 "$NODES"); do echo "node$i"; done
  echo etcd
}

# --- state -------------------------------------------------------------------------------------

poll() {
  local what=$1 deadline=$((SECONDS + ready_timeout_s))
  shift
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      say "timed out waiting for $what; the logs end with:"
      tail -n 15 "$dir"/*.log >&2 || true
      exit 1
    fi
    sleep 0.2
  done
}

api() { curl -fsS --max-time 2 "http://127.0.0.1:$(port_of "${1#node}" API)$2"; }

leader() {
  local i
  for i in $(seq 1 "$NODES"); do
    if api "$i" /primary >/dev/null 2>&1; then
      echo "node$i"
      return 0
    fi
  done
  return 1
}

# A synchronous standby streams from the leader, and etcd names it so: Patroni promotes only a
# standby that etcd's /sync key names, and writes it there a loop after PostgreSQL reports it.
has_sync_standby() {
  local name
  name=$(leader) || return 1
  { api "$name" / && echo && api "$name" /cluster; } | "$python" -c '
import json, sys
status, cluster = (json.loads(line) for line in sys.stdin.read().splitlines()[:2])
streaming = {r["application_name"] for r in status.get("replication", [])
             if r.get("sync_state") == "sync" and r.get("state") == "streaming"}
named = {m["name"] for m in cluster["members"] if m.get("role") == "sync_standby"}
sys.exit(0 if streaming & named else 1)'
}

psql_via_haproxy() {
  PGPASSWORD=$SUPERUSER_PASSWORD PGCONNECT_TIMEOUT=2 "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$HAPROXY_PORT" -U postgres -d postgres "$@"
}

writable_via_haproxy() { [ "$(psql_via_haproxy -tA -c 'SELECT NOT pg_is_in_recovery()')" = t ]; }

wait_ready() {
  poll "a leader" leader
  poll "the leader to be reachable through HAProxy" writable_via_haproxy
  poll "a synchronous standby" has_sync_standby
}

create_tally_database() {
  psql_via_haproxy <<SQL
SELECT format('CREATE ROLE tally LOGIN PASSWORD %L', '$TALLY_PASSWORD')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tally') \gexec
SELECT 'CREATE DATABASE tally OWNER tally' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'tally') \gexec
SQL
}

status() {
  local i
  for i in $(seq 1 "$NODES"); do
    if ! running "$(pid_of "node$i")"; then
      echo "node$i: down"
      continue
    fi
    api "$i" /patroni 2>/dev/null | "$python" -c '
import json, sys
s = json.load(sys.stdin)
lag = {r["application_name"]: r.get("sync_state") for r in s.get("replication", [])}
print("%s: %s %s timeline %s%s" % (sys.argv[1], s.get("role"), s.get("state"), s.get("timeline", "?"),
      "".join(" -> %s (%s)" % (n, st) for n, st in lag.items())))' "node$i" || echo "node$i: Patroni not answering"
  done
  running "$(pid_of etcd)" && echo "etcd: up on 127.0.0.1:$ETCD_PORT" || echo "etcd: down"
  running "$(pid_of haproxy)" && echo "haproxy: up on 127.0.0.1:$HAPROXY_PORT (stats http://127.0.0.1:$HAPROXY_STATS_PORT/)" ||
    echo "haproxy: down"
}

# --- commands ----------------------------------------------------------------------------------

up() {
  local nodes=2
  while [ $# -gt 0 ]; do
    case $1 in
      --nodes) nodes=${2:?--nodes needs 2 or 3} && shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  ensure_packages
  [ -f "$dir/settings.env" ] || create "$nodes"
  load
  start_etcd
  local component
  for component in $(components); do [ "$component" = etcd ] || start "$component"; done
  wait_ready
  create_tally_database
  say "ready: $(leader) leads, with a synchronous standby"
  cat "$dir/cluster.env"
}

halt() {
  local component
  for component in $(components); do stop_component "$component"; done
}

main() {
  local command=${1:-}
  [ $# -gt 0 ] && shift
  case $command in
    up) up "$@" ;;
    status) load && status ;;
    wait) load && wait_ready ;;
    leader) load && leader ;;
    psql) load && psql_via_haproxy -d tally "$@" ;;
    kill) load && kill_component "${1:?kill what?}" ;;
    stop) load && stop_component "${1:?stop what?}" ;;
    start) load && start "${1:?start what?}" ;;
    halt) load && halt ;;
    down)
      if [ -f "$dir/settings.env" ]; then load && halt; fi
      rm -rf "$dir"
      ;;
    *)
      sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
      exit 2
      ;;
  esac
}

main "$@"
