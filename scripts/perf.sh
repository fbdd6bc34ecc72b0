#!/usr/bin/env bash
# The performance regression suite (build first: ./build.sh). Never fails on timing noise; `check` does.
#
#   scripts/perf.sh [short|full] [--threads N (default 1)] [--out DIR] [-Dggml4j.bench.model=FILE] [PerfRun options]
#       JMH suite + ggml4j vs llama-bench on the same file; writes DIR (default tests/target/perf/RUN) with
#       jmh.json, perf.json, report.md, chart.svg; prints the table against tests/perf/baseline.json.
#       short (smoke, ~1 min on 2 cores): 1 fork, 1 warm-up + 3 iterations of 0.4 s; full (~3.5 min): 2 + 5 of 1 s.
#   scripts/perf.sh check CURRENT [BASELINE]   regression verdict: exit 1 when a benchmark is > 10 % slower and
#       outside the baseline's confidence interval (CURRENT/BASELINE: perf.json, JMH json, or a run folder).
#   scripts/perf.sh baseline RUN               makes RUN's perf.json the committed baseline (tests/perf/baseline.json).
set -euo pipefail
source "$(dirname "$0")/common.sh"
ggml4j_find_jdk
cd "$GGML4J_ROOT"
[ -d tests/target/classes/META-INF ] || ggml4j_die "build first: ./build.sh"
baseline=tests/perf/baseline.json
java_run() {
  "$JAVA_HOME/bin/java" "${jvm[@]}" --enable-native-access=ALL-UNNAMED -Dggml4j.root="$GGML4J_ROOT" \
    -Dggml4j.synthetic.dir="$GGML4J_ROOT/tests/target/synthetic-models" \
    -cp "tests/target/classes:tests/target/lib/*" "$@"
}
results() { if [ -d "$1" ]; then echo "$1/perf.json"; else echo "$1"; fi; }
jvm=()
case "${1:-short}" in
  check)
    [ $# -ge 2 ] || ggml4j_die "usage: scripts/perf.sh check CURRENT [BASELINE]"
    cur=$(results "$2")
    base=$(results "${3:-$baseline}")
    java_run io.github.ggml4j.perf.PerfCheck "$cur" "$base" --svg "$(dirname "$cur")/check.svg" ;;
  baseline)
    [ $# -eq 2 ] || ggml4j_die "usage: scripts/perf.sh baseline RUN"
    cp "$(results "$2")" "$baseline"
    echo "ggml4j: $baseline <- $(results "$2"); commit it with a note of why the baseline moved" ;;
  short|full)
    mode=$1
    shift
    args=()
    out=""
    while [ $# -gt 0 ]; do
      case "$1" in
        -D*) jvm+=("$1") ;;
        --out) out=$2; args+=("$1" "$2"); shift ;;
        *) args+=("$1") ;;
      esac
      shift
    done
    if [ -z "$out" ]; then
      out="tests/target/perf/$(date -u +%Y%m%d-%H%M%S)-$mode"
      args+=(--out "$out")
    fi
    [ -f "$baseline" ] && args+=(--baseline "$baseline")
    java_run io.github.ggml4j.perf.PerfRun --mode "$mode" "${args[@]}" ;;
  *)
    ggml4j_die "usage: scripts/perf.sh [short|full|check CURRENT [BASELINE]|baseline RUN] (see the script's header)" ;;
esac
