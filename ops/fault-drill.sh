#!/usr/bin/env bash
# Fault drill (issue #7, acceptance 3): a distributed run on real RabbitMQ + PostgreSQL survives a
# RabbitMQ restart, then a PostgreSQL restart, then `kill -9` of a worker process, and ends with the
# same counts as the embedded run and nothing duplicated.
#
#   bash ops/fault-drill.sh            # SEEDS=40 by default; about 20-30 minutes on 2 cores
#
# What it does, in order:
#  1. builds the CLI and the workers (Release, incremental);
#  2. runs the embedded reference `pipeline --max-seeds $SEEDS` (in-memory bus, SQLite in a fresh
#     artifact folder) and keeps its counts (`--summary-json`); EMBEDDED_SUMMARY=file reuses a
#     reference written by an earlier drill instead;
#  3. starts its own RabbitMQ + PostgreSQL (ops/services-up.sh with another state folder, other ports
#     and another Erlang node name, so that the restarts never hit services someone else is using),
#     creates a fresh database and a fresh vhost, starts two worker processes that each run every
#     stage (either can carry the run alone) and the distributed pipeline in the background;
#  4. injects the faults, each only after the run has visibly moved on from the previous one:
#       RabbitMQ restart    once the teacher stage is under way (messages of every stage in flight),
#       PostgreSQL restart  once the model version is training (claims, heartbeats, checkpoints),
#       kill -9             of the worker holding the training claim, once training has progressed
#                           after the PostgreSQL restart (the other worker must take the request over);
#     a restart stops the service, leaves it down FAULT_PAUSE seconds (default 5) and starts it the
#     way services-up.sh does, waiting until it accepts connections;
#  5. waits for the run (TIMEOUT_MIN, default 60), then compares the counts, read directly in
#     PostgreSQL, with the embedded ones, checks natural keys for duplicates and that every pair has a
#     grade and every held-out pair a label, and that no _error/_skipped queue holds a message;
#     prints a table and exits 1 on any mismatch;
#  6. stops its workers; stops the services if it started them (KEEP_SERVICES=1 keeps them), leaves
#     them running if they were running before. The drill database and vhost are kept for inspection.
#
# Knobs: SEEDS, TIMEOUT_MIN, FAULT_PAUSE, VICTIM (trainer = the worker holding the training claim, or
# a worker number), DRILL_DIR (logs, artifacts, JSON; default /tmp/relevance-drill), EMBEDDED_SUMMARY,
# KEEP_SERVICES, and the RELEVANCE_* variables of services-up.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

SEEDS="${SEEDS:-40}"
TIMEOUT_MIN="${TIMEOUT_MIN:-60}"
FAULT_PAUSE="${FAULT_PAUSE:-5}"
VICTIM="${VICTIM:-trainer}"
DRILL_DIR="${DRILL_DIR:-/tmp/relevance-drill}"
export RELEVANCE_SERVICES_DIR="${RELEVANCE_SERVICES_DIR:-/tmp/relevance-drill-services}"
export RELEVANCE_PG_PORT="${RELEVANCE_PG_PORT:-5433}"
export RELEVANCE_RMQ_PORT="${RELEVANCE_RMQ_PORT:-5673}"
export RELEVANCE_RMQ_MGMT_PORT="${RELEVANCE_RMQ_MGMT_PORT:-15673}"
export RELEVANCE_RMQ_NODENAME="${RELEVANCE_RMQ_NODENAME:-relevance-drill@localhost}"
export RELEVANCE_WORKERS_DIR="${RELEVANCE_WORKERS_DIR:-$DRILL_DIR/workers}"
export PORT_BASE="${PORT_BASE:-8200}"
DB_USER="${RELEVANCE_DB_USER:-relevance}"
DB_PASS="${RELEVANCE_DB_PASSWORD:-relevance}"
MQ_USER="${RELEVANCE_MQ_USER:-relevance}"
MQ_PASS="${RELEVANCE_MQ_PASSWORD:-relevance}"
STATE="$RELEVANCE_SERVICES_DIR"
RMQ_DIR="$STATE/rabbitmq"
CLI="$REPO/src/Relevance.Cli/bin/Release/net10.0/relevance.dll"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

log() { echo "[fault-drill] $(date -u +%H:%M:%S) $*" >&2; }
die() { log "FAILED: $*"; exit 1; }
as_user() { local u=$1; shift; if [ "$(id -u)" -eq 0 ]; then runuser -u "$u" -- "$@"; else "$@"; fi; }
pg_bin() { local v; v=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1); [ -n "$v" ] && echo "/usr/lib/postgresql/$v/bin"; }
pg_running() { [ -s "$STATE/pg/PG_VERSION" ] && [ -n "$(pg_bin)" ] && as_user postgres "$(pg_bin)/pg_ctl" -D "$STATE/pg" status >/dev/null 2>&1; }
rmqctl() {
  as_user rabbitmq env HOME="$RMQ_DIR" RABBITMQ_NODENAME="$RELEVANCE_RMQ_NODENAME" ERL_EPMD_ADDRESS=127.0.0.1 \
    /usr/lib/rabbitmq/bin/rabbitmqctl "$@"
}
rmq_running() { [ -d "$RMQ_DIR" ] && [ -x /usr/lib/rabbitmq/bin/rabbitmqctl ] && rmqctl -q status >/dev/null 2>&1; }
now() { date +%s; }
hms() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }

# ------------------------------------------------------------------ cleanup
services_were_up=0
started_services=0
CLI_PID=""
cleanup() {
  local rc=$?
  set +e
  if [ -n "$CLI_PID" ] && kill -0 "$CLI_PID" 2>/dev/null; then log "stopping the CLI (pid $CLI_PID)"; kill "$CLI_PID"; wait "$CLI_PID" 2>/dev/null; fi
  bash ops/workers-down.sh
  if [ "$started_services" = 1 ] && [ "${KEEP_SERVICES:-0}" != 1 ]; then
    bash ops/services-down.sh
  elif [ "$services_were_up" = 1 ]; then
    log "services were running before the drill: left running"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ 1. build
if [ "${NO_BUILD:-0}" != 1 ]; then
  log "building the CLI and the workers (Release)"
  dotnet build src/Relevance.Cli -c Release -nologo -clp:ErrorsOnly -v:q >&2
  dotnet build src/Relevance.Workers -c Release -nologo -clp:ErrorsOnly -v:q >&2
fi
[ -f "$CLI" ] || die "no CLI at $CLI"

mkdir -p "$DRILL_DIR"
STAMP=$(date -u +%Y%m%d_%H%M%S)
EMB="$DRILL_DIR/embedded"
DIST="$DRILL_DIR/distributed-$STAMP"
mkdir -p "$DIST"
FAULTS="$DIST/faults.txt"
: >"$FAULTS"

# ------------------------------------------------------------------ 2. embedded reference
if [ -n "${EMBEDDED_SUMMARY:-}" ]; then
  [ -s "$EMBEDDED_SUMMARY" ] || die "EMBEDDED_SUMMARY=$EMBEDDED_SUMMARY is missing"
  cp "$EMBEDDED_SUMMARY" "$DIST/embedded-summary.json"
  log "embedded reference reused from $EMBEDDED_SUMMARY"
else
  rm -rf "$EMB"
  mkdir -p "$EMB"
  log "embedded reference: pipeline --max-seeds $SEEDS (in-memory bus, SQLite under $EMB/artifacts); log $EMB/cli.log"
  t=$(now)
  dotnet "$CLI" pipeline --max-seeds "$SEEDS" --timeout-minutes "$TIMEOUT_MIN" \
    --set Messaging:Transport=InMemory --set Database:Provider=Sqlite --set Database:ConnectionString= \
    --set "Artifacts:Root=$EMB/artifacts" --summary-json "$EMB/summary.json" >"$EMB/cli.log" 2>&1 \
    || { tail -n 40 "$EMB/cli.log" >&2; die "the embedded reference run failed"; }
  log "embedded reference done in $(hms $(($(now) - t)))"
  cp "$EMB/summary.json" "$DIST/embedded-summary.json"
fi

# ------------------------------------------------------------------ 3. services, workers, run
if pg_running && rmq_running; then services_were_up=1; fi
log "services: $STATE (PostgreSQL 127.0.0.1:$RELEVANCE_PG_PORT, RabbitMQ 127.0.0.1:$RELEVANCE_RMQ_PORT, node $RELEVANCE_RMQ_NODENAME)"
started_services=$((1 - services_were_up))
bash ops/services-up.sh >/dev/null
PGBIN=$(pg_bin)

DB="relevance_drill_$STAMP"
VHOST="drill_$STAMP"
psql_admin() { psql "host=127.0.0.1 port=$RELEVANCE_PG_PORT user=postgres dbname=postgres" -v ON_ERROR_STOP=1 -qAtX "$@"; }
q() { PGPASSWORD="$DB_PASS" psql "host=127.0.0.1 port=$RELEVANCE_PG_PORT user=$DB_USER dbname=$DB connect_timeout=5" -v ON_ERROR_STOP=1 -qAtX -c "$1"; }
psql_admin -c "CREATE DATABASE \"$DB\" OWNER \"$DB_USER\"" >/dev/null
rmqctl -q add_vhost "$VHOST" >/dev/null
rmqctl -q set_permissions -p "$VHOST" "$MQ_USER" ".*" ".*" ".*" >/dev/null
PG_CS="Host=127.0.0.1;Port=$RELEVANCE_PG_PORT;Username=$DB_USER;Password=$DB_PASS;Database=$DB"
MQ_URI="amqp://$MQ_USER:$MQ_PASS@127.0.0.1:$RELEVANCE_RMQ_PORT/$VHOST"
log "fresh database $DB and vhost $VHOST"

bash ops/workers-down.sh # leftovers of an interrupted drill
rm -f "$RELEVANCE_WORKERS_DIR"/*.log
log "starting 2 worker processes, each running every stage (logs $RELEVANCE_WORKERS_DIR)"
WORKERS="all all" ConnectionStrings__Postgres="$PG_CS" RabbitMq__Uri="$MQ_URI" Artifacts__Root="$DIST/artifacts" \
  bash ops/workers-up.sh
declare -A WORKER_PID
for f in "$RELEVANCE_WORKERS_DIR"/worker-*.pid; do
  n=$(basename "$f" .pid); n=${n#worker-}; n=${n%%-*}
  WORKER_PID[$n]=$(cat "$f")
done
for n in "${!WORKER_PID[@]}"; do
  url="http://127.0.0.1:$((PORT_BASE + n))/health"
  for _ in $(seq 1 360); do
    curl -sf -o /dev/null "$url" && break
    kill -0 "${WORKER_PID[$n]}" 2>/dev/null || { tail -n 30 "$RELEVANCE_WORKERS_DIR"/worker-"$n"-*.log >&2; die "worker $n exited while starting"; }
    sleep 0.5
  done
  curl -sf -o /dev/null "$url" || die "worker $n not healthy at $url after 3 minutes"
  log "worker $n (pid ${WORKER_PID[$n]}) healthy"
done

log "distributed run: pipeline --max-seeds $SEEDS --workers external; log $DIST/cli.log"
RUN_T0=$(now)
dotnet "$CLI" pipeline --max-seeds "$SEEDS" --workers external --timeout-minutes "$TIMEOUT_MIN" \
  --set Messaging:Transport=RabbitMq --set "Messaging:RabbitMqUri=$MQ_URI" \
  --set Database:Provider=Postgres --set "Database:ConnectionString=$PG_CS" \
  --set "Artifacts:Root=$DIST/artifacts" --summary-json "$DIST/summary.json" >"$DIST/cli.log" 2>&1 &
CLI_PID=$!

# ------------------------------------------------------------------ 4. faults
run_status() { q "SELECT status FROM runs LIMIT 1" 2>/dev/null || true; }
# Polls SQL until it returns t; fails when the CLI or the run ends first (a fault must hit a live run).
wait_for() {
  local what=$1 sql=$2 limit=$((TIMEOUT_MIN * 60)) t0
  t0=$(now)
  log "waiting for: $what"
  while true; do
    [ "$(q "$sql" 2>/dev/null || true)" = t ] && return 0
    kill -0 "$CLI_PID" 2>/dev/null || { tail -n 30 "$DIST/cli.log" >&2; die "the CLI exited before: $what"; }
    case "$(run_status)" in 1|2) die "the run ended before: $what (faults must hit a live run)";; esac
    [ $(($(now) - t0)) -lt "$limit" ] || die "timed out waiting for: $what"
    sleep 0.5
  done
}
snapshot() {
  local work training labels
  work=$(q "SELECT string_agg(stage || ' ' || done || '/' || total, ', ' ORDER BY min_id) FROM (SELECT stage, min(id) AS min_id, count(*) FILTER (WHERE status <> 0) AS done, count(*) AS total FROM run_work_items WHERE stage <> 'gate' GROUP BY stage) s" 2>/dev/null || echo '?')
  training=$(q "SELECT 'training ' || CASE status WHEN 0 THEN 'pending' WHEN 1 THEN 'running' WHEN 2 THEN 'completed' ELSE 'failed' END || ' ' || round(progress::numeric * 100) || '% (attempt ' || attempts || ')' FROM training_requests LIMIT 1" 2>/dev/null || true)
  labels=$(q "SELECT 'labels ' || count(*) FROM labels" 2>/dev/null || true)
  echo "${work:-no work yet}${training:+; $training}${labels:+; $labels}"
}
record_fault() { # name started_epoch recovered_epoch state
  local line
  line="$1 | $(date -u -d "@$2" +%H:%M:%S) UTC | +$(hms $(($2 - RUN_T0))) into the run | down/recovery $(($3 - $2)) s | $4"
  echo "$line" >>"$FAULTS"
  log "fault done: $line"
}

wait_for "the teacher stage under way" \
  "SELECT EXISTS (SELECT 1 FROM run_work_items WHERE stage = 'teacher')"
state=$(snapshot)
t=$(now)
log "FAULT 1: restarting RabbitMQ (state: $state)"
rmqctl -q stop "$RMQ_DIR/rabbitmq.pid" >/dev/null
log "RabbitMQ stopped; down for ${FAULT_PAUSE}s"
sleep "$FAULT_PAUSE"
bash ops/services-up.sh >/dev/null
record_fault "RabbitMQ restart" "$t" "$(now)" "$state"

wait_for "the model version training (after the RabbitMQ restart)" \
  "SELECT EXISTS (SELECT 1 FROM training_requests WHERE status = 1 AND progress > 0)"
state=$(snapshot)
t=$(now)
log "FAULT 2: restarting PostgreSQL (state: $state)"
as_user postgres "$PGBIN/pg_ctl" -D "$STATE/pg" -m fast -w stop >/dev/null
log "PostgreSQL stopped; down for ${FAULT_PAUSE}s"
sleep "$FAULT_PAUSE"
bash ops/services-up.sh >/dev/null
record_fault "PostgreSQL restart" "$t" "$(now)" "$state"

progress_after_pg=$(q "SELECT coalesce(max(progress), 0) FROM training_requests" 2>/dev/null || echo 0)
wait_for "training progress after the PostgreSQL restart (beyond $progress_after_pg), or training done" \
  "SELECT EXISTS (SELECT 1 FROM training_requests WHERE (status = 1 AND progress > $progress_after_pg) OR status = 2)"
if [ "$VICTIM" = trainer ]; then
  claim=$(q "SELECT claimed_by FROM training_requests WHERE status = 1 LIMIT 1" || true)
  # claimed_by is host:pid:pid-namespace (Data.LocalProcess.Id)
  victim_pid=$(cut -d: -f2 <<<"$claim")
  [ -n "$claim" ] || die "no worker holds the training claim any more (training finished before the kill); rerun with VICTIM=1 or 2"
else
  victim_pid=${WORKER_PID[$VICTIM]:-}
fi
victim=""
for n in "${!WORKER_PID[@]}"; do [ "${WORKER_PID[$n]}" = "$victim_pid" ] && victim=$n; done
[ -n "$victim" ] || die "the victim pid '$victim_pid' is not one of the drill's workers (${WORKER_PID[*]})"
grep -q Relevance.Workers.dll "/proc/$victim_pid/cmdline" || die "pid $victim_pid is not a worker process"
state=$(snapshot)
t=$(now)
log "FAULT 3: kill -9 worker $victim (pid $victim_pid, $( [ "$VICTIM" = trainer ] && echo 'holds the training claim' || echo 'chosen by VICTIM')) (state: $state)"
kill -9 "$victim_pid"
rm -f "$RELEVANCE_WORKERS_DIR"/worker-"$victim"-*.pid
record_fault "kill -9 worker $victim" "$t" "$(now)" "$state"

# ------------------------------------------------------------------ 5. wait and compare
log "waiting for the distributed run to finish (at most $TIMEOUT_MIN minutes)"
cli_rc=0
deadline=$((RUN_T0 + TIMEOUT_MIN * 60 + 120))
while kill -0 "$CLI_PID" 2>/dev/null; do
  [ "$(now)" -lt "$deadline" ] || die "the distributed run did not finish within $TIMEOUT_MIN minutes ($(snapshot))"
  sleep 5
done
wait "$CLI_PID" || cli_rc=$?
CLI_PID=""
RUN_SECONDS=$(($(now) - RUN_T0))
log "distributed run ended (CLI exit $cli_rc) after $(hms "$RUN_SECONDS")"
tail -n 30 "$DIST/cli.log" >&2

RUN_ID=$(q "SELECT id FROM runs")
[ "$(echo "$RUN_ID" | grep -c .)" = 1 ] || die "expected exactly one run in $DB, found: $RUN_ID"
# The counts straight from PostgreSQL (not from the CLI), with the same names as --summary-json.
q "SELECT json_build_object(
  'status', (SELECT CASE status WHEN 0 THEN 'Running' WHEN 1 THEN 'Completed' ELSE 'Failed' END FROM runs WHERE id = r.id),
  'documents', (SELECT count(*) FROM documents WHERE run_id = r.id),
  'passages', (SELECT count(*) FROM passages WHERE run_id = r.id),
  'queries', (SELECT count(*) FROM queries WHERE run_id = r.id),
  'pairs', (SELECT count(*) FROM pairs WHERE run_id = r.id),
  'pairsTrain', (SELECT count(*) FROM pairs WHERE run_id = r.id AND split = 'train'),
  'pairsHeldOut', (SELECT count(*) FROM pairs WHERE run_id = r.id AND split = 'heldout'),
  'judgments', (SELECT count(*) FROM teacher_judgments WHERE run_id = r.id),
  'labels', (SELECT count(*) FROM labels WHERE job_id IN (SELECT id FROM label_jobs WHERE run_id = r.id)),
  'modelVersions', (SELECT count(*) FROM model_versions WHERE training_request_id IN (SELECT id FROM training_requests WHERE run_id = r.id)),
  'labelJobs', (SELECT count(*) FROM label_jobs WHERE run_id = r.id),
  'evaluations', (SELECT count(*) FROM evaluations WHERE run_id = r.id),
  'failures', (SELECT count(*) FROM failures WHERE run_id = r.id),
  'workPending', (SELECT count(*) FROM run_work_items WHERE run_id = r.id AND stage <> 'gate' AND status = 0),
  'workFailed', (SELECT count(*) FROM run_work_items WHERE run_id = r.id AND stage <> 'gate' AND status = 2))
  FROM runs r" >"$DIST/postgres-counts.json"

bad=0
printf '\n[fault-drill] %-16s %10s %12s %12s\n' "count" "embedded" "distributed" "" >&2
printf '[fault-drill] %-16s %10s %12s %12s\n' "" "(CLI JSON)" "(PostgreSQL)" "" >&2
for k in status documents passages queries pairs pairsTrain pairsHeldOut judgments labels modelVersions labelJobs evaluations failures workPending workFailed; do
  e=$(jq -r ".$k" "$DIST/embedded-summary.json")
  d=$(jq -r ".$k" "$DIST/postgres-counts.json")
  c=$(jq -r ".$k // \"missing\"" "$DIST/summary.json" 2>/dev/null || echo missing)
  verdict=ok
  if [ "$e" != "$d" ]; then verdict="MISMATCH"; bad=1; fi
  if [ "$c" != "$d" ]; then verdict="$verdict (CLI said $c)"; bad=1; fi
  printf '[fault-drill] %-16s %10s %12s   %s\n' "$k" "$e" "$d" "$verdict" >&2
done
[ "$(jq -r .status "$DIST/embedded-summary.json")" = Completed ] || { log "the embedded reference did not complete"; bad=1; }
[ "$cli_rc" = 0 ] || { log "the distributed CLI exited $cli_rc"; bad=1; }

# Duplicates and losses, by natural key, in PostgreSQL.
printf '\n[fault-drill] %-52s %8s %8s\n' "check" "rows" "expected" >&2
check() { # label sql_rows sql_expected
  local a b v=ok
  a=$(q "$2"); b=$(q "$3")
  if [ "$a" != "$b" ]; then v=FAIL; bad=1; fi
  printf '[fault-drill] %-52s %8s %8s   %s\n' "$1" "$a" "$b" "$v" >&2
}
R="'$RUN_ID'"
check "documents, distinct (run, external id)" "SELECT count(*) FROM documents WHERE run_id = $R" "SELECT count(DISTINCT external_id) FROM documents WHERE run_id = $R"
check "passages, distinct (run, content hash)" "SELECT count(*) FROM passages WHERE run_id = $R" "SELECT count(DISTINCT content_hash) FROM passages WHERE run_id = $R"
check "queries, distinct (run, text hash)" "SELECT count(*) FROM queries WHERE run_id = $R" "SELECT count(DISTINCT text_hash) FROM queries WHERE run_id = $R"
check "pairs, distinct (query, passage)" "SELECT count(*) FROM pairs WHERE run_id = $R" "SELECT count(DISTINCT (query_id, passage_id)) FROM pairs WHERE run_id = $R"
check "judgments, distinct pair (one grade a pair)" "SELECT count(*) FROM teacher_judgments WHERE run_id = $R" "SELECT count(DISTINCT pair_id) FROM teacher_judgments WHERE run_id = $R"
check "pairs without a grade" "SELECT count(*) FROM pairs p WHERE run_id = $R AND NOT EXISTS (SELECT 1 FROM teacher_judgments j WHERE j.pair_id = p.id)" "SELECT 0"
check "labels, distinct (job, qid, pid)" "SELECT count(*) FROM labels l JOIN label_jobs j ON j.id = l.job_id WHERE j.run_id = $R" "SELECT count(DISTINCT (l.job_id, l.qid, l.pid)) FROM labels l JOIN label_jobs j ON j.id = l.job_id WHERE j.run_id = $R"
check "held-out pairs without a label" "SELECT count(*) FROM pairs p WHERE run_id = $R AND split = 'heldout' AND NOT EXISTS (SELECT 1 FROM labels l JOIN label_jobs j ON j.id = l.job_id WHERE j.run_id = $R AND l.qid = p.query_id::text AND l.pid = p.passage_id::text)" "SELECT 0"
check "label job completed count = labels" "SELECT coalesce(sum(completed), -1) FROM label_jobs WHERE run_id = $R" "SELECT count(*) FROM labels l JOIN label_jobs j ON j.id = l.job_id WHERE j.run_id = $R"
check "training requests of the run" "SELECT count(*) FROM training_requests WHERE run_id = $R" "SELECT 1"
check "evaluations, distinct (kind, labeler, reference)" "SELECT count(*) FROM evaluations WHERE run_id = $R" "SELECT count(DISTINCT (labeler_kind, labeler, reference)) FROM evaluations WHERE run_id = $R"
check "work items, distinct (stage, key)" "SELECT count(*) FROM run_work_items WHERE run_id = $R" "SELECT count(DISTINCT (stage, key)) FROM run_work_items WHERE run_id = $R"
check "failure rows (any run)" "SELECT count(*) FROM failures" "SELECT 0"

# Queues: give the last acknowledgements a moment, then nothing may wait in an error or skipped queue.
sleep 5
rmqctl -q list_queues -p "$VHOST" --no-table-headers name messages >"$DIST/queues.txt" || die "could not list the queues of $VHOST"
dead=$(awk '$1 ~ /_(error|skipped)$/ && $2 > 0' "$DIST/queues.txt")
waiting=$(awk '$1 !~ /_(error|skipped)$/ && $2 > 0' "$DIST/queues.txt")
printf '\n[fault-drill] queues in %s: %s, %s error/skipped queues\n' "$VHOST" "$(wc -l <"$DIST/queues.txt")" "$(awk '$1 ~ /_(error|skipped)$/' "$DIST/queues.txt" | wc -l)" >&2
if [ -n "$dead" ]; then log "messages in error/skipped queues:"; echo "$dead" >&2; bad=1; fi
if [ -n "$waiting" ]; then log "messages still waiting after the run (not counted as a failure):"; echo "$waiting" >&2; fi
if [ "$(q "SELECT count(*) FROM failures")" != 0 ]; then
  log "failure rows:"; q "SELECT stage || ': ' || left(reason, 200) FROM failures ORDER BY id" >&2
fi

training=$(q "SELECT 'attempts ' || attempts || ', finished by ' || coalesce(claimed_by, '?') FROM training_requests WHERE run_id = $R")
log "training request of the run: $training (the killed worker was pid $victim_pid)"

printf '\n[fault-drill] faults (the run started %s UTC):\n' "$(date -u -d "@$RUN_T0" +%H:%M:%S)" >&2
sed 's/^/[fault-drill]   /' "$FAULTS" >&2
log "distributed run: $(hms "$RUN_SECONDS") wall (CLI elapsed $(jq -r '.elapsedSeconds // "?"' "$DIST/summary.json" 2>/dev/null) s); database $DB, vhost $VHOST, files $DIST"
if [ "$bad" != 0 ]; then die "the run did not come through the faults intact (see above)"; fi
log "PASSED: same counts as the embedded run, nothing duplicated, nothing lost, no dead letters"
