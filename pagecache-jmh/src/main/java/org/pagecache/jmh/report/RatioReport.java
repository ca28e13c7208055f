package org.pagecache.jmh.report;

import static org.pagecache.jmh.report.Target.allocAtMost;
import static org.pagecache.jmh.report.Target.costAtMost;
import static org.pagecache.jmh.report.Target.info;
import static org.pagecache.jmh.report.Target.speedupAtLeast;
import static org.pagecache.jmh.report.Target.valueAtMost;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Prints the table of ratios of one benchmark run against the peers and the targets: each target, the
 * measured ratio, and whether it was met; then every result of the run.
 *
 * <pre>
 * java -cp pagecache-jmh/target/benchmarks.jar org.pagecache.jmh.report.RatioReport [--strict] result.json...
 * </pre>
 *
 * The result files are JMH's {@code -rf json} output, normally written by {@code scripts/bench.sh}. With
 * {@code --strict} the exit status is 1 when a target fails or its results are missing.
 */
public final class RatioReport {

    /**
     * Bytes per operation under which a benchmark counts as allocation-free. JMH's harness allocates a few
     * kilobytes per iteration of its own, which {@code gc.alloc.rate.norm} spreads over millions of operations;
     * one 16-byte object every 1,600 operations would already exceed this.
     */
    public static final double ZERO_ALLOC = 0.01;

    /**
     * The targets and context ratios, in the order of the table. Each names the parameters of the default run
     * (64 MiB working set, 16 MiB and 8 MiB caches), so that a run with more parameter values, e.g.
     * {@code -p workingSetMiB=1,64}, still has one result per selector.
     */
    public static final List<Target> TARGETS = List.of(
            costAtMost(
                    "Hit read 4 KiB: time vs raw MemorySegment.copy",
                    1.5,
                    "HitReadBenchmark.cacheDirect[readSize=4096,workingSetMiB=64]",
                    "HitReadBenchmark.rawCopyDirect[readSize=4096,workingSetMiB=64]"),
            speedupAtLeast(
                    "Hit read 4 KiB: speed vs FileChannel.read (OS page cache)",
                    4.0,
                    "HitReadBenchmark.cacheDirect[readSize=4096,workingSetMiB=64]",
                    "HitReadBenchmark.channelDirect[readSize=4096,workingSetMiB=64]"),
            speedupAtLeast(
                    "Hit read 64 B: speed vs Caffeine cache of byte[] pages",
                    2.0,
                    "HitReadBenchmark.cacheHeap[readSize=64,workingSetMiB=64]",
                    "HitReadBenchmark.caffeineHeap[readSize=64,workingSetMiB=64]"),
            costAtMost(
                    "Write 4 KiB from byte[]: time vs raw copy",
                    1.5,
                    "WriteBenchmark.writeHeap[workingSetMiB=64]",
                    "WriteBenchmark.rawCopy[workingSetMiB=64]"),
            costAtMost(
                    "Write 4 KiB from a mapped file (temporary page): time vs raw copy",
                    2.5,
                    "WriteBenchmark.writeMappedSegment[workingSetMiB=64]",
                    "WriteBenchmark.rawCopy[workingSetMiB=64]"),
            speedupAtLeast(
                    "Miss path (file 4x cache): speed vs FileChannel.read",
                    0.75,
                    "MissReadBenchmark.cacheRead[cacheMiB=16]",
                    "MissReadBenchmark.channelRead[cacheMiB=16]"),
            speedupAtLeast(
                    "Streaming write + sync (file 4x cache): speed vs FileChannel.write + force",
                    1.0,
                    "StreamingWriteBenchmark.cacheStream[cacheMiB=8]",
                    "StreamingWriteBenchmark.channelStream[cacheMiB=8]"),
            speedupAtLeast(
                    "Hit read 4 KiB: two threads vs one",
                    1.7,
                    "ScalingBenchmark.read2T[workingSetMiB=64]",
                    "ScalingBenchmark.read1T[workingSetMiB=64]"),
            valueAtMost(
                    "Metadata per frame (one cached page each), heap and off-heap",
                    16,
                    "MetadataFootprint.bytesPerFrame"),
            allocAtMost(
                    "Allocation: hit read 4 KiB, heap buffer",
                    ZERO_ALLOC,
                    "HitReadBenchmark.cacheHeap[readSize=4096,workingSetMiB=64]"),
            allocAtMost(
                    "Allocation: hit read 4 KiB, direct buffer",
                    ZERO_ALLOC,
                    "HitReadBenchmark.cacheDirect[readSize=4096,workingSetMiB=64]"),
            allocAtMost(
                    "Allocation: hit read 64 B, heap buffer",
                    ZERO_ALLOC,
                    "HitReadBenchmark.cacheHeap[readSize=64,workingSetMiB=64]"),
            allocAtMost(
                    "Allocation: hit read 64 B, direct buffer",
                    ZERO_ALLOC,
                    "HitReadBenchmark.cacheDirect[readSize=64,workingSetMiB=64]"),
            allocAtMost("Allocation: write from byte[]", ZERO_ALLOC, "WriteBenchmark.writeHeap[workingSetMiB=64]"),
            allocAtMost(
                    "Allocation: write from a direct buffer",
                    ZERO_ALLOC,
                    "WriteBenchmark.writeDirect[workingSetMiB=64]"),
            allocAtMost(
                    "Allocation: write from a mapped segment",
                    ZERO_ALLOC,
                    "WriteBenchmark.writeMappedSegment[workingSetMiB=64]"),
            info(
                    "Hit read 4 KiB, heap buffer: speed vs raw copy to heap",
                    "HitReadBenchmark.cacheHeap[readSize=4096,workingSetMiB=64]",
                    "HitReadBenchmark.rawCopyHeap[readSize=4096,workingSetMiB=64]"),
            info(
                    "Hit read 4 KiB: speed vs a mapped file",
                    "HitReadBenchmark.cacheDirect[readSize=4096,workingSetMiB=64]",
                    "HitReadBenchmark.mappedDirect[readSize=4096,workingSetMiB=64]"),
            info(
                    "Hit read 4 KiB: speed vs Caffeine",
                    "HitReadBenchmark.cacheHeap[readSize=4096,workingSetMiB=64]",
                    "HitReadBenchmark.caffeineHeap[readSize=4096,workingSetMiB=64]"),
            info(
                    "Hit read 64 B: speed vs raw copy",
                    "HitReadBenchmark.cacheDirect[readSize=64,workingSetMiB=64]",
                    "HitReadBenchmark.rawCopyDirect[readSize=64,workingSetMiB=64]"),
            info(
                    "Hit read 64 B: speed vs raw copy + one LongAdder.increment",
                    "HitReadBenchmark.cacheDirect[readSize=64,workingSetMiB=64]",
                    "HitReadBenchmark.rawCopyCountedDirect[readSize=64,workingSetMiB=64]"),
            info(
                    "Raw copy 64 B + one LongAdder.increment: speed vs raw copy (cost of one atomic per read)",
                    "HitReadBenchmark.rawCopyCountedDirect[readSize=64,workingSetMiB=64]",
                    "HitReadBenchmark.rawCopyDirect[readSize=64,workingSetMiB=64]"),
            info(
                    "Raw copy 4 KiB: speed vs FileChannel.read (the ceiling of any cache)",
                    "HitReadBenchmark.rawCopyDirect[readSize=4096,workingSetMiB=64]",
                    "HitReadBenchmark.channelDirect[readSize=4096,workingSetMiB=64]"),
            info(
                    "Hit read 64 B: speed vs FileChannel.read",
                    "HitReadBenchmark.cacheDirect[readSize=64,workingSetMiB=64]",
                    "HitReadBenchmark.channelDirect[readSize=64,workingSetMiB=64]"),
            info(
                    "Hit read 4 KiB, 1 MiB working set: speed vs raw copy",
                    "HitReadBenchmark.cacheDirect[readSize=4096,workingSetMiB=1]",
                    "HitReadBenchmark.rawCopyDirect[readSize=4096,workingSetMiB=1]"),
            info(
                    "Hit read 4 KiB, 1 MiB working set: speed vs FileChannel.read",
                    "HitReadBenchmark.cacheDirect[readSize=4096,workingSetMiB=1]",
                    "HitReadBenchmark.channelDirect[readSize=4096,workingSetMiB=1]"),
            info(
                    "Hit read 64 B, 1 MiB working set: speed vs Caffeine",
                    "HitReadBenchmark.cacheHeap[readSize=64,workingSetMiB=1]",
                    "HitReadBenchmark.caffeineHeap[readSize=64,workingSetMiB=1]"),
            info(
                    "Write 4 KiB from a direct buffer: speed vs raw copy",
                    "WriteBenchmark.writeDirect[workingSetMiB=64]",
                    "WriteBenchmark.rawCopy[workingSetMiB=64]"),
            info(
                    "Write 4 KiB from a MappedView (fast path): speed vs raw copy",
                    "WriteBenchmark.writeMappedView[workingSetMiB=64]",
                    "WriteBenchmark.rawCopy[workingSetMiB=64]"),
            info(
                    "Write 4 KiB from a mapped file: speed vs raw copy from it",
                    "WriteBenchmark.writeMappedSegment[workingSetMiB=64]",
                    "WriteBenchmark.rawCopyMapped[workingSetMiB=64]"),
            info(
                    "Write 4 KiB from byte[]: speed vs FileChannel.write",
                    "WriteBenchmark.writeHeap[workingSetMiB=64]",
                    "WriteBenchmark.channelWrite[workingSetMiB=64]"),
            info(
                    "Write 4 KiB: two threads vs one",
                    "ScalingBenchmark.write2T[workingSetMiB=64]",
                    "ScalingBenchmark.write1T[workingSetMiB=64]"),
            info(
                    "Raw 4 KiB copy: two threads vs one (the machine's limit)",
                    "ScalingBenchmark.rawRead2T[workingSetMiB=64]",
                    "ScalingBenchmark.rawRead1T[workingSetMiB=64]"));

    private RatioReport() {}

    /**
     * @param args {@code [--strict] result.json...}
     * @throws IOException if a file cannot be read
     */
    public static void main(String[] args) throws IOException {
        boolean strict = false;
        List<BenchResult> results = new ArrayList<>();
        for (String arg : args) {
            if (arg.equals("--strict")) {
                strict = true;
            } else {
                results.addAll(BenchResult.parseAll(Files.readString(Path.of(arg))));
            }
        }
        if (results.isEmpty()) {
            System.err.println("usage: RatioReport [--strict] result.json...   (no results were given)");
            System.exit(2);
        }
        List<Target.Line> lines = evaluate(TARGETS, results);
        System.out.print(render(lines, results));
        if (strict
                && lines.stream()
                        .anyMatch(l -> l.target().kind() != Target.Kind.INFO
                                && (l.verdict() == Target.Verdict.FAIL || l.verdict() == Target.Verdict.MISSING))) {
            System.exit(1);
        }
    }

    /** @return each target evaluated on {@code results} */
    public static List<Target.Line> evaluate(List<Target> targets, List<BenchResult> results) {
        return targets.stream().map(t -> t.evaluate(results)).toList();
    }

    /**
     * @param lines   the evaluated targets
     * @param results every result of the run
     * @return the ratio table, a summary line, and the table of every result, in Markdown
     */
    public static String render(List<Target.Line> lines, List<BenchResult> results) {
        StringBuilder out = new StringBuilder();
        out.append("| target | ours | peer | measured | need | result |\n");
        out.append("| --- | ---: | ---: | ---: | --- | --- |\n");
        int pass = 0;
        int fail = 0;
        int missing = 0;
        for (Target.Line line : lines) {
            Target t = line.target();
            String ours = line.ours() == null ? "-" : score(line.ours());
            String peer = line.peer() == null ? "-" : score(line.peer());
            String measured;
            if (Double.isNaN(line.value())) {
                measured = "-";
            } else if (t.kind() == Target.Kind.ALLOC_AT_MOST) {
                measured = bytes(line.value());
            } else if (t.kind() == Target.Kind.VALUE_AT_MOST) {
                measured = String.format(
                        Locale.ROOT, "%.2f %s", line.value(), line.ours().unit());
            } else {
                measured = String.format(Locale.ROOT, "%.2fx", line.value());
            }
            String result = switch (line.verdict()) {
                case PASS -> "PASS";
                case FAIL -> "**FAIL**";
                case MISSING -> "missing: " + line.why();
                case INFO -> "(context)";
            };
            if (t.kind() != Target.Kind.INFO) {
                switch (line.verdict()) {
                    case PASS -> pass++;
                    case FAIL -> fail++;
                    case MISSING -> missing++;
                    default -> {}
                }
            }
            out.append("| ")
                    .append(t.name())
                    .append(" | ")
                    .append(ours)
                    .append(" | ")
                    .append(peer)
                    .append(" | ")
                    .append(measured)
                    .append(" | ")
                    .append(t.need())
                    .append(" | ")
                    .append(result)
                    .append(" |\n");
        }
        out.append('\n')
                .append(String.format(
                        Locale.ROOT,
                        "Targets met: %d of %d (missed: %d, without results: %d)%n",
                        pass,
                        pass + fail + missing,
                        fail,
                        missing));

        out.append("\n| benchmark | threads | score | error | alloc B/op (median) | gc.alloc.rate.norm (mean) |\n");
        out.append("| --- | ---: | ---: | ---: | ---: | ---: |\n");
        results.stream().sorted(Comparator.comparing(BenchResult::label)).forEach(r -> {
            double rel = r.error() / r.score();
            out.append("| ")
                    .append(r.label())
                    .append(" | ")
                    .append(r.threads())
                    .append(" | ")
                    .append(score(r))
                    .append(" | ")
                    .append(Double.isNaN(rel) ? "-" : String.format(Locale.ROOT, "±%.1f%%", 100 * rel))
                    .append(" | ")
                    .append(Double.isNaN(r.allocatedBytesPerOp()) ? "-" : bytes(r.allocatedBytesPerOp()))
                    .append(" | ")
                    .append(Double.isNaN(r.gcAllocNorm()) ? "-" : bytes(r.gcAllocNorm()))
                    .append(" |\n");
        });
        return out.toString();
    }

    /** @return a result's score: an operation rate if its unit is one, else the score and its unit */
    static String score(BenchResult r) {
        try {
            return rate(r.opsPerSecond());
        } catch (IllegalStateException notARate) {
            return String.format(Locale.ROOT, "%.2f %s", r.score(), r.unit());
        }
    }

    /** @return an operation rate with a metric prefix, e.g. {@code 12.3 M/s} */
    static String rate(double opsPerSecond) {
        if (opsPerSecond >= 1e9) {
            return String.format(Locale.ROOT, "%.2f G/s", opsPerSecond / 1e9);
        }
        if (opsPerSecond >= 1e6) {
            return String.format(Locale.ROOT, "%.2f M/s", opsPerSecond / 1e6);
        }
        if (opsPerSecond >= 1e3) {
            return String.format(Locale.ROOT, "%.2f k/s", opsPerSecond / 1e3);
        }
        return String.format(Locale.ROOT, "%.2f /s", opsPerSecond);
    }

    /** @return a byte count per operation, e.g. {@code 0.002 B/op} */
    static String bytes(double bytesPerOp) {
        return String.format(Locale.ROOT, bytesPerOp < 10 ? "%.3f B/op" : "%.0f B/op", bytesPerOp);
    }
}
