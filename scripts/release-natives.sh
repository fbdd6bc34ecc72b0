#!/usr/bin/env bash
# Builds the release natives jar: ggml's portable CPU build (every x86_64 CPU variant, picked at run time by
# the kernel probe, so no SIGILL on older CPUs), optionally with the CUDA backend, packed as
# io.github.ggml4j:ggml4j-natives:VERSION:natives-linux-x86_64[-cuda], then checks it: size under 30 MB, and the
# portable tests (forced baseline variant gives the same greedy tokens). Needs the normal build first
# (./build.sh) for the test classes and the reference natives.
#
#   scripts/release-natives.sh            natives-linux-x86_64       (about 25 min on 2 cores, once)
#   scripts/release-natives.sh cuda       natives-linux-x86_64-cuda  (needs nvcc; CUDA_ARCHS picks the GPUs,
#                                         default "61;70;75;80;86;89;90"; tests run on the CPU fallback)
#   INSTALL=1 scripts/release-natives.sh  also installs the jar into the local Maven repository
#
# The ggml build goes to ~/.cache/ggml4j/build/<commit>-portable[-cuda], the staged libraries to
# build/native-portable[-cuda]/lib, the jar to build/release/.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$GGML4J_ROOT"
ggml4j_find_jdk
flavour=${1:-cpu}
args=(-DCMAKE_BUILD_TYPE=Release -DGGML4J_CPU_MODE=portable)
dir=build/native-portable
profile=()
case "$flavour" in
  cpu) ;;
  cuda)
    command -v nvcc >/dev/null || ggml4j_die "the CUDA flavour needs nvcc on the PATH"
    args+=(-DGGML4J_CUDA=ON "-DCMAKE_CUDA_ARCHITECTURES=${CUDA_ARCHS:-61;70;75;80;86;89;90}")
    dir=build/native-portable-cuda
    profile=(-Pcuda) ;;
  *) ggml4j_die "usage: scripts/release-natives.sh [cpu|cuda]" ;;
esac
start=$(date +%s)
cmake -S . -B "$dir" "${args[@]}" >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log" >&2; ggml4j_die "configure failed"; }
cmake --build "$dir"
echo "ggml4j: native build took $(( $(date +%s) - start )) s" >&2
mvn -B ${MAVEN_ARGS:-} -q "${profile[@]}" -pl natives -Dggml4j.native.dir="$GGML4J_ROOT/$dir" package
jar=$(ls natives/target/ggml4j-natives-*-natives-linux-x86_64${profile:+-cuda}.jar)
size=$(stat -c %s "$jar")
echo "ggml4j: $jar: $(( size / 1024 / 1024 )) MiB ($size bytes)" >&2
[ "$size" -lt $(( 30 * 1000 * 1000 )) ] || ggml4j_die "$jar is over 30 MB"
# kept apart: the test run below repackages natives/ from build/native
mkdir -p build/release
cp "$jar" build/release/
echo "ggml4j: release jar build/release/$(basename "$jar")" >&2
mvn -B ${MAVEN_ARGS:-} -pl tests -am verify -Dtest=PortableVariantTest \
  -Dggml4j.test.excludedGroups= -Dgroups=portable -Dsurefire.failIfNoSpecifiedTests=false \
  -Dggml4j.portable.lib="$GGML4J_ROOT/$dir/lib"
if [ "${INSTALL:-0}" = 1 ]; then
  mvn -B ${MAVEN_ARGS:-} -q "${profile[@]}" -pl natives -Dggml4j.native.dir="$GGML4J_ROOT/$dir" install
fi
