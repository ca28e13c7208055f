package org.pagecache.stress;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
        out.printf(
                Locale.ROOT,
                "  seed %s | %.1f s%s | %d writers, %d readers | cache %s, pages %s"
                        + " | %d files x %s (%.1fx the cache)%n",
                StressOptions.formatSeed(o.seed),
                seconds(),
                stoppedEarly ? " (stopped early)" : "",
                o.writers,
                o.readers,
                bytes(o.cacheSize),
                bytes(o.pageSize),
                o.files,
                bytes(o.fileSize),
                (double) o.fileSize * o.files / o.cacheSize);
        out.printf(
                Locale.ROOT,
                "  sources %s | truncation %s (%d source files x %s) | direct I/O %s%n",
                String.join(",", o.sourceNames()),
                o.truncate ? "on" : "off",
                o.sourceFiles,
                bytes(o.sourceSize),
                o.directIo ? "on" : "off");
        out.println();
        out.printf(
                Locale.ROOT,
                "%-22s %12s %11s %9s %9s %9s %9s %9s %10s%n",
                "operation",
                "count",
                "ops/s",
                "mean us",
                "p50 us",
                "p90 us",
                "p99 us",
                "p99.9 us",
                "max us");
        for (OpKind kind : OpKind.values()) {
            long count = total.count[kind.ordinal()];
            if (count == 0) {
                continue;
            }
            Histogram h = total.latency[kind.ordinal()];
            out.printf(
                    Locale.ROOT,
                    "%-22s %,12d %,11.0f %9.1f %9.1f %9.1f %9.1f %9.1f %,10.1f%n",
                    kind.label,
                    count,
                    count / Math.max(1e-9, seconds()),
                    h.getMean() / NANOS_PER_MICRO,
                    h.getValueAtPercentile(50) / NANOS_PER_MICRO,
                    h.getValueAtPercentile(90) / NANOS_PER_MICRO,
                    h.getValueAtPercentile(99) / NANOS_PER_MICRO,
                    h.getValueAtPercentile(99.9) / NANOS_PER_MICRO,
                    h.getMaxValue() / NANOS_PER_MICRO);
        }
        out.printf(
                Locale.ROOT,
                "%-22s %,12d %,11.0f%n",
                "all cache operations",
                cacheOps(),
                cacheOps() / Math.max(1e-9, seconds()));
        out.println();
        out.printf(
                Locale.ROOT,
                "source faults    writes cut short %,d, SourceFaultException %,d, source truncations %,d%n",
                shortWrites,
                faultExceptions,
                truncations);
        PageCacheStats s = cacheStats;
        if (s != null) {
            out.printf(
                    Locale.ROOT,
                    "cache            hits %,d, page-ins %,d (hit ratio %.1f%%), evictions %,d,"
                            + " writebacks %,d in %,d batches%n",
                    s.hits(),
                    s.faults(),
                    100 * s.hitRatio(),
                    s.evictions(),
                    s.writebacks(),
                    s.writebackBatches());
            out.printf(
                    Locale.ROOT,
                    "                 temp-page copies %,d, direct copies %,d, view fast path %,d"
                            + " (fallbacks %,d), faulting chunks %,d, lock waits %,d (%.1f ms)%n",
                    s.tempPageCopies(),
                    s.directCopies(),
                    s.fastPathHits(),
                    s.fastPathFallbacks(),
                    s.sourceFaults(),
                    s.lockWaits(),
                    s.lockWaitNanos() / 1e6);
            out.printf(
                    Locale.ROOT,
                    "                 at the end: %,d frames, %,d free, %,d dirty, %,d pinned%n",
                    s.frames(),
                    s.freeFrames(),
                    s.dirtyFrames(),
                    s.pinnedFrames());
        }
        out.printf(
                Locale.ROOT,
                "verified         %s: live reads %s, final pass through the cache %s,"
                        + " final pass from disk %s (%s read while being written, not checked)%n",
                bytes(verifiedBytes()),
                bytes(liveVerifiedBytes),
                bytes(finalCacheBytes),
                bytes(finalDiskBytes),
                bytes(skippedBytes));
        for (String warning : warnings) {
            out.println("warning          " + warning);
        }
        if (passed()) {
            out.println("verification     PASSED: every byte checked matched the model, no unexpected error");
        } else {
            out.printf(
                    Locale.ROOT,
                    "verification     FAILED: %,d mismatched ranges (%,d bytes), %,d errors%s%n",
                    failures.mismatches(),
                    failures.mismatchedBytes(),
                    failures.errors(),
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

    /** Writes the report: Jackson, pretty-printed (two-space indent), one object per document. */
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    String toJson() {
        StressOptions o = options;
        ObjectNode j = JSON.createObjectNode();
        j.put("schemaVersion", SCHEMA_VERSION);
        j.put("result", result());
        j.put("passed", passed());
        j.put("exitCode", exitCode);
        j.put("seed", StressOptions.formatSeed(o.seed));
        j.put("replay", o.replayCommand());
        if (setupError != null) {
            j.put("error", setupError);
        }
        ObjectNode config = j.putObject("config");
        number(config, "durationSeconds", o.duration.toMillis() / 1000.0);
        config.put("writers", o.writers)
                .put("readers", o.readers)
                .put("cacheSize", o.cacheSize)
                .put("pageSize", o.pageSize)
                .put("fileSize", o.fileSize)
                .put("files", o.files);
        ArrayNode sources = config.putArray("sources");
        o.sourceNames().forEach(sources::add);
        config.put("truncate", o.truncate)
                .put("sourceFiles", o.sourceFiles)
                .put("sourceSize", o.sourceSize)
                .put("dir", dir == null ? null : dir.toString())
                .put("keep", o.keep)
                .put("directIo", o.directIo);
        number(j, "elapsedSeconds", seconds());
        j.put("stoppedEarly", stoppedEarly);
        j.put("filesKept", kept);

        ObjectNode operations = j.putObject("operations");
        for (OpKind kind : OpKind.values()) {
            long count = total.count[kind.ordinal()];
            Histogram h = total.latency[kind.ordinal()];
            ObjectNode op = operations.putObject(kind.label);
            op.put("count", count);
            number(op, "opsPerSecond", count / Math.max(1e-9, seconds()));
            ObjectNode latency = op.putObject("latencyNanos");
            number(latency, "mean", count == 0 ? 0.0 : h.getMean());
            for (int i = 0; i < PERCENTILES.length; i++) {
                latency.put(PERCENTILE_NAMES[i], count == 0 ? 0 : h.getValueAtPercentile(PERCENTILES[i]));
            }
            latency.put("max", count == 0 ? 0 : h.getMaxValue());
        }
        j.put("cacheOperations", cacheOps());

        j.putObject("sourceFaults")
                .put("shortWrites", shortWrites)
                .put("faultExceptions", faultExceptions)
                .put("truncations", truncations);

        if (cacheStats == null) {
            j.putNull("cache");
        } else {
            PageCacheStats s = cacheStats;
            ObjectNode cache = j.putObject("cache");
            cache.put("hits", s.hits()).put("faults", s.faults());
            number(cache, "hitRatio", s.hitRatio());
            cache.put("evictions", s.evictions())
                    .put("writebacks", s.writebacks())
                    .put("writebackBatches", s.writebackBatches())
                    .put("tempPageCopies", s.tempPageCopies())
                    .put("directCopies", s.directCopies())
                    .put("fastPathHits", s.fastPathHits())
                    .put("fastPathFallbacks", s.fastPathFallbacks())
                    .put("sourceFaults", s.sourceFaults())
                    .put("lockWaits", s.lockWaits())
                    .put("lockWaitNanos", s.lockWaitNanos())
                    .put("frames", s.frames())
                    .put("freeFrames", s.freeFrames())
                    .put("dirtyFrames", s.dirtyFrames())
                    .put("pinnedFrames", s.pinnedFrames());
        }

        ObjectNode verification = j.putObject("verification")
                .put("passed", passed())
                .put("bytesVerified", verifiedBytes())
                .put("liveBytesVerified", liveVerifiedBytes)
                .put("finalCacheBytesVerified", finalCacheBytes)
                .put("finalDiskBytesVerified", finalDiskBytes)
                .put("bytesSkipped", skippedBytes)
                .put("mismatches", failures.mismatches())
                .put("mismatchedBytes", failures.mismatchedBytes())
                .put("errors", failures.errors())
                .put("hung", failures.hung());
        ArrayNode details = verification.putArray("failures");
        failures.details().forEach(details::add);

        ArrayNode warningList = j.putArray("warnings");
        warnings.forEach(warningList::add);
        try {
            return JSON.writeValueAsString(j) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the report tree could not be written as JSON", e);
        }
    }

    /** A double, or {@code null} where JSON has no number for it (NaN, infinities). */
    private static void number(ObjectNode node, String name, double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            node.putNull(name);
        } else {
            node.put(name, value);
        }
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
