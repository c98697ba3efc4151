#!/usr/bin/env bash
# Reads the TRX files of a test run and prints each failed test with its first message line, then one
# closing line "N passed, N failed, N skipped". Exits 1 when a test failed or no test ran.
#   bash ops/test-summary.sh TestResults/ci
set -euo pipefail
dir="${1:?usage: test-summary.sh RESULTS_DIR}"
shopt -s nullglob
files=("$dir"/*.trx)
if [ "${#files[@]}" -eq 0 ]; then echo "[test-summary] no TRX files under $dir" >&2; echo "0 passed, 0 failed"; exit 1; fi

passed=0 failed=0 skipped=0
for f in "${files[@]}"; do
  # One UnitTestResult element per test case; its outcome attribute says what happened.
  p=$({ grep -o '<UnitTestResult [^>]*outcome="Passed"' "$f" || true; } | wc -l)
  x=$({ grep -o '<UnitTestResult [^>]*outcome="Failed"' "$f" || true; } | wc -l)
  k=$({ grep -o '<UnitTestResult [^>]*outcome="NotExecuted"' "$f" || true; } | wc -l)
  passed=$((passed + p)) failed=$((failed + x)) skipped=$((skipped + k))
  if [ "$x" -gt 0 ]; then
    echo "FAILED in $(basename "$f"):"
    grep -o '<UnitTestResult [^>]*outcome="Failed"' "$f" | sed -E 's/.*testName="([^"]*)".*/  - \1/' | sed 's/&quot;/"/g; s/&amp;/\&/g; s/&lt;/</g; s/&gt;/>/g'
  fi
done
echo "Tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
