#!/usr/bin/env bash
# Lucene benchmark: indexing time, QPS and cache figures of MMapDirectory, NIOFSDirectory and PageCacheDirectory
# (cache 2x and 1/4 of the index) on one seeded synthetic corpus, peers interleaved. See docs/lucene.md.
# Usage: scripts/lucene-bench.sh [docs (default 1000000)] [seconds of queries per directory (default 12)] [seed]
# LUCENE_BENCH_JFR=file.jfr also records a JFR profile of the run (method samples: where the time goes).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/jdk25.sh
./mvnw -B -q -pl pagecache-lucene -am test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test >/dev/null
CP="pagecache-lucene/target/test-classes:pagecache-lucene/target/classes:$(cat pagecache-lucene/target/bench-classpath.txt)"
JFR=()
if [[ -n "${LUCENE_BENCH_JFR:-}" ]]; then
  JFR=("-XX:StartFlightRecording=filename=${LUCENE_BENCH_JFR},settings=profile")
fi
exec java -Xms2g -Xmx2g "${JFR[@]}" -cp "$CP" org.pagecache.lucene.bench.LuceneBench "$@"
