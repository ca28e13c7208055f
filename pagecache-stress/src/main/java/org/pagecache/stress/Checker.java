package org.pagecache.stress;

import java.util.Arrays;

/**
 * Compares bytes read from a cached file (through the cache, or from the file on disk) with its
 * {@link FileModel}. One per thread: it owns a scratch buffer.
 */
final class Checker {

    private final Failures failures;
    private final ThreadStats stats;
    private byte[] expected = new byte[0];

    Checker(Failures failures, ThreadStats stats) {
        this.failures = failures;
        this.stats = stats;
    }

    /**
     * Checks bytes {@code [from, to)} of {@code page}, read into {@code actual[actualOff, ...)}, against the page
     * runs {@code pageRuns} (a snapshot valid for the read).
     *
     * @return whether they matched (an {@link FileModel#UNKNOWN} page is skipped and counts as matching)
     */
    boolean checkPage(
            String phase,
            FileModel model,
            String fileName,
            int page,
            int from,
            int to,
            long[] pageRuns,
            byte[] actual,
            int actualOff) {
        int length = to - from;
        if (pageRuns == FileModel.UNKNOWN) {
            stats.skippedBytes += length;
            return true;
        }
        if (expected.length < length) {
            expected = new byte[Math.max(length, model.pageSize)];
        }
        model.expected(pageRuns, page, from, to, expected, 0);
        stats.verifiedBytes += length;
        int first = Arrays.mismatch(actual, actualOff, actualOff + length, expected, 0, length);
        if (first < 0) {
            return true;
        }
        int differing = 0;
        for (int i = first; i < length; i++) {
            if (actual[actualOff + i] != expected[i]) {
                differing++;
            }
        }
        String hint = "";
        if (pageRuns != null) {
            // the page's initial content where the model has writes: those writes were lost
            model.expected(null, page, from, to, expected, 0);
            if (Arrays.mismatch(actual, actualOff, actualOff + length, expected, 0, length) < 0) {
                hint = "; the bytes read are the file's initial content: writes to the page were lost";
            }
            model.expected(pageRuns, page, from, to, expected, 0);
        }
        failures.mismatch(
                phase,
                fileName,
                (long) page * model.pageSize + from,
                actual,
                actualOff,
                expected,
                0,
                length,
                differing,
                first,
                model.describe(pageRuns, page) + hint);
        return false;
    }
}
