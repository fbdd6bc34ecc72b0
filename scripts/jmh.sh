#!/usr/bin/env bash
# Runs the JMH benchmarks of the tests module (build first: ./build.sh). Extra arguments go to JMH, e.g.
#   scripts/jmh.sh DecodeBenchmark -p type=Q4_0 -Dggml4j.bench.model=/path/model.gguf
set -euo pipefail
source "$(dirname "$0")/common.sh"
ggml4j_find_jdk
cd "$GGML4J_ROOT"
[ -d tests/target/classes/META-INF ] || ggml4j_die "build first: ./build.sh"
jvm=()
args=()
for a in "$@"; do
  case "$a" in
    -D*) jvm+=("$a") ;;
    *) args+=("$a") ;;
  esac
done
exec "$JAVA_HOME/bin/java" "${jvm[@]}" --enable-native-access=ALL-UNNAMED -Dggml4j.root="$GGML4J_ROOT" \
  -cp "tests/target/classes:tests/target/lib/*" org.openjdk.jmh.Main "${args[@]}"
