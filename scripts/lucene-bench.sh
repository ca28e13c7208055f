#!/usr/bin/env bash
# Lucene benchmark: indexing time, QPS and cache figures of MMapDirectory, NIOFSDirectory and PageCacheDirectory
# (cache 2x and 1/4 of the index) on one seeded synthetic corpus. See docs/lucene.md.
# Usage: scripts/lucene-bench.sh [docs (default 1000000)] [seconds per QPS measurement (default 10)] [seed]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/jdk25.sh
./mvnw -B -q -pl pagecache-lucene -am test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test >/dev/null
CP="pagecache-lucene/target/test-classes:pagecache-lucene/target/classes:$(cat pagecache-lucene/target/bench-classpath.txt)"
exec java -Xms2g -Xmx2g -cp "$CP" org.pagecache.lucene.bench.LuceneBench "$@"
