package org.pagecache.jmh.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * One benchmark result of a JMH JSON result file: the benchmark, its parameters, the primary score and the
 * secondary metrics (such as {@code gc.alloc.rate.norm} from {@code -prof gc}).
 *
 * @param benchmark the benchmark as {@code Class.method} (the package dropped)
 * @param mode      JMH's mode: {@code thrpt}, {@code avgt}, {@code sample}, {@code ss}
 * @param threads   threads that ran it
 * @param params    its {@code @Param} values, sorted by name
 * @param score     the primary score
 * @param error     the primary score's error (half the 99.9% confidence interval), NaN if unknown
 * @param unit      the primary score's unit, such as {@code ops/us} or {@code us/op}
 * @param secondary the secondary metrics' scores by name
 * @param secondaryRaw the secondary metrics' per-iteration values by name (every fork's iterations, in order)
 */
public record BenchResult(
        String benchmark,
        String mode,
        int threads,
        Map<String, String> params,
        double score,
        double error,
        String unit,
        Map<String, Double> secondary,
        Map<String, List<Double>> secondaryRaw) {

    /** The secondary metric of {@code -prof gc}: bytes allocated per operation by every thread of the JVM. */
    public static final String GC_ALLOC_NORM = "gc.alloc.rate.norm";

    /** The secondary metric of {@code -prof org.pagecache.jmh.ThreadAllocProfiler}: the working threads only. */
    public static final String THREAD_ALLOC_NORM = "alloc.threads.norm";

    /**
     * Reads the results of one JMH JSON result file.
     *
     * @param json the file's text
     * @return its results, in file order
     * @throws IllegalArgumentException if the text is not a JMH JSON result file
     */
    public static List<BenchResult> parseAll(String json) {
        Object root = Json.parse(json);
        if (!(root instanceof List<?> list)) {
            throw new IllegalArgumentException("a JMH result file is a JSON array, not " + describe(root));
        }
        List<BenchResult> results = new ArrayList<>();
        for (Object item : list) {
            results.add(of(item));
        }
        return results;
    }

    private static BenchResult of(Object item) {
        Map<?, ?> run = map(item, "result");
        String benchmark = string(run.get("benchmark"), "benchmark");
        int cut = benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1);
        String simple = benchmark.substring(cut + 1);
        String mode = string(run.get("mode"), "mode");
        int threads = (int) number(run.containsKey("threads") ? run.get("threads") : 1.0, "threads");
        Map<String, String> params = new TreeMap<>();
        if (run.get("params") instanceof Map<?, ?> p) {
            p.forEach((k, v) -> params.put(String.valueOf(k), String.valueOf(v)));
        }
        Map<?, ?> primary = map(run.get("primaryMetric"), "primaryMetric");
        double score = number(primary.get("score"), "primaryMetric.score");
        double error = primary.containsKey("scoreError") ? number(primary.get("scoreError"), "scoreError") : Double.NaN;
        String unit = string(primary.get("scoreUnit"), "primaryMetric.scoreUnit");
        Map<String, Double> secondary = new LinkedHashMap<>();
        Map<String, List<Double>> secondaryRaw = new LinkedHashMap<>();
        if (run.get("secondaryMetrics") instanceof Map<?, ?> s) {
            s.forEach((k, v) -> {
                if (v instanceof Map<?, ?> metric && metric.containsKey("score")) {
                    String name = String.valueOf(k);
                    secondary.put(name, number(metric.get("score"), name + ".score"));
                    List<Double> raw = new ArrayList<>();
                    if (metric.get("rawData") instanceof List<?> forks) {
                        for (Object fork : forks) {
                            if (fork instanceof List<?> iterations) {
                                for (Object x : iterations) {
                                    raw.add(number(x, name + ".rawData"));
                                }
                            }
                        }
                    }
                    secondaryRaw.put(name, List.copyOf(raw));
                }
            });
        }
        return new BenchResult(
                simple,
                mode,
                threads,
                Map.copyOf(params),
                score,
                error,
                unit,
                Map.copyOf(secondary),
                Map.copyOf(secondaryRaw));
    }

    /**
     * The primary score as operations per second, whatever the mode's unit: a throughput unit
     * ({@code ops/us}) is scaled, a time unit ({@code us/op}) is inverted.
     *
     * @return operations per second
     * @throws IllegalStateException if the unit is not one JMH writes
     */
    public double opsPerSecond() {
        int slash = unit.indexOf('/');
        if (slash < 0) {
            throw new IllegalStateException("unknown unit '" + unit + "' of " + benchmark);
        }
        String top = unit.substring(0, slash);
        String bottom = unit.substring(slash + 1);
        if (top.equals("ops")) {
            return score / seconds(bottom);
        }
        if (bottom.equals("op")) {
            return 1.0 / (score * seconds(top));
        }
        throw new IllegalStateException("unknown unit '" + unit + "' of " + benchmark);
    }

    /**
     * Bytes allocated per operation in the steady state: the median over the measurement iterations of
     * {@value #THREAD_ALLOC_NORM} if the run had that profiler, else of {@value #GC_ALLOC_NORM}.
     *
     * <p>The median, not JMH's mean, because JMH runs a trial's {@code @TearDown} on the benchmark thread inside
     * the last measurement iteration, so that iteration also counts what closing the cache and deleting the
     * scratch files allocated. A path that allocates per operation allocates in every iteration, so the median
     * still shows it.
     *
     * @return bytes per operation, or NaN if the run had neither profiler
     */
    public double allocatedBytesPerOp() {
        List<Double> raw = secondaryRaw.getOrDefault(THREAD_ALLOC_NORM, secondaryRaw.get(GC_ALLOC_NORM));
        if (raw == null || raw.isEmpty()) {
            return Double.NaN;
        }
        return median(raw);
    }

    /** @return JMH's {@value #GC_ALLOC_NORM} (the mean over iterations, all threads), or NaN */
    public double gcAllocNorm() {
        return secondary.getOrDefault(GC_ALLOC_NORM, Double.NaN);
    }

    /** @return the median of {@code values}, which must not be empty */
    static double median(List<Double> values) {
        double[] sorted =
                values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /** @return {@code Class.method} and the parameters, e.g. {@code HitReadBenchmark.cacheDirect[readSize=4096]} */
    public String label() {
        if (params.isEmpty()) {
            return benchmark;
        }
        StringJoiner joined = new StringJoiner(",", benchmark + "[", "]");
        new TreeMap<>(params).forEach((k, v) -> joined.add(k + "=" + v));
        return joined.toString();
    }

    private static double seconds(String unit) {
        return switch (unit) {
            case "ns" -> 1e-9;
            case "us" -> 1e-6;
            case "ms" -> 1e-3;
            case "s" -> 1.0;
            case "min" -> 60.0;
            case "hr" -> 3600.0;
            case "day" -> 86400.0;
            default -> throw new IllegalStateException("unknown time unit '" + unit + "'");
        };
    }

    private static Map<?, ?> map(Object value, String what) {
        if (value instanceof Map<?, ?> m) {
            return m;
        }
        throw new IllegalArgumentException(what + " must be a JSON object, not " + describe(value));
    }

    private static String string(Object value, String what) {
        if (value instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException(what + " must be a string, not " + describe(value));
    }

    private static double number(Object value, String what) {
        if (value instanceof Double d) {
            return d;
        }
        if (value instanceof String s) { // JMH writes "NaN" and "Infinity" as strings
            try {
                return Double.parseDouble(s);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(what + " must be a number, not \"" + s + "\"");
            }
        }
        throw new IllegalArgumentException(what + " must be a number, not " + describe(value));
    }

    private static String describe(Object value) {
        return value == null ? "null" : value.getClass().getSimpleName();
    }
}
