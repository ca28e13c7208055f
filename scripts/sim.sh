#!/usr/bin/env bash
# The eviction table (docs/eviction.md): every trace family through the simulated reference policies (LRU,
# CLOCK, ARC, S3-FIFO, W-TinyLFU via Caffeine, Belady's OPT), through the engine's own policy class simulated
# over a frame table (variants: -Dsim.engine=plain,engine,...), and replayed through the real cache.
#
#   scripts/sim.sh [-Dsim.frames=4096] [-Dsim.length=1000000] [-Dsim.seed=42] [-Dsim.dir=/tmp]
#                  [-Dsim.engine=plain,engine] [-Dsim.only=1] [-Dsim.noReplay=true]
#
# 20 to 50 s on 2 cores after the build. sim.dir holds a sparse replay file (no disk space used).
# Environment: SIM_SKIP_BUILD=1 reuses pagecache-jmh/target/benchmarks.jar.
set -euo pipefail

cd "$(dirname "$0")/.."
. scripts/jdk25.sh
jar=pagecache-jmh/target/benchmarks.jar
if [[ "${SIM_SKIP_BUILD:-0}" != 1 ]]; then
  echo "building $jar ..." >&2
  ./mvnw -B -q -pl pagecache-jmh -am package -DskipTests >&2
fi
exec "$JAVA_HOME/bin/java" "$@" -cp "$jar" org.pagecache.jmh.sim.TraceSim
