#!/usr/bin/env bash
# Stops the RabbitMQ and PostgreSQL that ops/services-up.sh started. Safe to run twice; keeps data
# unless --purge is given.
set -uo pipefail
STATE="${RELEVANCE_SERVICES_DIR:-/tmp/relevance-services}"
log() { echo "[services-down] $*" >&2; }
run_as() { local u=$1; shift; if [ "$(id -u)" -eq 0 ]; then runuser -u "$u" -- "$@"; else "$@"; fi; }

PGBIN="/usr/lib/postgresql/$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)/bin"
if [ -s "$STATE/pg/PG_VERSION" ] && [ -x "$PGBIN/pg_ctl" ]; then
  if run_as postgres "$PGBIN/pg_ctl" -D "$STATE/pg" status >/dev/null 2>&1; then
    run_as postgres "$PGBIN/pg_ctl" -D "$STATE/pg" -m fast -w stop >/dev/null && log "PostgreSQL stopped"
  else
    log "PostgreSQL not running"
  fi
fi

RMQ_DIR="$STATE/rabbitmq"
if [ -d "$RMQ_DIR" ] && [ -x /usr/lib/rabbitmq/bin/rabbitmqctl ]; then
  if run_as rabbitmq env HOME="$RMQ_DIR" RABBITMQ_NODENAME="${RELEVANCE_RMQ_NODENAME:-relevance@localhost}" ERL_EPMD_ADDRESS=127.0.0.1 \
      /usr/lib/rabbitmq/bin/rabbitmqctl -q stop >/dev/null 2>&1; then
    log "RabbitMQ stopped"
  else
    log "RabbitMQ not running"
  fi
  run_as rabbitmq env HOME="$RMQ_DIR" ERL_EPMD_ADDRESS=127.0.0.1 epmd -kill >/dev/null 2>&1 || true
fi

if [ "${1:-}" = "--purge" ]; then rm -rf "$STATE"; log "removed $STATE"; fi
exit 0
