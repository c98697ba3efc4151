#!/usr/bin/env bash
# Installs (only when missing) and starts RabbitMQ and PostgreSQL on 127.0.0.1 without systemd,
# waits until each really accepts connections, creates the user/vhost/database idempotently and
# prints `export` lines with the connection strings. Safe to run twice.
#
#   eval "$(bash ops/services-up.sh)"
#
# Everything the services write lives under RELEVANCE_SERVICES_DIR (default /tmp/relevance-services).
set -euo pipefail

STATE="$(realpath -m "${RELEVANCE_SERVICES_DIR:-/tmp/relevance-services}")"
# The postgres and rabbitmq users start in this directory: a checkout under `mktemp -d` (mode 0700) is closed to them.
cd /
PG_PORT="${RELEVANCE_PG_PORT:-5432}"
RMQ_PORT="${RELEVANCE_RMQ_PORT:-5672}"
RMQ_MGMT_PORT="${RELEVANCE_RMQ_MGMT_PORT:-15672}"
DB_USER="${RELEVANCE_DB_USER:-relevance}"
DB_PASS="${RELEVANCE_DB_PASSWORD:-relevance}"
DB_NAME="${RELEVANCE_DB_NAME:-relevance}"
MQ_USER="${RELEVANCE_MQ_USER:-relevance}"
MQ_PASS="${RELEVANCE_MQ_PASSWORD:-relevance}"
MQ_VHOST="${RELEVANCE_MQ_VHOST:-relevance}"
# A second instance (other ports, another RELEVANCE_SERVICES_DIR) needs its own Erlang node name.
RMQ_NODENAME="${RELEVANCE_RMQ_NODENAME:-relevance@localhost}"

log() { echo "[services-up] $*" >&2; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

apt_updated=0
install_pkgs() {
  if [ "$apt_updated" -eq 0 ]; then
    log "apt-get update"
    $SUDO apt-get update -qq >&2
    apt_updated=1
  fi
  log "installing $*"
  # The image forbids starting services at install time (policy-rc.d); we start them ourselves.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >&2
}

pg_bin() {
  local v
  v=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
  [ -n "$v" ] && echo "/usr/lib/postgresql/$v/bin"
}

wait_tcp() { # host port seconds
  local i
  for ((i = 0; i < $3 * 4; i++)); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    sleep 0.25
  done
  return 1
}

# ---------------------------------------------------------------- PostgreSQL
if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then install_pkgs postgresql; fi
PGBIN=$(pg_bin)
PGDATA="$STATE/pg"
mkdir -p "$STATE"
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$(id -u)" -eq 0 ]; then chown postgres "$STATE" 2>/dev/null || true; chmod 755 "$STATE"; fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  log "initdb $PGDATA"
  as_postgres mkdir -p "$PGDATA"
  as_postgres "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $PG_PORT"
    echo "unix_socket_directories = '$PGDATA'"
    echo "max_connections = 300"
    echo "fsync = on"
    echo "shared_buffers = 256MB"
  } | as_postgres tee -a "$PGDATA/postgresql.conf" >/dev/null
fi
if ! as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 start >/dev/null
fi
for _ in $(seq 1 120); do
  "$PGBIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -q && break
  sleep 0.5
done
"$PGBIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -q || { log "PostgreSQL not ready"; exit 1; }
psql_su() { as_postgres psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
psql_su -d postgres <<SQL >/dev/null
SET client_min_messages = warning;
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L CREATEDB', '$DB_USER', '$DB_PASS')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER')\gexec
ALTER ROLE "$DB_USER" CREATEDB PASSWORD '$DB_PASS';
-- Tests drop their own databases WITH (FORCE), which must be able to end lingering backends.
GRANT pg_signal_backend TO "$DB_USER";
SELECT format('CREATE DATABASE %I OWNER %I', '$DB_NAME', '$DB_USER')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$DB_NAME')\gexec
SQL
log "PostgreSQL ready"

# ---------------------------------------------------------------- RabbitMQ
if [ ! -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then install_pkgs rabbitmq-server; fi
# Debian's /usr/sbin wrappers cd to /var/lib/rabbitmq and take its cookie; call the real scripts so
# that server and CLI share our private HOME and cookie.
RMQ_BIN=/usr/lib/rabbitmq/bin
RMQ_DIR="$STATE/rabbitmq"
mkdir -p "$RMQ_DIR"
if [ "$(id -u)" -eq 0 ]; then chown -R rabbitmq:rabbitmq "$RMQ_DIR"; fi
as_rabbit() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u rabbitmq -- env HOME="$RMQ_DIR" "$@"
  else
    env HOME="$RMQ_DIR" "$@"
  fi
}
export RABBITMQ_NODENAME="$RMQ_NODENAME"
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT="$RMQ_PORT"
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia"
export RABBITMQ_LOG_BASE="$RMQ_DIR/log"
export RABBITMQ_PID_FILE="$RMQ_DIR/rabbitmq.pid"
export RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins"
export RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq"
# The broker shares a few cores with the workers: Erlang schedulers that busy-wait for work would take
# their time from inference, so they sleep when idle.
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="${RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS:-+sbwt none +sbwtdcpu none +sbwtdio none}"
[ -f "$RMQ_DIR/enabled_plugins" ] || echo "[rabbitmq_management]." > "$RMQ_DIR/enabled_plugins"
# The 30-minute consumer timeout stays at its default on purpose: long work (training) never holds a delivery.
[ -f "$RMQ_DIR/rabbitmq.conf" ] || printf 'loopback_users = none\nmanagement.tcp.ip = 127.0.0.1\nmanagement.tcp.port = %s\n' "$RMQ_MGMT_PORT" > "$RMQ_DIR/rabbitmq.conf"
if [ "$(id -u)" -eq 0 ]; then chown -R rabbitmq:rabbitmq "$RMQ_DIR"; fi
if ! as_rabbit "$RMQ_BIN/rabbitmqctl" -q status >/dev/null 2>&1; then
  log "starting RabbitMQ on 127.0.0.1:$RMQ_PORT"
  rm -f "$RABBITMQ_PID_FILE"
  # Not -detached: it swallows start-up errors. A session-less background process keeps the log.
  as_user=()
  if [ "$(id -u)" -eq 0 ]; then as_user=(runuser -u rabbitmq --); fi
  setsid nohup "${as_user[@]}" env HOME="$RMQ_DIR" "$RMQ_BIN/rabbitmq-server" \
    >"$RMQ_DIR/server.out" 2>&1 </dev/null &
fi
# `ping` answers before the AMQP listener accepts; `wait` on the pid file, then a real TCP connect.
for _ in $(seq 1 60); do [ -s "$RABBITMQ_PID_FILE" ] && break; sleep 0.5; done
as_rabbit "$RMQ_BIN/rabbitmqctl" -q wait --timeout 120 "$RABBITMQ_PID_FILE" >/dev/null
wait_tcp 127.0.0.1 "$RMQ_PORT" 60 || { log "RabbitMQ not accepting connections"; exit 1; }
as_rabbit "$RMQ_BIN/rabbitmqctl" -q add_vhost "$MQ_VHOST" >/dev/null 2>&1 || true
# add_user exits 70 when the user exists: then make sure the password is the configured one.
as_rabbit "$RMQ_BIN/rabbitmqctl" -q add_user "$MQ_USER" "$MQ_PASS" >/dev/null 2>&1 \
  || as_rabbit "$RMQ_BIN/rabbitmqctl" -q change_password "$MQ_USER" "$MQ_PASS" >/dev/null
as_rabbit "$RMQ_BIN/rabbitmqctl" -q set_user_tags "$MQ_USER" administrator >/dev/null
as_rabbit "$RMQ_BIN/rabbitmqctl" -q set_permissions -p "$MQ_VHOST" "$MQ_USER" ".*" ".*" ".*" >/dev/null
log "RabbitMQ ready"

cat <<OUT
export RELEVANCE_TEST_POSTGRES='Host=127.0.0.1;Port=$PG_PORT;Username=$DB_USER;Password=$DB_PASS;Database=$DB_NAME'
export RELEVANCE_TEST_RABBITMQ='amqp://$MQ_USER:$MQ_PASS@127.0.0.1:$RMQ_PORT/$MQ_VHOST'
export ConnectionStrings__Postgres="\$RELEVANCE_TEST_POSTGRES"
export RabbitMq__Uri="\$RELEVANCE_TEST_RABBITMQ"
export RabbitMq__ManagementUri='http://127.0.0.1:$RMQ_MGMT_PORT'
OUT
