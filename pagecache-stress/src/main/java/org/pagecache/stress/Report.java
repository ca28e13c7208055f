package org.pagecache.stress;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.HdrHistogram.Histogram;
import org.pagecache.api.PageCacheStats;

/**
 * The results of a run, printed as the summary table and written as the JSON report (schema in
 * {@code docs/stress.md}; bump {@link #SCHEMA_VERSION} when it changes incompatibly).
 */
final class Report {

    static final int SCHEMA_VERSION = 1;
    private static final double[] PERCENTILES = {50, 90, 99, 99.9};
    private static final String[] PERCENTILE_NAMES = {"p50", "p90", "p99", "p999"};
    private static final double NANOS_PER_MICRO = 1_000.0;

    final StressOptions options;
    final ThreadStats total = new ThreadStats();
    final List<String> warnings = new ArrayList<>();
    Failures failures = new Failures();
    Path dir;
    boolean kept;
    String setupError;
    int exitCode;
    long elapsedNanos;
    boolean stoppedEarly;
    long liveVerifiedBytes;
    long finalCacheBytes;
    long finalDiskBytes;
    long skippedBytes;
    long shortWrites;
    long faultExceptions;
    long truncations;
    PageCacheStats cacheStats;

    Report(StressOptions options) {
        this.options = options;
    }

    boolean passed() {
        return exitCode == StressRunner.EXIT_PASSED;
    }

    String result() {
        return switch (exitCode) {
            case StressRunner.EXIT_PASSED -> "PASSED";
            case StressRunner.EXIT_FAILED -> "FAILED";
            default -> "ERROR";
        };
    }

    long verifiedBytes() {
        return liveVerifiedBytes + finalCacheBytes + finalDiskBytes;
    }

    long cacheOps() {
        long n = 0;
        for (OpKind kind : OpKind.values()) {
            if (kind.cacheOp) {
                n += total.count[kind.ordinal()];
            }
        }
        return n;
    }

    private double seconds() {
        return elapsedNanos / 1e9;
    }

    void printSummary(PrintStream out) {
        StressOptions o = options;
        out.println();
        out.printf(Locale.ROOT, "pagecache stress run: %s%n", result());
        out.printf(Locale.ROOT, "  seed %s | %.1f s%s | %d writers, %d readers | cache %s, pages %s"
                        + " | %d files x %s (%.1fx the cache)%n",
                StressOptions.formatSeed(o.seed), seconds(), stoppedEarly ? " (stopped early)" : "", o.writers,
                o.readers, bytes(o.cacheSize), bytes(o.pageSize), o.files, bytes(o.fileSize),
                (double) o.fileSize * o.files / o.cacheSize);
        out.printf(Locale.ROOT, "  sources %s | truncation %s (%d source files x %s)%n",
                String.join(",", o.sourceNames()), o.truncate ? "on" : "off", o.sourceFiles, bytes(o.sourceSize));
        out.println();
        out.printf(Locale.ROOT, "%-22s %12s %11s %9s %9s %9s %9s %9s %10s%n", "operation", "count", "ops/s",
                "mean us", "p50 us", "p90 us", "p99 us", "p99.9 us", "max us");
        for (OpKind kind : OpKind.values()) {
            long count = total.count[kind.ordinal()];
            if (count == 0) {
                continue;
            }
            Histogram h = total.latency[kind.ordinal()];
            out.printf(Locale.ROOT, "%-22s %,12d %,11.0f %9.1f %9.1f %9.1f %9.1f %9.1f %,10.1f%n", kind.label, count,
                    count / Math.max(1e-9, seconds()), h.getMean() / NANOS_PER_MICRO,
                    h.getValueAtPercentile(50) / NANOS_PER_MICRO, h.getValueAtPercentile(90) / NANOS_PER_MICRO,
                    h.getValueAtPercentile(99) / NANOS_PER_MICRO, h.getValueAtPercentile(99.9) / NANOS_PER_MICRO,
                    h.getMaxValue() / NANOS_PER_MICRO);
        }
        out.printf(Locale.ROOT, "%-22s %,12d %,11.0f%n", "all cache operations", cacheOps(),
                cacheOps() / Math.max(1e-9, seconds()));
        out.println();
        out.printf(Locale.ROOT, "source faults    writes cut short %,d, SourceFaultException %,d, source truncations %,d%n",
                shortWrites, faultExceptions, truncations);
        PageCacheStats s = cacheStats;
        if (s != null) {
            out.printf(Locale.ROOT, "cache            hits %,d, page-ins %,d (hit ratio %.1f%%), evictions %,d,"
                            + " writebacks %,d in %,d batches%n",
                    s.hits(), s.faults(), 100 * s.hitRatio(), s.evictions(), s.writebacks(), s.writebackBatches());
            out.printf(Locale.ROOT, "                 temp-page copies %,d, direct copies %,d, view fast path %,d"
                            + " (fallbacks %,d), faulting chunks %,d, lock waits %,d (%.1f ms)%n",
                    s.tempPageCopies(), s.directCopies(), s.fastPathHits(), s.fastPathFallbacks(), s.sourceFaults(),
                    s.lockWaits(), s.lockWaitNanos() / 1e6);
            out.printf(Locale.ROOT, "                 at the end: %,d frames, %,d free, %,d dirty, %,d pinned%n",
                    s.frames(), s.freeFrames(), s.dirtyFrames(), s.pinnedFrames());
        }
        out.printf(Locale.ROOT, "verified         %s: live reads %s, final pass through the cache %s,"
                        + " final pass from disk %s (%s read while being written, not checked)%n",
                bytes(verifiedBytes()), bytes(liveVerifiedBytes), bytes(finalCacheBytes), bytes(finalDiskBytes),
                bytes(skippedBytes));
        for (String warning : warnings) {
            out.println("warning          " + warning);
        }
        if (passed()) {
            out.println("verification     PASSED: every byte checked matched the model, no unexpected error");
        } else {
            out.printf(Locale.ROOT, "verification     FAILED: %,d mismatched ranges (%,d bytes), %,d errors%s%n",
                    failures.mismatches(), failures.mismatchedBytes(), failures.errors(),
                    failures.hung() ? ", HUNG" : "");
            List<String> details = failures.details();
            for (int i = 0; i < details.size(); i++) {
                out.println("  " + (i + 1) + ". " + details.get(i));
            }
            out.println("seed             " + StressOptions.formatSeed(options.seed));
            out.println("replay with      " + options.replayCommand());
            if (kept && dir != null) {
                out.println("files kept in    " + dir);
            }
        }
        out.flush();
    }

    String toJson() {
        StressOptions o = options;
        JsonWriter j = new JsonWriter().beginObject();
        j.field("schemaVersion", SCHEMA_VERSION);
        j.field("result", result());
        j.field("passed", passed());
        j.field("exitCode", exitCode);
        j.field("seed", StressOptions.formatSeed(o.seed));
        j.field("replay", o.replayCommand());
        if (setupError != null) {
            j.field("error", setupError);
        }
        j.name("config").beginObject()
                .field("durationSeconds", o.duration.toMillis() / 1000.0)
                .field("writers", o.writers)
                .field("readers", o.readers)
                .field("cacheSize", o.cacheSize)
                .field("pageSize", o.pageSize)
                .field("fileSize", o.fileSize)
                .field("files", o.files);
        j.name("sources").beginArray();
        for (String name : o.sourceNames()) {
            j.string(name);
        }
        j.endArray();
        j.field("truncate", o.truncate)
                .field("sourceFiles", o.sourceFiles)
                .field("sourceSize", o.sourceSize)
                .field("dir", dir == null ? null : dir.toString())
                .field("keep", o.keep)
                .endObject();
        j.field("elapsedSeconds", seconds());
        j.field("stoppedEarly", stoppedEarly);
        j.field("filesKept", kept);

        j.name("operations").beginObject();
        for (OpKind kind : OpKind.values()) {
            long count = total.count[kind.ordinal()];
            Histogram h = total.latency[kind.ordinal()];
            j.name(kind.label).beginObject()
                    .field("count", count)
                    .field("opsPerSecond", count / Math.max(1e-9, seconds()));
            j.name("latencyNanos").beginObject();
            j.field("mean", count == 0 ? 0.0 : h.getMean());
            for (int i = 0; i < PERCENTILES.length; i++) {
                j.field(PERCENTILE_NAMES[i], count == 0 ? 0 : h.getValueAtPercentile(PERCENTILES[i]));
            }
            j.field("max", count == 0 ? 0 : h.getMaxValue());
            j.endObject().endObject();
        }
        j.endObject();
        j.field("cacheOperations", cacheOps());

        j.name("sourceFaults").beginObject()
                .field("shortWrites", shortWrites)
                .field("faultExceptions", faultExceptions)
                .field("truncations", truncations)
                .endObject();

        j.name("cache");
        if (cacheStats == null) {
            j.string(null);
        } else {
            PageCacheStats s = cacheStats;
            j.beginObject()
                    .field("hits", s.hits())
                    .field("faults", s.faults())
                    .field("hitRatio", s.hitRatio())
                    .field("evictions", s.evictions())
                    .field("writebacks", s.writebacks())
                    .field("writebackBatches", s.writebackBatches())
                    .field("tempPageCopies", s.tempPageCopies())
                    .field("directCopies", s.directCopies())
                    .field("fastPathHits", s.fastPathHits())
                    .field("fastPathFallbacks", s.fastPathFallbacks())
                    .field("sourceFaults", s.sourceFaults())
                    .field("lockWaits", s.lockWaits())
                    .field("lockWaitNanos", s.lockWaitNanos())
                    .field("frames", s.frames())
                    .field("freeFrames", s.freeFrames())
                    .field("dirtyFrames", s.dirtyFrames())
                    .field("pinnedFrames", s.pinnedFrames())
                    .endObject();
        }

        j.name("verification").beginObject()
                .field("passed", passed())
                .field("bytesVerified", verifiedBytes())
                .field("liveBytesVerified", liveVerifiedBytes)
                .field("finalCacheBytesVerified", finalCacheBytes)
                .field("finalDiskBytesVerified", finalDiskBytes)
                .field("bytesSkipped", skippedBytes)
                .field("mismatches", failures.mismatches())
                .field("mismatchedBytes", failures.mismatchedBytes())
                .field("errors", failures.errors())
                .field("hung", failures.hung());
        j.name("failures").beginArray();
        for (String d : failures.details()) {
            j.string(d);
        }
        j.endArray().endObject();

        j.name("warnings").beginArray();
        for (String warning : warnings) {
            j.string(warning);
        }
        j.endArray();
        return j.endObject().toString() + "\n";
    }

    /** @return a byte count in binary units, e.g. {@code 16 MiB}, {@code 1.5 GiB}, {@code 512 B} */
    static String bytes(long n) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = 0;
        while (Math.abs(v) >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        if (u == 0 || v == Math.rint(v)) {
            return String.format(Locale.ROOT, "%.0f %s", v, units[u]);
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
