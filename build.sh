#!/usr/bin/env bash
# ggml4j build driver. Finds a JDK 22+, builds the native runtime (pinned ggml, cached under ~/.cache/ggml4j)
# and the Java modules.
#
#   ./build.sh            build everything (no tests)
#   ./build.sh test       build everything, run all tests, install into the local Maven repository and build
#                         and run examples/embed from it (what CI runs)
#   ./build.sh demo       build everything and generate text with the committed demo model
#                         (models/ggml4j-demo-q8_0.gguf, trained by ./ggml4j train)
#   ./build.sh native     only the native libraries
#
# Environment: GGML4J_CMAKE_ARGS (e.g. "-DGGML4J_CUDA=ON" or "-DGGML4J_CPU_MODE=portable"),
# GGML4J_CACHE_DIR (default ~/.cache/ggml4j), MAVEN_ARGS (extra Maven arguments).
set -euo pipefail
source "$(dirname "$0")/scripts/common.sh"
cd "$GGML4J_ROOT"

need() {
  command -v "$1" >/dev/null 2>&1 || ggml4j_die "'$1' is needed to build ggml4j ($2)"
}

build_native() {
  need cmake "Debian: apt-get install cmake"
  need cc "Debian: apt-get install build-essential"
  need c++ "Debian: apt-get install build-essential"
  need git "Debian: apt-get install git"
  local cache=${GGML4J_CACHE_DIR:-$HOME/.cache/ggml4j}
  if [ ! -f "$cache/src/llama.cpp-de3ff815ea7d/.ggml4j-verified" ]; then
    need npm "it fetches the pinned ggml source once; Debian: apt-get install npm"
  fi
  # shellcheck disable=SC2086
  cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release ${GGML4J_CMAKE_ARGS:-} >build/cmake-configure.log 2>&1 \
    || { mkdir -p build; cat build/cmake-configure.log >&2; ggml4j_die "CMake configure failed (log above)"; }
  cmake --build build/native
}

# a native build with CUDA packs its natives jar as natives-linux-x86_64-cuda (natives/pom.xml)
cuda_profile=""
case " ${GGML4J_CMAKE_ARGS:-} " in
  *GGML4J_CUDA=ON*) cuda_profile="-Pcuda" ;;
esac

maven() {
  need mvn "Debian: apt-get install maven"
  # shellcheck disable=SC2086
  mvn -B ${MAVEN_ARGS:-} $cuda_profile "$@"
}

demo_model() {
  demo=build/demo/demo-llama-q8_0.gguf
  "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Dggml4j.root="$GGML4J_ROOT" \
    -cp "tests/target/classes:tests/target/lib/*" io.github.ggml4j.testing.DemoModel "$demo"
}

mkdir -p build
ggml4j_find_jdk
echo "ggml4j: using JDK $(ggml4j_jdk_major "$JAVA_HOME") at $JAVA_HOME" >&2

case "${1:-build}" in
  native)
    build_native ;;
  build)
    build_native
    maven -DskipTests package
    scripts/aot-cache.sh ;;
  test)
    build_native
    maven install
    # a user's project that sees ggml4j only through Maven coordinates (examples/embed/README.md)
    demo_model
    EMBED_NATIVES="natives-linux-x86_64${cuda_profile:+-cuda}" examples/embed/run.sh "$demo" ;;
  demo)
    # build logs go to stderr: stdout carries only the generated text
    build_native >&2
    maven -DskipTests package >&2
    scripts/aot-cache.sh >&2
    echo "ggml4j: generating 48 tokens with the demo model (models/ggml4j-demo-q8_0.gguf, see models/README.md):" >&2
    "$GGML4J_ROOT/ggml4j" generate -p "Once upon a time" -n 48 --temp 0 ;;
  *)
    ggml4j_die "usage: ./build.sh [build|test|demo|native]" ;;
esac
