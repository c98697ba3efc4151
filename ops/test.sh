#!/usr/bin/env bash
# The whole test suite against real services: installs (if missing) and starts RabbitMQ and
# PostgreSQL on 127.0.0.1, installs headless Chromium for the report test and python3-pika for the
# Python submission test, builds, runs every test.
# Integration tests fail (not skip) here when a service is missing: RELEVANCE_REQUIRE_SERVICES=1.
#   bash ops/test.sh [extra dotnet test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(bash ops/services-up.sh)"

if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi dejavu; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "[test] installing chromium and fonts (report rendering tests)" >&2
  $SUDO apt-get update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core fontconfig >&2
fi

# The search-evaluation spec submits a run from Python with Debian's python3-pika (no pip, no network).
if ! /usr/bin/python3 -c "import pika" >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "[test] installing python3-pika (the Python submission example)" >&2
  $SUDO apt-get update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3 python3-pika >&2
fi

export RELEVANCE_REQUIRE_SERVICES=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build Workers.sln -c Release -warnaserror -nologo -clp:ErrorsOnly

# One test project at a time (-m:1): the suites start real hosts, workers and training runs, and two of
# them at once on 2 cores turned timing margins into flakes. Each project writes a TRX file; the
# summary below names every failed test last, where a truncated CI log still shows it.
results="$(pwd)/TestResults/ci"
rm -rf "$results"
status=0
dotnet test Workers.sln -c Release --no-build --nologo -m:1 \
  --logger "console;verbosity=minimal" --logger "trx" --results-directory "$results" \
  --blame-hang-timeout 10m "$@" || status=$?
bash ops/test-summary.sh "$results" || status=$((status == 0 ? 1 : status))
exit "$status"
