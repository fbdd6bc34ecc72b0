# Shared by ./build.sh and ./ggml4j: finds a JDK 22+ and the repository root. Source it; do not run it.
# Shell builtins on the path ./ggml4j takes (no sed or dirname, one subshell): each process forked costs a
# command's start-up a millisecond or two.

ggml4j_here=${BASH_SOURCE[0]%/*}
[ "$ggml4j_here" = "${BASH_SOURCE[0]}" ] && ggml4j_here=.
GGML4J_ROOT=$(CDPATH='' cd -- "$ggml4j_here/.." && pwd)
unset ggml4j_here
export GGML4J_ROOT

# The JVM options ./ggml4j gives every command but the server (./ggml4j says why). scripts/aot-cache.sh trains its
# AOT cache under the same ones: a cache made under another collector and compiler set-up started 5-9 ms slower.
GGML4J_COMMAND_JIT_OPTS=(-XX:TieredStopAtLevel=1 -XX:C1MaxInlineSize=20)
GGML4J_COMMAND_GC_OPTS=(-XX:+UseSerialGC)

ggml4j_die() {
  echo "ggml4j: $*" >&2
  exit 1
}

# Prints the feature version (22, 25, ...) of the JDK at $1, or nothing.
ggml4j_jdk_major() {
  ggml4j_read_jdk_major "$1"
  echo "$GGML4J_JDK_MAJOR"
}

# Sets GGML4J_JDK_MAJOR to the feature version of the JDK at $1, or to nothing (without a subshell).
ggml4j_read_jdk_major() {
  local home=$1 v="" line
  [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || return 0
  if [ -f "$home/release" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      case $line in
        JAVA_VERSION=\"[0-9]*)
          v=${line#JAVA_VERSION=\"}
          v=${v%%[!0-9]*}
          break ;;
      esac
    done <"$home/release"
  fi
  if [ -z "$v" ]; then
    v=$("$home/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\).*/\1/p' | head -n 1)
  fi
  GGML4J_JDK_MAJOR=$v
}

# Sets JAVA_HOME to a JDK 22+: JAVA_HOME if it qualifies, else the newest under /usr/lib/jvm, else fails.
ggml4j_find_jdk() {
  local major
  if [ -n "${JAVA_HOME:-}" ]; then
    ggml4j_read_jdk_major "$JAVA_HOME"
    major=$GGML4J_JDK_MAJOR
    if [ -n "$major" ] && [ "$major" -ge 22 ]; then
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  fi
  local best="" best_major=0 dir
  for dir in /usr/lib/jvm/* /usr/local/lib/jvm/* /opt/java/* /opt/jdk*; do
    [ -d "$dir" ] || continue
    ggml4j_read_jdk_major "$dir"
    major=$GGML4J_JDK_MAJOR
    if [ -n "$major" ] && [ "$major" -ge 22 ] && [ "$major" -gt "$best_major" ]; then
      best=$dir
      best_major=$major
    fi
  done
  if [ -z "$best" ]; then
    ggml4j_die "no JDK 22 or newer found (JAVA_HOME=${JAVA_HOME:-unset}; looked in /usr/lib/jvm, /usr/local/lib/jvm, /opt). Install one, e.g. Temurin 25, and set JAVA_HOME."
  fi
  export JAVA_HOME=$best
  export PATH="$JAVA_HOME/bin:$PATH"
}
