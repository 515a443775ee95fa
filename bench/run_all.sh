#!/usr/bin/env bash
# Run every benchmark once, one after the other (the machine has 2 cores: never in parallel).
# Output: the scripts' reports on stdout, figures in bench/results/<name>.json (git-ignored).
# Usage: bash bench/run_all.sh            (about 7 minutes on a 2-core machine)
#        PYTHON=/path/to/python bash bench/run_all.sh
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
RESULTS="${RESULTS:-bench/results}"
mkdir -p "$RESULTS"
failed=()
for name in ingestion changelog restart latency enrichment; do
    echo "=== bench/$name.py ($(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg))"
    if ! timeout 600 "$PYTHON" "bench/$name.py" --json "$RESULTS/$name.json"; then
        failed+=("$name")
    fi
    echo
done
if ((${#failed[@]})); then
    echo "failed: ${failed[*]}"
    exit 1
fi
echo "figures: $RESULTS/{ingestion,changelog,restart,latency,enrichment}.json"
