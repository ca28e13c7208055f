package org.pagecache.jmh.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RatioReportTest {

    /** A result as JMH 1.37 writes it with {@code -rf json -prof gc} (trimmed of fields the report ignores). */
    private static String result(
            String benchmark, String params, double score, String error, String unit, String alloc) {
        return """
                {
                    "jmhVersion" : "1.37",
                    "benchmark" : "org.pagecache.jmh.%s",
                    "mode" : "thrpt",
                    "threads" : 1,
                    "forks" : 1,
                    "jvmArgs" : [ "-Xms1g", "-Xmx1g" ],
                    "params" : { %s },
                    "primaryMetric" : {
                        "score" : %s,
                        "scoreError" : %s,
                        "scoreConfidence" : [ 1.0, 2.0 ],
                        "scorePercentiles" : { "0.0" : 1.0, "100.0" : 2.0 },
                        "scoreUnit" : "%s",
                        "rawData" : [ [ 1.0E1, 2.5e-1 ] ]
                    },
                    "secondaryMetrics" : {
                        "gc.alloc.rate" : { "score" : 0.01, "scoreError" : "NaN", "scoreUnit" : "MB/sec",
                                            "rawData" : [ [ 0.01 ] ] },
                        "gc.alloc.rate.norm" : { "score" : %s, "scoreError" : 0.0, "scoreUnit" : "B/op",
                                                 "rawData" : [ [ %s ] ] }
                    }
                }""".formatted(benchmark, params, score, error, unit, alloc, alloc);
    }

    private static List<BenchResult> run(String... results) {
        return BenchResult.parseAll("[" + String.join(",\n", results) + "]");
    }

    @Test
    void parsesJmhResultFiles() {
        List<BenchResult> results = run(
                result(
                        "HitReadBenchmark.cacheDirect",
                        "\"readSize\" : \"4096\", \"workingSetMiB\" : \"64\"",
                        12.5,
                        "0.5",
                        "ops/us",
                        "0.0004"),
                result(
                        "StreamingWriteBenchmark.channelStream",
                        "\"cacheMiB\" : \"8\"",
                        3.0,
                        "\"NaN\"",
                        "ops/s",
                        "1234.5"));
        assertEquals(2, results.size());
        BenchResult hit = results.get(0);
        assertEquals("HitReadBenchmark.cacheDirect", hit.benchmark());
        assertEquals(Map.of("readSize", "4096", "workingSetMiB", "64"), hit.params());
        assertEquals(12.5e6, hit.opsPerSecond(), 1e-3);
        assertEquals(0.5, hit.error());
        assertEquals(0.0004, hit.allocatedBytesPerOp());
        assertEquals("HitReadBenchmark.cacheDirect[readSize=4096,workingSetMiB=64]", hit.label());
        BenchResult stream = results.get(1);
        assertEquals(3.0, stream.opsPerSecond());
        assertTrue(Double.isNaN(stream.error()), "JMH writes an unknown error as the string NaN");
        assertEquals(1234.5, stream.allocatedBytesPerOp());
    }

    @Test
    void convertsEveryUnitToOperationsPerSecond() {
        BenchResult avgt = new BenchResult("A.b", "avgt", 1, Map.of(), 250.0, 1.0, "ns/op", Map.of(), Map.of());
        assertEquals(4e6, avgt.opsPerSecond(), 1e-6);
        BenchResult perMs = new BenchResult("A.b", "thrpt", 1, Map.of(), 3.0, 1.0, "ops/ms", Map.of(), Map.of());
        assertEquals(3000.0, perMs.opsPerSecond(), 1e-9);
        BenchResult odd = new BenchResult("A.b", "thrpt", 1, Map.of(), 3.0, 1.0, "bytes", Map.of(), Map.of());
        assertThrows(IllegalStateException.class, odd::opsPerSecond);
    }

    @Test
    void allocationIsTheMedianIterationAndPrefersTheThreadProfiler() {
        String json = """
                [ {
                    "benchmark" : "org.pagecache.jmh.WriteBenchmark.writeHeap", "mode" : "thrpt", "threads" : 1,
                    "params" : { },
                    "primaryMetric" : { "score" : 2.0, "scoreError" : 0.1, "scoreUnit" : "ops/us" },
                    "secondaryMetrics" : {
                        "gc.alloc.rate.norm" : { "score" : 0.8, "scoreUnit" : "B/op", "rawData" : [ [ 0.2, 0.2, 2.0 ] ] },
                        "alloc.threads.norm" : { "score" : 0.6, "scoreUnit" : "B/op", "rawData" : [ [ 0.0002, 0.0001, 1.8 ] ] }
                    }
                }, {
                    "benchmark" : "org.pagecache.jmh.WriteBenchmark.writeDirect", "mode" : "thrpt", "threads" : 1,
                    "params" : { },
                    "primaryMetric" : { "score" : 2.0, "scoreError" : 0.1, "scoreUnit" : "ops/us" },
                    "secondaryMetrics" : {
                        "gc.alloc.rate.norm" : { "score" : 24.0, "scoreUnit" : "B/op", "rawData" : [ [ 24.0, 24.0 ], [ 24.0, 30.0 ] ] }
                    }
                } ]""";
        List<BenchResult> results = BenchResult.parseAll(json);
        // the last iteration holds the trial's tear-down; the median ignores it, a real per-op cost is in all
        assertEquals(0.0002, results.get(0).allocatedBytesPerOp(), 1e-12);
        assertEquals(0.8, results.get(0).gcAllocNorm(), 1e-12);
        // without the thread profiler, gc.alloc.rate.norm over both forks: median of 24, 24, 24, 30
        assertEquals(24.0, results.get(1).allocatedBytesPerOp(), 1e-12);
        assertEquals(
                Target.Verdict.PASS,
                Target.allocAtMost("a", 0.01, "WriteBenchmark.writeHeap")
                        .evaluate(results)
                        .verdict());
        assertEquals(
                Target.Verdict.FAIL,
                Target.allocAtMost("a", 0.01, "WriteBenchmark.writeDirect")
                        .evaluate(results)
                        .verdict());
    }

    @Test
    void judgesEachKindOfTarget() {
        List<BenchResult> results = run(
                result("HitReadBenchmark.cacheDirect", "\"readSize\" : \"4096\"", 8.0, "0.1", "ops/us", "0.0"),
                result("HitReadBenchmark.cacheDirect", "\"readSize\" : \"64\"", 40.0, "0.1", "ops/us", "24.0"),
                result("HitReadBenchmark.rawCopyDirect", "\"readSize\" : \"4096\"", 10.0, "0.1", "ops/us", "0.0"),
                result("HitReadBenchmark.channelDirect", "\"readSize\" : \"4096\"", 2.5, "0.1", "ops/us", "0.0"));

        // time ratio: raw 10 ops/us, ours 8 ops/us -> ours costs 1.25x the raw copy
        Target.Line cost = Target.costAtMost(
                        "c",
                        1.5,
                        "HitReadBenchmark.cacheDirect[readSize=4096]",
                        "HitReadBenchmark.rawCopyDirect[readSize=4096]")
                .evaluate(results);
        assertEquals(1.25, cost.value(), 1e-12);
        assertEquals(Target.Verdict.PASS, cost.verdict());
        Target.Line costTight = Target.costAtMost(
                        "c", 1.2, "HitReadBenchmark.cacheDirect[readSize=4096]", "HitReadBenchmark.rawCopyDirect")
                .evaluate(results);
        assertEquals(Target.Verdict.FAIL, costTight.verdict());

        // speed-up: 8 / 2.5 = 3.2
        Target.Line speed = Target.speedupAtLeast(
                        "s", 4.0, "HitReadBenchmark.cacheDirect[readSize=4096]", "HitReadBenchmark.channelDirect")
                .evaluate(results);
        assertEquals(3.2, speed.value(), 1e-12);
        assertEquals(Target.Verdict.FAIL, speed.verdict());

        Target.Line zero = Target.allocAtMost("a", 0.01, "HitReadBenchmark.cacheDirect[readSize=4096]")
                .evaluate(results);
        assertEquals(Target.Verdict.PASS, zero.verdict());
        Target.Line allocating = Target.allocAtMost("a", 0.01, "HitReadBenchmark.cacheDirect[readSize=64]")
                .evaluate(results);
        assertEquals(Target.Verdict.FAIL, allocating.verdict());
        assertEquals(24.0, allocating.value());

        Target.Line context = Target.info(
                        "i", "HitReadBenchmark.cacheDirect[readSize=4096]", "HitReadBenchmark.channelDirect")
                .evaluate(results);
        assertEquals(Target.Verdict.INFO, context.verdict());
        assertEquals(3.2, context.value(), 1e-12);
    }

    @Test
    void reportsMissingAndAmbiguousResultsInsteadOfGuessing() {
        List<BenchResult> results = run(
                result("HitReadBenchmark.cacheDirect", "\"readSize\" : \"4096\"", 8.0, "0.1", "ops/us", "0.0"),
                result("HitReadBenchmark.cacheDirect", "\"readSize\" : \"64\"", 40.0, "0.1", "ops/us", "0.0"));
        Target.Line absentPeer = Target.speedupAtLeast(
                        "s",
                        1.0,
                        "HitReadBenchmark.cacheDirect[readSize=64]",
                        "HitReadBenchmark.caffeineHeap[readSize=64]")
                .evaluate(results);
        assertEquals(Target.Verdict.MISSING, absentPeer.verdict());
        assertTrue(absentPeer.why().contains("caffeineHeap"), absentPeer.why());
        Target.Line ambiguous =
                Target.allocAtMost("a", 0.01, "HitReadBenchmark.cacheDirect").evaluate(results);
        assertEquals(Target.Verdict.MISSING, ambiguous.verdict());
        assertTrue(ambiguous.why().startsWith("2 results match"), ambiguous.why());
        assertNull(ambiguous.ours());
    }

    @Test
    void rendersTheTableWithEveryTargetAndTheSummary() {
        List<BenchResult> results = run(
                result("WriteBenchmark.writeHeap", "\"workingSetMiB\" : \"64\"", 5.0, "0.2", "ops/us", "0.0001"),
                result("WriteBenchmark.rawCopy", "\"workingSetMiB\" : \"64\"", 10.0, "0.2", "ops/us", "0.0"),
                result("WriteBenchmark.writeMappedSegment", "\"workingSetMiB\" : \"64\"", 4.5, "0.2", "ops/us", "0.0"));
        List<Target> targets = List.of(
                Target.costAtMost("Write from byte[]", 1.5, "WriteBenchmark.writeHeap", "WriteBenchmark.rawCopy"),
                Target.costAtMost(
                        "Write from a mapped file", 2.5, "WriteBenchmark.writeMappedSegment", "WriteBenchmark.rawCopy"),
                Target.allocAtMost("Allocation: write from byte[]", 0.01, "WriteBenchmark.writeHeap"),
                Target.speedupAtLeast(
                        "Miss path", 0.75, "MissReadBenchmark.cacheRead", "MissReadBenchmark.channelRead"),
                Target.info("Context without results", "MissReadBenchmark.cacheRead", "WriteBenchmark.rawCopy"));
        String table = RatioReport.render(RatioReport.evaluate(targets, results), results);
        List<BenchResult> meta = BenchResult.parseAll("""
                [ { "benchmark" : "org.pagecache.jmh.MetadataFootprint.bytesPerCachedPage", "mode" : "ss",
                    "threads" : 1, "params" : { },
                    "primaryMetric" : { "score" : 28.25, "scoreError" : "NaN", "scoreUnit" : "B/page" },
                    "secondaryMetrics" : { } } ]""");
        String metaTable = RatioReport.render(
                RatioReport.evaluate(
                        List.of(Target.valueAtMost("Metadata", 16, "MetadataFootprint.bytesPerCachedPage")), meta),
                meta);
        assertTrue(
                metaTable.contains("| Metadata | 28.25 B/page | - | 28.25 B/page | <= 16.0 | **FAIL** |"), metaTable);

        assertTrue(table.contains("| Write from byte[] | 5.00 M/s | 10.00 M/s | 2.00x | <= 1.50x | **FAIL** |"), table);
        assertTrue(
                table.contains("| Write from a mapped file | 4.50 M/s | 10.00 M/s | 2.22x | <= 2.50x | PASS |"), table);
        assertTrue(
                table.contains("| Allocation: write from byte[] | 5.00 M/s | - | 0.000 B/op | <= 0.01 B/op | PASS |"),
                table);
        assertTrue(
                table.contains(
                        "| Miss path | - | - | - | >= 0.75x | missing: no result for MissReadBenchmark.cacheRead |"),
                table);
        // a context line without results is shown but is not a target
        assertTrue(
                table.contains(
                        "| Context without results | - | - | - |  | missing: no result for MissReadBenchmark.cacheRead |"),
                table);
        assertTrue(table.contains("Targets met: 2 of 4 (missed: 1, without results: 1)"), table);
        assertTrue(
                table.contains(
                        "| WriteBenchmark.rawCopy[workingSetMiB=64] | 1 | 10.00 M/s | ±2.0% | 0.000 B/op | 0.000 B/op |"),
                table);
        assertFalse(table.contains("NaN"), table);
    }

    @Test
    void everyBuiltInTargetNamesABenchmarkThatExists() throws ClassNotFoundException {
        for (Target t : RatioReport.TARGETS) {
            for (String selector : new String[] {t.ours(), t.peer()}) {
                if (selector == null) {
                    continue;
                }
                if (selector.startsWith("MetadataFootprint.")) {
                    // not JMH: a main that writes this result; it must exist and be runnable
                    Class<?> footprint = Class.forName("org.pagecache.jmh.MetadataFootprint");
                    assertTrue(
                            java.util.Arrays.stream(footprint.getMethods())
                                    .anyMatch(m -> m.getName().equals("main")),
                            "MetadataFootprint has no main");
                    continue;
                }
                String benchmark = selector.contains("[") ? selector.substring(0, selector.indexOf('[')) : selector;
                String type = benchmark.substring(0, benchmark.indexOf('.'));
                String method = benchmark.substring(benchmark.indexOf('.') + 1);
                Class<?> c = Class.forName("org.pagecache.jmh." + type);
                boolean found = false;
                for (var m : c.getMethods()) {
                    found |= m.getName().equals(method)
                            && m.isAnnotationPresent(org.openjdk.jmh.annotations.Benchmark.class);
                }
                assertTrue(found, "target '" + t.name() + "' names " + selector + ", which is not a @Benchmark");
            }
        }
    }

    @Test
    void jsonParserReadsEscapesNumbersAndLiterals() {
        Object value = Json.parse(" {\"a\\n\\u0041\" : [1, -2.5e3, true, false, null, \"x\\\"y\"], \"b\" : {}} ");
        assertEquals(
                Map.of("a\nA", java.util.Arrays.asList(1.0, -2500.0, true, false, null, "x\"y"), "b", Map.of()), value);
    }

    @Test
    void jsonParserRejectsMalformedInputNamingTheOffset() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse("[1, 2"));
        assertTrue(e.getMessage().contains("offset 5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\" 1}"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[1] x"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("\"unterminated"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[1.2.3]"));
        assertThrows(IllegalArgumentException.class, () -> BenchResult.parseAll("{\"not\" : \"an array\"}"));
    }
}
