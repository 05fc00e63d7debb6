#!/usr/bin/env bash
# Runs every benchmark once and writes docs/benchmarks-latest.md: the machine, the commit and
# one table row per benchmark, so that the figures in the docs are regenerated, not typed.
# Usage: scripts/bench.sh [go test -bench pattern]   (make bench)
set -euo pipefail
cd "$(dirname "$0")/.."
pattern=${1:-.}
out=docs/benchmarks-latest.md
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
GO=${GO:-go}
echo "running benchmarks (pattern '$pattern'); this takes a few minutes" >&2
$GO test -run '^$' -bench "$pattern" -benchmem -count 1 ./... 2>&1 | tee "$raw" >&2
{
  echo "# Benchmarks — latest run"
  echo
  echo "Written by \`scripts/bench.sh\` (\`make bench\`); do not edit by hand. The prose in"
  echo "[benchmarks.md](benchmarks.md) explains what each benchmark measures and the targets."
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| date | $(date -u '+%Y-%m-%d %H:%M UTC') |"
  echo "| commit | $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)') |"
  echo "| go | $($GO version | cut -d' ' -f3-) |"
  echo "| cpu | $(nproc) × $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//') |"
  echo "| load average at the end | $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null) |"
  echo
  echo "| package | benchmark | runs | time/op | B/op | allocs/op | reported |"
  echo "|---|---|---:|---:|---:|---:|---|"
  awk '
    /^pkg: / { pkg = $2; sub("github.com/yibao-dev/yibao/?", "", pkg); if (pkg == "") pkg = "yibao" }
    /^Benchmark/ {
      name = $1; sub(/-[0-9]+$/, "", name); runs = $2
      t = ""; b = ""; a = ""; extra = ""
      for (i = 3; i < NF; i += 2) {
        v = $i; u = $(i+1)
        if (u == "ns/op") {
          if (v >= 1e9) t = sprintf("%.2f s", v/1e9); else if (v >= 1e6) t = sprintf("%.2f ms", v/1e6); else if (v >= 1e3) t = sprintf("%.2f µs", v/1e3); else t = v " ns"
        } else if (u == "B/op") b = v
        else if (u == "allocs/op") a = v
        else extra = extra (extra == "" ? "" : ", ") v " " u
      }
      printf "| %s | %s | %s | %s | %s | %s | %s |\n", pkg, name, runs, t, b, a, extra
    }' "$raw"
} > "$out"
echo "wrote $out" >&2
