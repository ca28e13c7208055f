#!/usr/bin/env bash
# Builds the embedding example and runs its demo: a table of records stored through the page cache
# (README, "Embedding"). Usage: scripts/example.sh [directory [records]]
# The directory defaults to a new temporary one (kept afterwards); records default to 50000.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/jdk25.sh
# Maven's own libraries still call sun.misc.Unsafe; keep its JDK 25 warnings out of the demo's output.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
./mvnw -q -B -pl pagecache-example -am package -DskipTests
jar=$(ls pagecache-example/target/pagecache-example-*-all.jar)
exec "$JAVA_HOME/bin/java" -jar "$jar" "$@"
