#!/usr/bin/env bash
# Writes the launcher jar (the CLI's class path merged into one jar, scripts/LauncherJar.java) and its AOT cache
# (JDK 25+, JEP 483/514): classes loaded and linked, and method profiles, from one training run of `ggml4j generate`
# on the demo model, so that later runs start with them. ./build.sh runs it after packaging; ./ggml4j uses
# cli/target/ggml4j-launcher.jar with ggml4j-launcher.aot when both are newer than the CLI jar and the cache was
# made by the same JDK. Older JDKs: nothing to do (./ggml4j runs the CLI jar).
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$GGML4J_ROOT"
ggml4j_find_jdk
if [ "$(ggml4j_jdk_major "$JAVA_HOME")" -lt 25 ]; then
  echo "ggml4j: JDK $(ggml4j_jdk_major "$JAVA_HOME") has no -XX:AOTCacheOutput; no AOT cache" >&2
  exit 0
fi
cli=cli/target/ggml4j-cli.jar
jar=cli/target/ggml4j-launcher.jar
aot=cli/target/ggml4j-launcher.aot
demo=build/demo/demo-llama-q8_0.gguf
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Dggml4j.root="$GGML4J_ROOT" \
  -cp "tests/target/classes:tests/target/lib/*" io.github.ggml4j.testing.DemoModel "$demo" 2>/dev/null
rm -f "$aot" "$aot.jdk" cli/target/ggml4j-cli.aot cli/target/ggml4j-cli.aot.jdk
# pre-Java-6 classes (picocli's) never enter an AOT cache: rewrite the launcher's copies as Java 8 class files
"$JAVA_HOME/bin/java" scripts/UpgradeOldClassfiles.java cli/target/lib/*.jar
"$JAVA_HOME/bin/java" scripts/LauncherJar.java "$cli" "$jar"
# the same command line as ./ggml4j gives commands (the cache holds only for the same class path; it starts
# fastest under the same JVM options)
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED "${GGML4J_COMMAND_JIT_OPTS[@]}" "${GGML4J_COMMAND_GC_OPTS[@]}" \
  -XX:AOTCacheOutput="$aot" -Dggml4j.root="$GGML4J_ROOT" -jar "$jar" generate -m "$demo" -p "Once upon a time" -n 8 -t 1 >/dev/null 2>build/aot-training.log \
  || { cat build/aot-training.log >&2; ggml4j_die "the AOT training run failed (log above)"; }
echo "$JAVA_HOME" >"$aot.jdk"
echo "ggml4j: wrote $aot ($(du -h "$aot" | cut -f1)) for $JAVA_HOME" >&2
