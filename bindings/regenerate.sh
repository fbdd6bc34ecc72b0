#!/usr/bin/env bash
# Regenerates the committed FFM bindings in src/main/java/io/github/ggml4j/internal/ggml from the pinned
# ggml headers and native/include/ggml4j.h. The output is never edited by hand: change symbols.txt (the
# allowlist, a jextract argument file) or the headers, then run this again and commit the result.
#
#   JEXTRACT=/path/to/jextract bindings/regenerate.sh
#
# jextract is not in any package registry: build it yourself from openjdk/jextract (it needs libclang at
# run time). The pinned headers come from the ggml4j cache that ./build.sh (or the CMake build) fills.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
: "${JEXTRACT:?set JEXTRACT to the jextract launcher}"
cache=${GGML4J_CACHE_DIR:-$HOME/.cache/ggml4j}
src=$(ls -d "$cache"/src/llama.cpp-de3ff815ea7d 2>/dev/null) || {
  echo "regenerate.sh: the pinned llama.cpp tree is not in $cache/src; run ./build.sh once first" >&2; exit 1; }

out="$here/src/main/java"
pkg=io.github.ggml4j.internal.ggml
rm -rf "$out/io/github/ggml4j/internal/ggml"
"$JEXTRACT" \
  --target-package "$pkg" \
  --header-class-name GgmlLib \
  --output "$out" \
  -I "$src/ggml/include" \
  -I "$root/native/include" \
  @"$here/symbols.txt" \
  "$here/ggml4j-all.h"
echo "regenerated $(find "$out/io/github/ggml4j/internal/ggml" -name '*.java' | wc -l) files in $out"
