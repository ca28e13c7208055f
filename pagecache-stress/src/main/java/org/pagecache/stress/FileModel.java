package org.pagecache.stress;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * What every byte of one cached file must be. Small: each page is a list of <em>runs</em>, each run a
 * {@link Pattern} stream and the offset in it of the run's first byte, so a page written once from one source
 * is one run whatever its size.
 *
 * <p><b>Ownership.</b> Writers own disjoint regions of pages; only the owner of a page changes its model, so
 * models never race with each other. Readers of other threads validate against a per-page <em>version</em>,
 * a sequence lock: the owner makes it odd before it starts a write to the page and even again after the
 * write returned and the model was updated. A reader takes the version, the runs, reads the page through the
 * cache, and takes the version again; only if both are the same even number is the page checked. That is
 * sound because the cache orders a write before any read that sees it: had the reader seen bytes of a write,
 * it would also see the version the writer made odd before that write.
 *
 * <p><b>Run layout.</b> A page's runs are one immutable {@code long[]}, three longs per run, in page order:
 * <pre>
 *   [3i]     first byte of run i within the page (run 0 starts at 0; a run ends where the next starts)
 *   [3i + 1] the Pattern stream of run i
 *   [3i + 2] the stream offset of the run's first byte
 * </pre>
 * {@code null} stands for the page's initial content; {@link #UNKNOWN} for a page whose content cannot be known
 * (an unexpected error interrupted a write to it; the run has failed already, and the page is not checked).
 */
final class FileModel {

    static final long[] UNKNOWN = new long[0];
    private static final int RUN = 3;

    final int index;
    final int pageSize;
    final int pages;
    final long initialStream;
    private final AtomicLongArray versions;
    private final AtomicReferenceArray<long[]> runs;

    FileModel(int index, int pageSize, int pages) {
        this.index = index;
        this.pageSize = pageSize;
        this.pages = pages;
        this.initialStream = Pattern.initialStream(index);
        this.versions = new AtomicLongArray(pages);
        this.runs = new AtomicReferenceArray<>(pages);
    }

    /** @return the version of a page: odd while its owner is writing it */
    long version(int page) {
        return versions.get(page);
    }

    /** Owner only: makes the version of pages {@code [first, last]} odd, before a write to them. */
    void beginWrite(int first, int last) {
        for (int p = first; p <= last; p++) {
            versions.incrementAndGet(p);
        }
    }

    /** Owner only: makes the version of pages {@code [first, last]} even, after the write and the model update. */
    void endWrite(int first, int last) {
        for (int p = first; p <= last; p++) {
            versions.incrementAndGet(p);
        }
    }

    /** @return the runs of a page (immutable), {@code null} for initial content, or {@link #UNKNOWN} */
    long[] runs(int page) {
        return runs.get(page);
    }

    /** Owner only: the page's content can no longer be known. */
    void markUnknown(int page) {
        runs.set(page, UNKNOWN);
    }

    /**
     * Owner only: bytes {@code [from, to)} of {@code page} now hold {@code stream} from {@code streamOffset} on.
     */
    void overwrite(int page, int from, int to, long stream, long streamOffset) {
        long[] old = runs.get(page);
        if (old == UNKNOWN) {
            return;
        }
        if (old == null) {
            old = new long[] {0, initialStream, (long) page * pageSize};
        }
        long[] out = new long[old.length + 2 * RUN];
        int n = 0;
        boolean inserted = false;
        int count = old.length / RUN;
        for (int i = 0; i < count; i++) {
            int start = (int) old[RUN * i];
            int end = i + 1 < count ? (int) old[RUN * (i + 1)] : pageSize;
            long s = old[RUN * i + 1];
            long off = old[RUN * i + 2];
            if (start < from) {
                n = append(out, n, start, s, off);
            }
            if (!inserted && end > from) {
                n = append(out, n, from, stream, streamOffset);
                inserted = true;
            }
            if (end > to) {
                int cut = Math.max(start, to);
                n = append(out, n, cut, s, off + (cut - start));
            }
        }
        if (!inserted) {
            n = append(out, n, from, stream, streamOffset);
        }
        long[] result = new long[n];
        System.arraycopy(out, 0, result, 0, n);
        runs.set(page, result);
    }

    /** Appends a run, merging it into the previous one when it continues the same stream. */
    private static int append(long[] out, int n, int start, long stream, long offset) {
        if (n > 0 && (int) out[n - RUN] == start) {
            n -= RUN; // the previous run would be empty: replace it
        }
        if (n > 0) {
            int prevStart = (int) out[n - RUN];
            if (out[n - RUN + 1] == stream && out[n - RUN + 2] + (start - prevStart) == offset) {
                return n; // continues the previous run
            }
        }
        out[n] = start;
        out[n + 1] = stream;
        out[n + 2] = offset;
        return n + RUN;
    }

    /**
     * Writes into {@code dst[dstOff, dstOff + (to - from))} the expected bytes {@code [from, to)} of a page whose
     * runs are {@code pageRuns} (a snapshot taken by the caller; not {@link #UNKNOWN}).
     */
    void expected(long[] pageRuns, int page, int from, int to, byte[] dst, int dstOff) {
        if (pageRuns == null) {
            Pattern.fill(dst, dstOff, to - from, initialStream, (long) page * pageSize + from);
            return;
        }
        int count = pageRuns.length / RUN;
        for (int i = 0; i < count; i++) {
            int start = (int) pageRuns[RUN * i];
            int end = i + 1 < count ? (int) pageRuns[RUN * (i + 1)] : pageSize;
            int a = Math.max(start, from);
            int b = Math.min(end, to);
            if (a < b) {
                Pattern.fill(
                        dst, dstOff + (a - from), b - a, pageRuns[RUN * i + 1], pageRuns[RUN * i + 2] + (a - start));
            }
        }
    }

    /**
     * Calls {@code sink} with the content of bytes {@code [position, position + length)} as stream pieces, in
     * order. Owner of those pages only (or when no writer runs): the pages must not change meanwhile.
     */
    void content(long position, long length, PieceSink sink) {
        long pos = position;
        long end = position + length;
        while (pos < end) {
            int page = (int) (pos / pageSize);
            int from = (int) (pos - (long) page * pageSize);
            int to = (int) Math.min(pageSize, end - (long) page * pageSize);
            long[] pageRuns = runs.get(page);
            if (pageRuns == UNKNOWN) {
                sink.unknown(to - from);
            } else if (pageRuns == null) {
                sink.piece(to - from, initialStream, (long) page * pageSize + from);
            } else {
                int count = pageRuns.length / RUN;
                for (int i = 0; i < count; i++) {
                    int start = (int) pageRuns[RUN * i];
                    int runEnd = i + 1 < count ? (int) pageRuns[RUN * (i + 1)] : pageSize;
                    int a = Math.max(start, from);
                    int b = Math.min(runEnd, to);
                    if (a < b) {
                        sink.piece(b - a, pageRuns[RUN * i + 1], pageRuns[RUN * i + 2] + (a - start));
                    }
                }
            }
            pos = (long) page * pageSize + to;
        }
    }

    /** @return the runs of a page as text, for failure messages */
    String describe(long[] pageRuns, int page) {
        if (pageRuns == UNKNOWN) {
            return "unknown";
        }
        if (pageRuns == null) {
            return "[0.." + pageSize + ") " + Pattern.describe(initialStream) + " @" + (long) page * pageSize;
        }
        StringBuilder sb = new StringBuilder();
        int count = pageRuns.length / RUN;
        for (int i = 0; i < count; i++) {
            int start = (int) pageRuns[RUN * i];
            int end = i + 1 < count ? (int) pageRuns[RUN * (i + 1)] : pageSize;
            if (i > 0) {
                sb.append(", ");
            }
            sb.append('[')
                    .append(start)
                    .append("..")
                    .append(end)
                    .append(") ")
                    .append(Pattern.describe(pageRuns[RUN * i + 1]))
                    .append(" @")
                    .append(pageRuns[RUN * i + 2]);
        }
        return sb.toString();
    }

    /** Receives the content of a range of a file as pieces of streams. */
    interface PieceSink {
        /** {@code length} bytes of {@code stream} from {@code offset} on */
        void piece(int length, long stream, long offset);

        /** {@code length} bytes whose content is not known */
        void unknown(int length);
    }
}
