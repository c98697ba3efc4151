#!/usr/bin/env bash
# Stops the worker processes started by ops/workers-up.sh (graceful, then forced). Safe to run twice.
set -uo pipefail
DIR="${RELEVANCE_WORKERS_DIR:-/tmp/relevance-workers}"
for f in "$DIR"/*.pid; do
  [ -e "$f" ] || continue
  pid=$(cat "$f")
  kill "$pid" 2>/dev/null && echo "[workers-down] stopping $(basename "$f" .pid)" >&2
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -9 "$pid" 2>/dev/null
  rm -f "$f"
done
exit 0
