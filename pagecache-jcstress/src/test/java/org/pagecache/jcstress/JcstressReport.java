package org.pagecache.jcstress;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The final report of a verbose jcstress run ({@code -v}), parsed: per test, its status and the count of every
 * outcome row of "Results across all configurations"; and the checks that make a run pass.
 */
final class JcstressReport {
    private static final Pattern TEST_LINE = Pattern.compile("^\\.+ \\[([A-Z ]+)\\] (\\S+)\\s*$");
    private static final Pattern ROW = Pattern.compile(
            "^\\s+(.+?)\\s+([\\d,]+)\\s+(?:<?[\\d.]+%)\\s+(Acceptable|Interesting|Forbidden|Unknown)\\s+(.*)$");

    final Map<String, Test> tests;

    private JcstressReport(Map<String, Test> tests) {
        this.tests = tests;
    }

    /** Parses the part of jcstress's output from its last "RUN RESULTS:" line on (none: no test). */
    static JcstressReport parse(String output) {
        Map<String, Test> tests = new LinkedHashMap<>();
        int at = output.lastIndexOf("RUN RESULTS:");
        if (at >= 0) {
            Test current = null;
            for (String line : output.substring(at).split("\\R")) {
                Matcher t = TEST_LINE.matcher(line);
                if (t.matches()) {
                    current = new Test(t.group(2), t.group(1).trim(), new ArrayList<>());
                    tests.put(current.name, current);
                    continue;
                }
                Matcher r = ROW.matcher(line);
                if (current != null && r.matches()) {
                    current.rows.add(new Row(
                            r.group(1).trim(),
                            Long.parseLong(r.group(2).replace(",", "")),
                            r.group(3),
                            r.group(4).trim()));
                }
            }
        }
        return new JcstressReport(tests);
    }

    /**
     * Everything wrong with a run: a non-zero exit, an expected test missing, not passed or without samples, an
     * observed FORBIDDEN or unknown outcome. Empty when the run passed.
     */
    List<String> problems(int exitCode, Set<String> expected) {
        List<String> problems = new ArrayList<>();
        if (exitCode != 0) {
            problems.add("jcstress exited with " + exitCode);
        }
        for (String name : expected) {
            Test test = tests.get(name);
            if (test == null) {
                problems.add(name + " was not run");
                continue;
            }
            if (!test.status.equals("OK")) {
                problems.add(name + " did not pass: [" + test.status + "]");
            }
            if (test.samples() == 0) {
                problems.add(name + " ran no sample");
            }
            for (Row row : test.rows) {
                if ((row.expect.equals("Forbidden") || row.expect.equals("Unknown")) && row.samples > 0) {
                    problems.add(name + " observed " + row.samples + " x forbidden outcome [" + row.outcome + "] "
                            + row.desc);
                }
            }
        }
        return problems;
    }

    /** A readable table of every test's outcome counts. */
    String table() {
        StringBuilder b = new StringBuilder();
        for (Test test : tests.values()) {
            b.append('\n')
                    .append('[')
                    .append(test.status)
                    .append("] ")
                    .append(test.name)
                    .append(String.format(" (%,d samples)%n", test.samples()));
            for (Row row : test.rows) {
                b.append(String.format("  %-22s %,14d  %-11s %s%n", row.outcome, row.samples, row.expect, row.desc));
            }
        }
        return b.toString();
    }

    /** One test's results across all configurations. */
    record Test(String name, String status, List<Row> rows) {
        long samples() {
            return rows.stream().mapToLong(Row::samples).sum();
        }
    }

    /** One outcome row: the observed state (or the pattern of an outcome never observed), count, grading. */
    record Row(String outcome, long samples, String expect, String desc) {}
}
