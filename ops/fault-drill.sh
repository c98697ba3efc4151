#!/usr/bin/env bash
# Fault drill for the distributed pipeline: five worker processes on RabbitMQ + PostgreSQL run the
# main job on the sample corpus while RabbitMQ is restarted, then PostgreSQL, then the training worker
# is killed (and a replacement started). Prints the run's counts at the end, to compare with an
# embedded run of the same settings (`relevance pipeline --max-seeds 40`).
#   bash ops/fault-drill.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DRILL="${DRILL_DIR:-/tmp/relevance-drill}"
rm -rf "$DRILL"; mkdir -p "$DRILL"
eval "$(bash ops/services-up.sh)"
STATE="${RELEVANCE_SERVICES_DIR:-/tmp/relevance-services}"
PGBIN="/usr/lib/postgresql/$(ls /usr/lib/postgresql | sort -V | tail -n 1)/bin"
psql_app() { psql "postgresql://relevance:relevance@127.0.0.1:5432/$1" -qAtX -c "$2"; }
psql_app relevance "DROP DATABASE IF EXISTS relevance_drill WITH (FORCE)" >/dev/null
psql_app relevance "CREATE DATABASE relevance_drill" >/dev/null
export ConnectionStrings__Postgres='Host=127.0.0.1;Port=5432;Username=relevance;Password=relevance;Database=relevance_drill'
export Artifacts__Root="$DRILL/artifacts" RELEVANCE_WORKERS_DIR="$DRILL/workers"
# A killed trainer's claim expires quickly, so the replacement takes the request over.
export Training__StaleAfterSeconds=20
WORKERS="pipeline,ingest synthesis,negatives teacher training,evaluation labeling" bash ops/workers-up.sh

dotnet build src/Relevance.Cli -nologo -clp:ErrorsOnly >/dev/null
dotnet src/Relevance.Cli/bin/Debug/net10.0/relevance.dll pipeline --max-seeds 40 --workers external \
  --set Messaging:Transport=RabbitMq --set Database:Provider=Postgres >"$DRILL/cli.log" 2>&1 &
cli=$!
count() { psql_app relevance_drill "$1" 2>/dev/null || echo 0; }
until [ "$(count "select count(*) from run_work_items where stage='negatives' and status=1")" -ge 5 ]; do sleep 1; done
echo "[drill] $(date +%T) restarting RabbitMQ (negatives under way)"
rmqctl() { runuser -u rabbitmq -- env HOME="$STATE/rabbitmq" RABBITMQ_NODENAME=relevance@localhost ERL_EPMD_ADDRESS=127.0.0.1 /usr/lib/rabbitmq/bin/rabbitmqctl "$@"; }
rmqctl -q stop_app; sleep 5; rmqctl -q start_app
until [ "$(count "select count(*) from run_work_items where stage='teacher' and status=1")" -ge 3 ]; do sleep 1; done
echo "[drill] $(date +%T) restarting PostgreSQL (teacher under way)"
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$STATE/pg" -m fast -w restart >/dev/null
until [ "$(count "select count(*) from training_requests where status=1 and progress > 0")" -ge 1 ]; do sleep 1; done
victim="$DRILL/workers/worker-4-training-evaluation.pid"
echo "[drill] $(date +%T) killing the training worker (pid $(cat "$victim")) mid-training, starting a replacement"
kill -9 "$(cat "$victim")"; rm -f "$victim"
RELEVANCE_WORKERS_DIR="$DRILL/workers-2" PORT_BASE=8200 WORKERS="training,evaluation" bash ops/workers-up.sh
status=0; wait "$cli" || status=$?
echo "[drill] pipeline exit $status"
grep -v '^\(ingest\|synthesis\|negatives\|teacher\|training\|labeling\)' "$DRILL/cli.log" | tail -25
echo "[drill] model versions: $(count "select count(*) from model_versions")  duplicate labels: $(count "select count(*) - count(distinct (job_id, qid, pid)) from labels")  failures: $(count "select count(*) from failures")"
RELEVANCE_WORKERS_DIR="$DRILL/workers" bash ops/workers-down.sh
RELEVANCE_WORKERS_DIR="$DRILL/workers-2" bash ops/workers-down.sh
exit "$status"
