#!/usr/bin/env bash
# Builds the stress runner if needed and runs it: scripts/stress.sh [options]   (--help lists them)
# Needs a JDK 25 or newer: $JAVA_HOME, /usr/lib/jvm/temurin-25-jdk-amd64 (or another in /usr/lib/jvm), or the
# java on the PATH; exits with status 3 and says so when there is none.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/pagecache-stress/target/pagecache-stress.jar"

. "$root/scripts/jdk25.sh"

# Build when the jar is missing or any source or pom is newer than it.
if [ ! -f "$jar" ] || [ -n "$(find "$root/pom.xml" "$root"/pagecache-api "$root"/pagecache-offheap \
        "$root"/pagecache-stress -path '*/target' -prune -o -newer "$jar" -type f -print -quit 2>/dev/null)" ]; then
    echo "stress.sh: building the stress runner with $JAVA_HOME ..." >&2
    # (the flag only quiets Maven's own use of sun.misc.Unsafe on JDK 25; the runner needs no JVM flags)
    (cd "$root" && MAVEN_OPTS="${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}" \
        ./mvnw -q -pl pagecache-stress -am package -DskipTests) >&2
fi

exec "$JAVA_HOME/bin/java" -jar "$jar" "$@"
