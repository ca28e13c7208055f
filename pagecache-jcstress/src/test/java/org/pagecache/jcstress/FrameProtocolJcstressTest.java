package org.pagecache.jcstress;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Runs the jcstress tests of this module in a child JVM (jcstress forks further JVMs of its own) and fails the
 * build if jcstress exits with an error, if any expected test was not generated, not run, not passed or ran no
 * sample, or if any outcome graded FORBIDDEN was observed. The outcome counts are printed and written to
 * {@code target/jcstress/summary.txt}; jcstress's own output and HTML report are in {@code target/jcstress/}.
 *
 * <p>System properties:
 * <ul>
 *   <li>{@code pagecache.jcstress.mode}: {@code ci} (default: jcstress's quick preset cut down to one 100 ms
 *       iteration per JVM configuration, unified compilation, about two minutes on two cores), or any jcstress
 *       preset ({@code sanity}, {@code quick}, {@code default}, {@code tough}, {@code stress}) as jcstress
 *       defines it;</li>
 *   <li>{@code pagecache.jcstress.tests}: a regular expression selecting tests (default: all of this module);</li>
 *   <li>{@code pagecache.jcstress.args}: further jcstress arguments, space-separated;</li>
 *   <li>{@code pagecache.jcstress.timeoutMinutes}: the deadline of the whole run (default 10 in {@code ci} mode,
 *       else 600), after which the threads of jcstress's JVMs are dumped into the failure and the JVMs killed.</li>
 * </ul>
 */
class FrameProtocolJcstressTest {
    /**
     * The jcstress tests of this module: each must be generated. Every generated test the selection matches (all
     * by default, including any added later) must run and pass.
     */
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

    /** The CI run: quick preset, one 100 ms iteration per JVM configuration, unified compilation. */
    static final List<String> CI_ARGS =
            List.of("-m", "quick", "-sc", "false", "-iters", "1", "-time", "100", "-strideCount", "4");

    @Test
    void frameStateWordProtocol() throws Exception {
        Pattern selection =
                Pattern.compile(System.getProperty("pagecache.jcstress.tests", "org\\.pagecache\\.jcstress\\..*"));
        Set<String> generated = generatedTests();
        assertTrue(
                generated.containsAll(EXPECTED),
                "the jcstress annotation processor did not generate every test: missing " + minus(EXPECTED, generated)
                        + " (is jcstress-core in annotationProcessorPaths?)");
        Set<String> expected = new TreeSet<>();
        generated.stream().filter(n -> selection.matcher(n).matches()).forEach(expected::add);
        assertFalse(expected.isEmpty(), "pagecache.jcstress.tests=" + selection + " selects none of " + generated);

        Path dir = Path.of("target", "jcstress").toAbsolutePath();
        Files.createDirectories(dir);
        Path output = dir.resolve("output.txt");
        String mode = System.getProperty("pagecache.jcstress.mode", "ci");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                "org.openjdk.jcstress.Main"));
        command.addAll(mode.equals("ci") ? CI_ARGS : List.of("-m", mode));
        command.addAll(List.of(
                "-c",
                "2",
                "-v",
                "-t",
                "^(" + selection.pattern() + ")$",
                "-r",
                dir.resolve("results").toString(),
                "-jvmArgsPrepend",
                "--enable-native-access=ALL-UNNAMED"));
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
                    + "\noutput so far (" + output + "):\n" + tail(output, 60));
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        JcstressReport report = JcstressReport.parse(Files.readString(output, StandardCharsets.UTF_8));
        String summary = "jcstress run, mode " + mode + ", " + seconds + " s\ncommand: "
                + String.join(" ", command.subList(4, command.size())) + "\n" + report.table();
        Files.writeString(dir.resolve("summary.txt"), summary, StandardCharsets.UTF_8);
        System.out.println(summary);

        List<String> problems = report.problems(process.exitValue(), expected);
        assertTrue(
                problems.isEmpty(),
                "jcstress run failed:\n  " + String.join("\n  ", problems) + "\nfull output: " + output + "\n"
                        + tail(output, 80));
    }

    /**
     * The tests the annotation processor listed in {@code META-INF/TestList}: one line per test, starting with
     * {@code JCTEST} and the test's class name as a length-prefixed string ({@code 36Sorg.pagecache...}).
     */
    static Set<String> generatedTests() throws IOException {
        Set<String> names = new TreeSet<>();
        try (InputStream in = FrameProtocolJcstressTest.class.getResourceAsStream("/META-INF/TestList")) {
            if (in == null) {
                return names;
            }
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\\R")) {
                if (line.startsWith("JCTEST")) {
                    int s = line.indexOf('S', 6);
                    int length = Integer.parseInt(line.substring(6, s));
                    names.add(line.substring(s + 1, s + 1 + length));
                }
            }
        }
        return names;
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
            b.append("---- pid ")
                    .append(p.pid())
                    .append(": ")
                    .append(cmd, 0, Math.min(cmd.length(), 200))
                    .append('\n');
            try {
                Process dump = new ProcessBuilder(jcmd.toString(), Long.toString(p.pid()), "Thread.print")
                        .redirectErrorStream(true)
                        .start();
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
}
