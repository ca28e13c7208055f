#!/usr/bin/env bash
# The fast tier for the inner loop: every module but the Lucene suites and jcstress, without the JUnit 5 tests
# tagged "slow" (storms, the randomized harness, crash and resource tests). CI runs scripts/test.sh: everything.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/jdk25.sh
echo "Using JDK 25 at $JAVA_HOME"
exec ./mvnw -B verify -Pfast -pl '!pagecache-lucene,!pagecache-jcstress' "$@"
