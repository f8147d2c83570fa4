#!/usr/bin/env bash
# The main job on the embedded default, from a fresh Debian 12 machine:
# installs the packages and builds (setup.sh), generates a demo data set,
# starts a local broker and 2 workers (`claimq up`), submits the demo claims,
# waits for every decision and prints the summary.
# Usage: deploy/quickstart.sh [--claims N] [--workers N] [--dir DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
claims=5000
workers=2
dir=demo
while [ $# -gt 0 ]; do
    case "$1" in
    --claims) claims=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "quickstart: unknown option $1" >&2; exit 2 ;;
    esac
done

deploy/setup.sh
export OMP_THREAD_LIMIT=1
bin=build
mkdir -p "$dir"
"$bin/claimq" gen --out "$dir/data" --claims "$claims" --members $((claims / 10 + 10))

# claimq up prints one READY line with the kernel-picked ports on stdout.
fifo=$(mktemp -u)
mkfifo "$fifo"
"$bin/claimq" up --workers "$workers" --plan "$dir/data/plan.json" \
    --members "$dir/data/members.jsonl" --dir "$dir/run" >"$fifo" &
up_pid=$!
trap 'kill -TERM $up_pid 2>/dev/null; wait $up_pid 2>/dev/null; rm -f "$fifo"' EXIT
read -r -t 60 ready <"$fifo" || { echo "quickstart: claimq up did not start" >&2; exit 1; }
frontend=$(printf '%s\n' "$ready" | sed -n 's/.*frontend=\([^ ]*\).*/\1/p')
echo "quickstart: $ready" >&2

"$bin/claimq" submit --broker "$frontend" --wait --output "$dir/decisions.jsonl" \
    "$dir/data/claims.jsonl"
echo "quickstart: decisions in $dir/decisions.jsonl" >&2
