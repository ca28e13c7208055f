package org.pagecache.jmh.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One line of the ratio table: a performance target (or, with {@link Kind#INFO}, a ratio shown for context)
 * comparing one benchmark of ours with one peer from the same run.
 *
 * <p>Benchmarks are named by <em>selectors</em>: {@code Class.method} optionally followed by the parameter
 * values that must match, e.g. {@code HitReadBenchmark.cacheDirect[readSize=4096]}. Parameters not named in
 * the selector may have any value, but exactly one result must match.
 *
 * @param name  what the line says, e.g. "Hit read 4 KiB: time vs raw MemorySegment.copy"
 * @param kind  how the ratio is computed and judged
 * @param bound the bound of the target (unused for {@link Kind#INFO})
 * @param ours  selector of our benchmark
 * @param peer  selector of the peer ({@code null} for {@link Kind#ALLOC_AT_MOST})
 */
public record Target(String name, Kind kind, double bound, String ours, String peer) {

    /** How a line's ratio is computed and judged. */
    public enum Kind {
        /** ratio = our time per op / the peer's (peer ops/s over ours); passes when {@code <= bound}. */
        COST_AT_MOST,
        /** ratio = our ops/s / the peer's; passes when {@code >= bound}. */
        SPEEDUP_AT_LEAST,
        /** value = our bytes allocated per op ({@link BenchResult#allocatedBytesPerOp()}); passes when {@code <= bound}. */
        ALLOC_AT_MOST,
        /** value = our primary score as it is (e.g. bytes of metadata per page); passes when {@code <= bound}. */
        VALUE_AT_MOST,
        /** ratio = our ops/s / the peer's, shown without a target. */
        INFO
    }

    /** How a line came out. */
    public enum Verdict {
        PASS,
        FAIL,
        MISSING,
        INFO
    }

    /**
     * The evaluated line.
     *
     * @param target  the target
     * @param ours    our result, or {@code null} if missing
     * @param peer    the peer's result, or {@code null} if missing or not needed
     * @param value   the ratio (or bytes per op), NaN if missing
     * @param verdict how it came out
     * @param why     for {@link Verdict#MISSING}, what is missing
     */
    public record Line(Target target, BenchResult ours, BenchResult peer, double value, Verdict verdict, String why) {}

    public Target {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(ours, "ours");
        if (kind != Kind.ALLOC_AT_MOST && kind != Kind.VALUE_AT_MOST && peer == null) {
            throw new IllegalArgumentException("peer is required for a " + kind + " line: " + name);
        }
    }

    /** @return a target whose ratio (our time per op over the peer's) must be at most {@code bound} */
    public static Target costAtMost(String name, double bound, String ours, String peer) {
        return new Target(name, Kind.COST_AT_MOST, bound, ours, peer);
    }

    /** @return a target whose speed-up (our ops/s over the peer's) must be at least {@code bound} */
    public static Target speedupAtLeast(String name, double bound, String ours, String peer) {
        return new Target(name, Kind.SPEEDUP_AT_LEAST, bound, ours, peer);
    }

    /** @return a target of at most {@code bound} bytes allocated per operation */
    public static Target allocAtMost(String name, double bound, String ours) {
        return new Target(name, Kind.ALLOC_AT_MOST, bound, ours, null);
    }

    /** @return a target of a primary score (in its own unit) of at most {@code bound} */
    public static Target valueAtMost(String name, double bound, String ours) {
        return new Target(name, Kind.VALUE_AT_MOST, bound, ours, null);
    }

    /** @return a ratio of our ops/s over the peer's, shown for context */
    public static Target info(String name, String ours, String peer) {
        return new Target(name, Kind.INFO, Double.NaN, ours, peer);
    }

    /**
     * Evaluates this target on the results of one run.
     *
     * @param results every result of the run
     * @return the evaluated line
     */
    public Line evaluate(List<BenchResult> results) {
        List<BenchResult> o = select(results, ours);
        if (o.size() != 1) {
            return missing(o, ours);
        }
        BenchResult us = o.getFirst();
        if (kind == Kind.VALUE_AT_MOST) {
            return new Line(this, us, null, us.score(), us.score() <= bound ? Verdict.PASS : Verdict.FAIL, "");
        }
        if (kind == Kind.ALLOC_AT_MOST) {
            double bytes = us.allocatedBytesPerOp();
            if (Double.isNaN(bytes)) {
                return new Line(
                        this,
                        us,
                        null,
                        Double.NaN,
                        Verdict.MISSING,
                        "no allocation figures (run with -prof gc or -prof org.pagecache.jmh.ThreadAllocProfiler)");
            }
            return new Line(this, us, null, bytes, bytes <= bound ? Verdict.PASS : Verdict.FAIL, "");
        }
        List<BenchResult> p = select(results, peer);
        if (p.size() != 1) {
            return missing(p, peer);
        }
        BenchResult them = p.getFirst();
        double speedup = us.opsPerSecond() / them.opsPerSecond();
        return switch (kind) {
            case COST_AT_MOST -> {
                double cost = 1.0 / speedup;
                yield new Line(this, us, them, cost, cost <= bound ? Verdict.PASS : Verdict.FAIL, "");
            }
            case SPEEDUP_AT_LEAST ->
                new Line(this, us, them, speedup, speedup >= bound ? Verdict.PASS : Verdict.FAIL, "");
            default -> new Line(this, us, them, speedup, Verdict.INFO, "");
        };
    }

    /** @return what this target needs, e.g. {@code <= 1.50x} */
    public String need() {
        return switch (kind) {
            case COST_AT_MOST -> String.format(Locale.ROOT, "<= %.2fx", bound);
            case SPEEDUP_AT_LEAST -> String.format(Locale.ROOT, ">= %.2fx", bound);
            case ALLOC_AT_MOST -> String.format(Locale.ROOT, "<= %s B/op", bound);
            case VALUE_AT_MOST -> String.format(Locale.ROOT, "<= %s", bound);
            case INFO -> "";
        };
    }

    private Line missing(List<BenchResult> matched, String selector) {
        String why = matched.isEmpty()
                ? "no result for " + selector
                : matched.size() + " results match " + selector + ": name more parameters";
        return new Line(this, null, null, Double.NaN, Verdict.MISSING, why);
    }

    /**
     * @param results  results of a run
     * @param selector {@code Class.method} with optional {@code [name=value,...]}
     * @return the results that match the selector
     * @throws IllegalArgumentException if the selector is malformed
     */
    public static List<BenchResult> select(List<BenchResult> results, String selector) {
        String benchmark = selector;
        Map<String, String> wanted = new TreeMap<>();
        int open = selector.indexOf('[');
        if (open >= 0) {
            if (!selector.endsWith("]")) {
                throw new IllegalArgumentException("selector '" + selector + "' must end with ']'");
            }
            benchmark = selector.substring(0, open);
            String inside = selector.substring(open + 1, selector.length() - 1);
            for (String pair : inside.split(",")) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException(
                            "selector '" + selector + "' has a parameter without '=': " + pair);
                }
                wanted.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
            }
        }
        List<BenchResult> matched = new ArrayList<>();
        for (BenchResult r : results) {
            if (r.benchmark().equals(benchmark)
                    && wanted.entrySet().stream()
                            .allMatch(e -> e.getValue().equals(r.params().get(e.getKey())))) {
                matched.add(r);
            }
        }
        return matched;
    }
}
