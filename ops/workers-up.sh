#!/usr/bin/env bash
# Starts worker processes against the services from ops/services-up.sh, one process per entry of
# WORKERS (stage lists separated by spaces; each process runs the stages of its entry):
#   WORKERS="pipeline,ingest synthesis negatives teacher training evaluation labeling labeling" bash ops/workers-up.sh
# Logs and pid files go to RELEVANCE_WORKERS_DIR (default /tmp/relevance-workers). Stop with ops/workers-down.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${RELEVANCE_WORKERS_DIR:-/tmp/relevance-workers}"
WORKERS="${WORKERS:-pipeline,ingest synthesis negatives teacher training evaluation labeling}"
ARTIFACTS="${Artifacts__Root:-$PWD/.relevance}"
mkdir -p "$DIR" "$ARTIFACTS"

# Connection strings already in the environment win over the defaults services-up.sh exports.
given_pg="${ConnectionStrings__Postgres:-}"
given_mq="${RabbitMq__Uri:-}"
eval "$(bash ops/services-up.sh)"
[ -n "$given_pg" ] && export ConnectionStrings__Postgres="$given_pg"
[ -n "$given_mq" ] && export RabbitMq__Uri="$given_mq"
if [ ! -f src/Relevance.Workers/bin/Release/net10.0/Relevance.Workers.dll ] || [ "${REBUILD:-0}" = 1 ]; then
  dotnet build src/Relevance.Workers -c Release -nologo -clp:ErrorsOnly >&2
fi
DLL="$PWD/src/Relevance.Workers/bin/Release/net10.0/Relevance.Workers.dll"

i=0
for stages in $WORKERS; do
  i=$((i + 1))
  name="worker-$i-${stages//,/-}"
  Stages="$stages" \
  Messaging__Transport=RabbitMq Messaging__RabbitMqUri="$RabbitMq__Uri" \
  Database__Provider=Postgres Database__ConnectionString="$ConnectionStrings__Postgres" \
  Artifacts__Root="$ARTIFACTS" Urls="http://127.0.0.1:$((${PORT_BASE:-8100} + i))" \
    setsid nohup dotnet "$DLL" >"$DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$DIR/$name.pid"
  echo "[workers-up] $name (pid $!, health http://127.0.0.1:$((${PORT_BASE:-8100} + i))/health)" >&2
done
# Ready when every worker answers its health check (database migrated, bus connected).
for f in "$DIR"/*.pid; do
  port=$(( ${PORT_BASE:-8100} + $(basename "$f" | cut -d- -f2) ))
  for _ in $(seq 1 240); do
    if curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1; then break; fi
    kill -0 "$(cat "$f")" 2>/dev/null || { echo "[workers-up] $(basename "$f" .pid) exited; see its log" >&2; exit 1; }
    sleep 0.5
  done
done
echo "[workers-up] all workers healthy" >&2
