package org.pagecache.jcstress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The generated test list, and the checks that decide whether a jcstress run passes, on report text in jcstress's
 * format.
 */
class JcstressReportTest {
    private static final String PASSING = """
            (Results: 2 planned; 2 passed, 0 failed, 0 soft errs, 0 hard errs)

            RUN RESULTS:
              Interesting tests: No matches.

              Failed tests: No matches.

              Error tests: No matches.

              All remaining tests: 2 matching test results.

            .......... [OK] org.pagecache.jcstress.PinVsIdleLock

              Results across all configurations:

                    RESULT  SAMPLES     FREQ       EXPECT  DESCRIPTION
                  0, 0, .*        0    0.00%    Forbidden  Neither succeeded.
                0, 1, 0, 1   15,956   21.43%   Acceptable  The reclaimer won: locked, no pin.
                1, 0, 1, 0   58,502   78.57%   Acceptable  The pin won: one pin, not locked.
                  1, 1, .*        0    0.00%    Forbidden  Both succeeded: a pinned frame is locked for eviction.

            .......... [OK] org.pagecache.jcstress.LockMutualExclusion

              Results across all configurations:

              RESULT  SAMPLES     FREQ       EXPECT  DESCRIPTION
               1, .*        0    0.00%    Forbidden  Lost increment: both actors were inside the lock at once.
                2, 0   78,647  100.00%   Acceptable  Both increments, lock free, no waiter bit left.
            """;

    private static final Set<String> BOTH =
            Set.of("org.pagecache.jcstress.PinVsIdleLock", "org.pagecache.jcstress.LockMutualExclusion");

    @Test
    void theAnnotationProcessorGeneratedEveryTest() throws Exception {
        assertEquals(FrameProtocolJcstressTest.EXPECTED, FrameProtocolJcstressTest.generatedTests());
    }

    @Test
    void parsesStatusAndCounts() {
        JcstressReport report = JcstressReport.parse(PASSING);
        assertEquals(BOTH, report.tests.keySet());
        JcstressReport.Test pin = report.tests.get("org.pagecache.jcstress.PinVsIdleLock");
        assertEquals("OK", pin.status());
        assertEquals(4, pin.rows().size());
        assertEquals(15_956 + 58_502, pin.samples());
        assertEquals(
                new JcstressReport.Row("1, 0, 1, 0", 58_502, "Acceptable", "The pin won: one pin, not locked."),
                pin.rows().get(2));
        assertEquals(List.of(), report.problems(0, BOTH));
    }

    @Test
    void aForbiddenOutcomeFails() {
        String failing = PASSING.replace(
                        "[OK] org.pagecache.jcstress.LockMutualExclusion",
                        "[FAILED] org.pagecache.jcstress.LockMutualExclusion")
                .replace("   1, .*        0    0.00%    Forbidden", "   1, 0        3    0.01%    Forbidden");
        List<String> problems = JcstressReport.parse(failing).problems(1, BOTH);
        assertEquals(3, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("exited with 1"), problems.toString());
        assertTrue(problems.get(1).contains("LockMutualExclusion did not pass: [FAILED]"), problems.toString());
        assertTrue(problems.get(2).contains("observed 3 x forbidden outcome [1, 0]"), problems.toString());
    }

    @Test
    void aForbiddenCountFailsEvenIfJcstressSaidOk() {
        String failing = PASSING.replace("1, 1, .*        0    0.00%", "1, 1, 0, 1        1   <0.01%");
        List<String> problems = JcstressReport.parse(failing).problems(0, BOTH);
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(
                problems.get(0).contains("PinVsIdleLock observed 1 x forbidden outcome [1, 1, 0, 1]"),
                problems.toString());
    }

    @Test
    void aMissingTestOrNoSampleFails() {
        JcstressReport report =
                JcstressReport.parse(PASSING.replace("15,956", "0").replace("58,502", "0"));
        List<String> problems = report.problems(
                0, Set.of("org.pagecache.jcstress.PinVsIdleLock", "org.pagecache.jcstress.WriteBackVsWrite"));
        assertEquals(
                List.of(
                        "org.pagecache.jcstress.PinVsIdleLock ran no sample",
                        "org.pagecache.jcstress.WriteBackVsWrite was not run"),
                problems.stream().sorted().toList());
    }

    @Test
    void noResultsAtAllFails() {
        JcstressReport report = JcstressReport.parse("FATAL: No matching tests.\n");
        assertTrue(report.tests.isEmpty());
        assertEquals(2, report.problems(0, BOTH).size());
    }
}
