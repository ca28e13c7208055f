package org.pagecache.stress;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Everything that went wrong in a run, collected from every thread: byte mismatches against the model,
 * unexpected errors, and hangs. Any of them fails the run. The first few of each are kept in full.
 */
final class Failures {

    static final int KEPT = 20;

    private final LongAdder mismatchedBytes = new LongAdder();
    private final AtomicLong mismatches = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final List<String> details = new ArrayList<>();
    private volatile boolean hung;

    /** @return whether anything failed */
    boolean any() {
        return mismatches.get() > 0 || errors.get() > 0 || hung;
    }

    long mismatchedBytes() {
        return mismatchedBytes.sum();
    }

    /** @return checked ranges (a page, or part of one) that held a byte other than the model's */
    long mismatches() {
        return mismatches.get();
    }

    long errors() {
        return errors.get();
    }

    boolean hung() {
        return hung;
    }

    /** @return the kept failure descriptions, first first */
    synchronized List<String> details() {
        return List.copyOf(details);
    }

    /**
     * Records a range whose bytes differ from the model.
     *
     * @param phase       where it was seen (live read, final pass through the cache, final pass from disk)
     * @param fileName    the file
     * @param position    file position of {@code actual[0]}
     * @param actual      the bytes read
     * @param expected    the model's bytes
     * @param differing   how many of the bytes differ
     * @param first       index of the first differing byte
     * @param modelText   the model of the page, as text
     */
    void mismatch(
            String phase,
            String fileName,
            long position,
            byte[] actual,
            int actualOff,
            byte[] expected,
            int expectedOff,
            int length,
            int differing,
            int first,
            String modelText) {
        mismatches.incrementAndGet();
        mismatchedBytes.add(differing);
        long at = position + first;
        boolean allZero = true;
        for (int i = 0; i < length; i++) {
            if (actual[actualOff + i] != 0) {
                allZero = false;
                break;
            }
        }
        keep(String.format(
                "MISMATCH (%s) %s at offset %d: expected 0x%02x, found 0x%02x; %d of %d bytes checked "
                        + "from offset %d differ%s; model of the page: %s",
                phase,
                fileName,
                at,
                expected[expectedOff + first] & 0xFF,
                actual[actualOff + first] & 0xFF,
                differing,
                length,
                position,
                allZero ? " (all checked bytes are zero)" : "",
                modelText));
    }

    /** Records an unexpected error. */
    void error(String what, Throwable t) {
        errors.incrementAndGet();
        if (t == null) {
            keep("ERROR " + what);
            return;
        }
        StringWriter sw = new StringWriter();
        t.printStackTrace(new PrintWriter(sw));
        keep("ERROR " + what + ": " + sw.toString().stripTrailing());
    }

    /** Records a hang, with the thread dump taken. */
    void hang(String what, String threadDump) {
        hung = true;
        errors.incrementAndGet();
        keep("HANG " + what + "\n" + threadDump);
    }

    private synchronized void keep(String detail) {
        if (details.size() < KEPT) {
            details.add(detail);
        }
    }
}
