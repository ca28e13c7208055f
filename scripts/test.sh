#!/usr/bin/env bash
# Builds every module and runs every test (unit, concurrency, stress and reliability suites in their CI budget).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/jdk25.sh
echo "Using JDK 25 at $JAVA_HOME"
exec ./mvnw -B verify "$@"
