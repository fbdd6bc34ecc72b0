#!/usr/bin/env bash
# Builds this example against the ggml4j artifacts in the local Maven repository (run `mvn install` in the
# ggml4j checkout first) and runs it on MODEL.gguf from the class path, the module path and a jlink image. It runs
# from a scratch directory with no ggml4j checkout above it, so the natives can only come from the natives jar.
# Fails unless all three print the same generated text and load the natives from the jar.
#
#   examples/embed/run.sh MODEL.gguf [PROMPT] [N]       (MAVEN_ARGS=-o for an offline build,
#                                                        EMBED_NATIVES=natives-linux-x86_64-cuda for the CUDA jar)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
model=$(realpath "${1:?usage: run.sh MODEL.gguf [PROMPT] [N]}")
prompt=${2:-Once upon a time}
n=${3:-16}
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
# shellcheck disable=SC2086
mvn -B -q ${MAVEN_ARGS:-} -f "$here/pom.xml" -Dggml4j.natives.classifier="${EMBED_NATIVES:-natives-linux-x86_64}" clean package
jar="$here/target/embed-1.0.jar"
lib="$here/target/lib"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
unset GGML4J_ROOT
export GGML4J_CACHE_DIR="$scratch/cache"   # a fresh extraction, as on a user's machine

echo "embed: class path" >&2
"$java" --enable-native-access=ALL-UNNAMED -cp "$jar:$lib/*" example.embed.Embed "$model" "$prompt" "$n" \
  >cp.out 2>cp.err || { cat cp.err >&2; exit 1; }
echo "embed: module path" >&2
"$java" --enable-native-access=io.github.ggml4j,io.github.ggml4j.bindings --module-path "$jar:$lib" \
  --add-modules io.github.ggml4j.natives -m example.embed/example.embed.Embed "$model" "$prompt" "$n" \
  >mp.out 2>mp.err || { cat mp.err >&2; exit 1; }

echo "embed: jlink image" >&2
"${JAVA_HOME:+$JAVA_HOME/bin/}jlink" --module-path "$jar:$lib" --add-modules example.embed,io.github.ggml4j.natives \
  --output image
image/bin/java --enable-native-access=io.github.ggml4j,io.github.ggml4j.bindings --add-modules io.github.ggml4j.natives \
  -m example.embed/example.embed.Embed "$model" "$prompt" "$n" >im.out 2>im.err || { cat im.err >&2; exit 1; }

cat cp.out
for run in cp mp; do
  grep -q "natives jar $lib/ggml4j-natives-" $run.err \
    || { cat $run.err >&2; echo "embed: the $run run did not load the natives from the natives jar" >&2; exit 1; }
done
grep -q "natives jar jrt:/io.github.ggml4j.natives/" im.err \
  || { cat im.err >&2; echo "embed: the jlink image did not load the natives from its natives module" >&2; exit 1; }
for run in mp im; do
  [ "$(cat cp.out)" = "$(cat $run.out)" ] \
    || { echo "embed: the class path and $run runs differ:" >&2; diff cp.out $run.out >&2; exit 1; }
done
[ "$(cat cp.out)" != "$prompt" ] || { echo "embed: nothing was generated" >&2; exit 1; }
echo "embed: OK (class path, module path and jlink image print the same text)" >&2
