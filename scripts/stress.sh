#!/usr/bin/env bash
# Builds the stress runner if needed and runs it: scripts/stress.sh [options]   (--help lists them)
# Needs a JDK 25 or newer: $JAVA_HOME, /usr/lib/jvm/temurin-25-jdk-amd64 (or another in /usr/lib/jvm), or the
# java on the PATH; exits with status 3 and says so when there is none.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/pagecache-stress/target/pagecache-stress.jar"
required=25

# Prints the major version of the JDK whose home is $1, or nothing if it is not a JDK.
jdk_major() {
    local home="$1" spec
    [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || return 0
    spec="$("$home/bin/java" -XshowSettings:properties -version 2>&1 \
        | sed -n 's/^ *java\.specification\.version = *//p' | head -n 1)"
    spec="${spec#1.}"            # 1.8 -> 8
    echo "${spec%%.*}"
}

find_jdk() {
    local candidates=() home major
    [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
    candidates+=(/usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*)
    if command -v java >/dev/null 2>&1; then
        # the JDK home of the java on the PATH (resolving symlinks such as /usr/bin/java)
        candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
    fi
    for home in "${candidates[@]}"; do
        major="$(jdk_major "$home")"
        if [ -n "$major" ] && [ "$major" -ge "$required" ] 2>/dev/null; then
            echo "$home"
            return 0
        fi
    done
    return 1
}

given_java_home="${JAVA_HOME:-unset}"
if ! JAVA_HOME="$(find_jdk)"; then
    {
        echo "stress.sh: no JDK $required or newer found."
        echo "  Looked at: \$JAVA_HOME ($given_java_home), /usr/lib/jvm/temurin-25-jdk-amd64, /usr/lib/jvm/*, and the java on the PATH."
        echo "  Install a JDK $required (for example Eclipse Temurin $required) and set JAVA_HOME to it."
    } >&2
    exit 3
fi
export JAVA_HOME

# Build when the jar is missing or any source or pom is newer than it.
if [ ! -f "$jar" ] || [ -n "$(find "$root/pom.xml" "$root"/pagecache-api "$root"/pagecache-offheap \
        "$root"/pagecache-stress -path '*/target' -prune -o -newer "$jar" -type f -print -quit 2>/dev/null)" ]; then
    echo "stress.sh: building the stress runner with $JAVA_HOME ..." >&2
    # (the flag only quiets Maven's own use of sun.misc.Unsafe on JDK 25; the runner needs no JVM flags)
    (cd "$root" && MAVEN_OPTS="${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}" \
        ./mvnw -q -pl pagecache-stress -am package -DskipTests) >&2
fi

exec "$JAVA_HOME/bin/java" -jar "$jar" "$@"
