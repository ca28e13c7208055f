#!/usr/bin/env bash
# Runs the JMH suite (pagecache-jmh) with the peers side by side and prints the table of ratios against the
# targets. See docs/benchmarks.md.
#
#   scripts/bench.sh [short|full|smoke] [extra JMH options, e.g. -p workingSetMiB=64,256]
#
#   short  (default) 1 fork, 2 x 1 s warm-up, 3 x 1 s measurement: about 5 to 6 minutes on 2 cores
#   full   3 forks, 5 x 2 s warm-up, 5 x 2 s measurement: about 50 minutes on 2 cores
#   smoke  1 fork, 1 x 1 s warm-up, 1 x 1 s measurement: checks that every benchmark runs, numbers are noise
#   disk   the disk harness (org.pagecache.jmh.disk.DiskBench): cold direct-I/O reads and writes through the cache
#          against bare FileChannel I/O and the device's bandwidth, OS cache dropped before each trial; a 2 GiB
#          file and 5 s per trial, about 3 minutes (DISK_SECONDS and DISK_MIB change them; DISK_CASES, a
#          comma-separated subset of random,prefetch,sequential,write,p99, runs only those rows)
#
# Environment:
#   JAVA_HOME         a JDK 25 (else scripts/jdk25.sh looks in /usr/lib/jvm and on the PATH)
#   BENCH_OUT         where results go (default: pagecache-jmh/target/bench/<profile>-<date>)
#   BENCH_SKIP_BUILD  1 to reuse pagecache-jmh/target/benchmarks.jar instead of building it
#   BENCH_LOCK_WAIT   seconds to wait for another JMH run on this machine to finish (default 900): JMH allows
#                     one run at a time (/tmp/jmh.lock), and two at once would measure each other
#   PAGECACHE_BENCH_DIR  where scratch files go (default: the JVM's temporary directory); the miss and
#                     streaming benchmarks need about 200 MiB there, on the file system you want to measure
set -euo pipefail

cd "$(dirname "$0")/.."
profile="${1:-short}"
[[ $# -gt 0 ]] && shift

case "$profile" in
  short) suite_opts=(-f 1 -wi 2 -w 1s -i 3 -r 1s); stream_opts=(-f 1 -wi 1 -w 2s -i 3 -r 2s) ;;
  full)  suite_opts=(-f 3 -wi 5 -w 2s -i 5 -r 2s); stream_opts=(-f 3 -wi 2 -w 4s -i 5 -r 4s) ;;
  smoke) suite_opts=(-f 1 -wi 1 -w 1s -i 1 -r 1s); stream_opts=(-f 1 -wi 0 -i 1 -r 1s) ;;
  disk)  ;;
  *) echo "usage: $0 [short|full|smoke|disk] [extra JMH options]" >&2; exit 2 ;;
esac

. scripts/jdk25.sh
java="$JAVA_HOME/bin/java"

jar=pagecache-jmh/target/benchmarks.jar
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  echo "building $jar ..."
  ./mvnw -q -pl pagecache-jmh -am package -DskipTests
fi
[[ -f "$jar" ]] || { echo "missing $jar (build it or unset BENCH_SKIP_BUILD)" >&2; exit 2; }

out="${BENCH_OUT:-pagecache-jmh/target/bench/$profile-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
profilers=(-prof gc -prof org.pagecache.jmh.ThreadAllocProfiler)

{
  echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(nproc) CPUs, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), $(free -g 2>/dev/null | awk '/^Mem:/{print $2 " GiB RAM"}')"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null) (1, 5, 15 min) before the run"
  echo "JDK:     $("$java" -version 2>&1 | head -2 | tail -1)"
  echo "command: scripts/bench.sh $profile $*"
  echo "JMH:     ${suite_opts[*]} ${profilers[*]} (streaming: ${stream_opts[*]})"
} | tee "$out/environment.txt"

# Runs JMH, waiting while another JMH run holds the machine-wide lock. $1: name of the results, then JMH arguments.
run_jmh() {
  local name="$1"; shift
  local waited=0 limit="${BENCH_LOCK_WAIT:-900}"
  while :; do
    local rc=0
    "$java" -jar "$jar" "$@" -rf json -rff "$out/$name.json" > "$out/$name.log" 2>&1 || rc=$?
    if grep -q 'Unable to acquire the JMH lock' "$out/$name.log" && (( waited < limit )); then
      (( waited == 0 )) && echo "  another JMH run holds /tmp/jmh.lock; waiting up to $limit s ..."
      sleep 10; waited=$(( waited + 10 ))
      continue
    fi
    if (( rc != 0 )) || [[ ! -s "$out/$name.json" ]]; then
      echo "JMH failed: see $out/$name.log" >&2
      tail -40 "$out/$name.log" >&2
      exit 1
    fi
    return 0
  done
}

started=$SECONDS
if [[ "$profile" == disk ]]; then
  "$java" -cp "$jar" org.pagecache.jmh.disk.DiskBench "${DISK_SECONDS:-5}" "${DISK_MIB:-2048}" \
    "${DISK_CASES:-random,prefetch,sequential,write,p99}" 2>&1 | tee "$out/disk.md"
  echo "ran in $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s; results in $out"
  exit 0
fi
echo "running the suite (hit reads, writes, miss path, scaling) ..."
run_jmh suite 'org\.pagecache\.jmh\.(HitReadBenchmark|WriteBenchmark|MissReadBenchmark|ScalingBenchmark)\.' \
  "${suite_opts[@]}" "${profilers[@]}" "$@"

echo "running hit reads on a 1 MiB working set (context: what the CPU caches, not memory, allow) ..."
run_jmh hit-1mib 'org\.pagecache\.jmh\.HitReadBenchmark\.(cacheHeap|cacheDirect|caffeineHeap|rawCopyDirect|channelDirect)$' \
  -p workingSetMiB=1 "${suite_opts[@]}" "${profilers[@]}"

echo "running the streaming writes ..."
run_jmh streaming 'org\.pagecache\.jmh\.StreamingWriteBenchmark\.' "${stream_opts[@]}" "${profilers[@]}" "$@"

echo "measuring metadata per page ..."
"$java" -XX:NativeMemoryTracking=summary -XX:+UseSerialGC -Xmx1g -cp "$jar" org.pagecache.jmh.MetadataFootprint \
  "$out/metadata.json" 2>&1 | tee "$out/metadata.log"

# JMH reports a benchmark whose set-up or tear-down threw (a path check failed) as an error, without a score.
if grep -q '<failure>' "$out"/*.log; then
  echo "some benchmarks failed their checks (their rows show as missing):" >&2
  grep -h -A3 '<failure>' "$out"/*.log | grep -E 'Exception|invariant' | sort -u >&2
fi

echo
"$java" -cp "$jar" org.pagecache.jmh.report.RatioReport "$out/suite.json" "$out/hit-1mib.json" "$out/streaming.json" \
  "$out/metadata.json" \
  | tee "$out/table.md"
echo
echo "ran in $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s; results in $out"
