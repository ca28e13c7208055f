package org.pagecache.jcstress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * Runs the jcstress tests of this module in a child JVM (jcstress forks further JVMs of its own) and fails the
 * build if jcstress reports any failed or errored test, if any expected test was not generated or not run, or if
 * any outcome graded FORBIDDEN was observed. The outcome counts are written to
 * {@code target/jcstress/summary.txt}.
 *
 * <p>System properties:
 * <ul>
 *   <li>{@code pagecache.jcstress.mode}: {@code ci} (default: the quick preset cut down to one 100 ms iteration
 *       per JVM configuration, unified compilation, about two minutes on two cores), or any jcstress preset
 *       ({@code sanity}, {@code quick}, {@code default}, {@code tough}, {@code stress}) run as jcstress defines it;</li>
 *   <li>{@code pagecache.jcstress.args}: further jcstress arguments, space-separated;</li>
 *   <li>{@code pagecache.jcstress.timeoutMinutes}: the deadline of the whole run (default 10 in {@code ci} mode,
 *       else 600), after which the child JVMs' threads are dumped into the failure and the JVMs killed.</li>
 * </ul>
 */
class FrameProtocolJcstressTest {
    /** Every jcstress test of this module: each must be generated, run, and pass. */
    static final Set<String> EXPECTED = new TreeSet<>(List.of(
            "org.pagecache.jcstress.OptimisticReadVsLockedWrite",
            "org.pagecache.jcstress.PinVsIdleLock",
            "org.pagecache.jcstress.PinVsEviction",
            "org.pagecache.jcstress.WriteBackVsWrite",
            "org.pagecache.jcstress.LockMutualExclusion",
            "org.pagecache.jcstress.LockMutualExclusionParked",
            "org.pagecache.jcstress.BrokenOptimisticReadWithoutRevalidation",
            "org.pagecache.jcstress.BrokenOptimisticReadIgnoringVersion",
            "org.pagecache.jcstress.BrokenEvictionIgnoringPins",
            "org.pagecache.jcstress.BrokenWriteBackClearingDirtyAtCompletion",
            "org.pagecache.jcstress.BrokenLockTestThenSet"));

    private static final List<String> CI_ARGS = List.of(
            "-m", "quick", "-sc", "false", "-iters", "1", "-time", "100", "-strideCount", "4");

    private static final Pattern TEST_LINE = Pattern.compile("^\\.+ \\[([A-Z ]+)\\] (\\S+)\\s*$");
    private static final Pattern ROW = Pattern.compile(
            "^\\s+(.+?)\\s+([\\d,]+)\\s+(?:<?[\\d.]+%)\\s+(Acceptable|Interesting|Forbidden|Unknown)\\s+(.*)$");

    @Test
    void frameStateWordProtocol() throws Exception {
        Set<String> generated = generatedTests();
        assertTrue(generated.containsAll(EXPECTED),
                "the jcstress annotation processor did not generate every test: missing "
                        + minus(EXPECTED, generated) + " (is jcstress-core in annotationProcessorPaths?)");

        Path dir = Path.of("target", "jcstress").toAbsolutePath();
        Files.createDirectories(dir);
        Path output = dir.resolve("output.txt");
        String mode = System.getProperty("pagecache.jcstress.mode", "ci");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"),
                "org.openjdk.jcstress.Main"));
        command.addAll(mode.equals("ci") ? CI_ARGS : List.of("-m", mode));
        command.addAll(List.of("-c", "2", "-v",
                "-t", "^org\\.pagecache\\.jcstress\\..*",
                "-r", dir.resolve("results").toString(),
                "-jvmArgsPrepend", "--enable-native-access=ALL-UNNAMED"));
        String extra = System.getProperty("pagecache.jcstress.args", "").trim();
        if (!extra.isEmpty()) {
            command.addAll(Arrays.asList(extra.split("\\s+")));
        }
        long timeoutMinutes = Long.getLong("pagecache.jcstress.timeoutMinutes", mode.equals("ci") ? 10 : 600);

        long start = System.nanoTime();
        Process process = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        if (!process.waitFor(timeoutMinutes, TimeUnit.MINUTES)) {
            String dumps = dumpThreads(process);
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            fail("jcstress did not finish within " + timeoutMinutes + " min; thread dumps of its JVMs:\n" + dumps
                    + "\noutput so far: " + output + "\n" + tail(output, 60));
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        String text = Files.readString(output, StandardCharsets.UTF_8);
        Map<String, TestReport> reports = parse(text);
        Path summary = dir.resolve("summary.txt");
        Files.writeString(summary, summarize(mode, command, seconds, reports), StandardCharsets.UTF_8);
        System.out.println(Files.readString(summary));

        assertEquals(0, process.exitValue(),
                "jcstress failed (exit " + process.exitValue() + "); see " + output + "\n" + tail(output, 80));
        assertTrue(reports.keySet().containsAll(EXPECTED),
                "jcstress did not report every test: missing " + minus(EXPECTED, reports.keySet()) + "; see "
                        + output);
        for (String name : EXPECTED) {
            TestReport report = reports.get(name);
            assertEquals("OK", report.status, name + " did not pass: " + report);
            assertTrue(report.samples() > 0, name + " ran no sample: " + report);
            for (Row row : report.rows) {
                if (row.expect.equals("Forbidden") || row.expect.equals("Unknown")) {
                    assertEquals(0, row.samples, name + " observed a forbidden outcome " + row);
                }
            }
        }
    }

    /** The tests the annotation processor listed in {@code META-INF/TestList}. */
    private static Set<String> generatedTests() throws IOException {
        Set<String> names = new TreeSet<>();
        try (InputStream in = FrameProtocolJcstressTest.class.getResourceAsStream("/META-INF/TestList")) {
            if (in == null) {
                return names;
            }
            String list = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            for (String name : EXPECTED) {
                if (list.contains(name.length() + "S" + name)) { // entries are length-prefixed: 36Sorg...
                    names.add(name);
                }
            }
        }
        return names;
    }

    /** Parses the "RUN RESULTS" part of jcstress's verbose output: per test, status and outcome counts. */
    static Map<String, TestReport> parse(String text) {
        Map<String, TestReport> reports = new LinkedHashMap<>();
        int at = text.lastIndexOf("RUN RESULTS:");
        if (at < 0) {
            return reports;
        }
        TestReport current = null;
        for (String line : text.substring(at).split("\\R")) {
            Matcher t = TEST_LINE.matcher(line);
            if (t.matches()) {
                current = new TestReport(t.group(2), t.group(1).trim());
                reports.put(current.name, current);
                continue;
            }
            Matcher r = ROW.matcher(line);
            if (current != null && r.matches()) {
                current.rows.add(new Row(r.group(1).trim(), Long.parseLong(r.group(2).replace(",", "")),
                        r.group(3), r.group(4).trim()));
            }
        }
        return reports;
    }

    private static String summarize(String mode, List<String> command, long seconds,
            Map<String, TestReport> reports) {
        StringBuilder b = new StringBuilder();
        b.append("jcstress run, mode ").append(mode).append(", ").append(seconds).append(" s\n");
        b.append("command: ").append(String.join(" ", command.subList(4, command.size()))).append('\n');
        for (TestReport report : reports.values()) {
            b.append('\n').append('[').append(report.status).append("] ").append(report.name)
                    .append(" (").append(report.samples()).append(" samples)\n");
            for (Row row : report.rows) {
                b.append(String.format("  %-22s %,14d  %-11s %s%n", row.outcome, row.samples, row.expect, row.desc));
            }
        }
        return b.toString();
    }

    /** Thread dumps of the child JVM and every JVM it forked, through jcmd. */
    private static String dumpThreads(Process process) {
        StringBuilder b = new StringBuilder();
        List<ProcessHandle> all = new ArrayList<>();
        all.add(process.toHandle());
        process.descendants().forEach(all::add);
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        for (ProcessHandle p : all) {
            String cmd = p.info().commandLine().orElse("?");
            b.append("---- pid ").append(p.pid()).append(": ").append(cmd, 0, Math.min(cmd.length(), 200))
                    .append('\n');
            try {
                Process dump = new ProcessBuilder(jcmd.toString(), Long.toString(p.pid()), "Thread.print")
                        .redirectErrorStream(true).start();
                byte[] out = dump.getInputStream().readAllBytes();
                dump.waitFor(30, TimeUnit.SECONDS);
                b.append(new String(out, StandardCharsets.UTF_8));
            } catch (IOException | InterruptedException e) {
                b.append("(no dump: ").append(e).append(")\n");
            }
        }
        return b.toString();
    }

    private static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private static Set<String> minus(Set<String> a, Set<String> b) {
        Set<String> d = new TreeSet<>(a);
        d.removeAll(b);
        return d;
    }

    /** One test's final report. */
    static final class TestReport {
        final String name;
        final String status;
        final List<Row> rows = new ArrayList<>();

        TestReport(String name, String status) {
            this.name = name;
            this.status = status;
        }

        long samples() {
            return rows.stream().mapToLong(Row::samples).sum();
        }

        @Override
        public String toString() {
            return "[" + status + "] " + name + " " + rows;
        }
    }

    /** One outcome row: the observed state (or pattern), its count, its grading. */
    record Row(String outcome, long samples, String expect, String desc) {
    }
}
