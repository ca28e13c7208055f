package org.pagecache.stress;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.pagecache.api.MappedView;
import org.pagecache.api.SourceFaultException;
import org.pagecache.api.WriteSource;
import org.pagecache.stress.StressOptions.SourceKind;

/**
 * A writer: copies from mapped source files, mapped segments, views of its own regions of other cached files,
 * and heap or direct buffers into its own regions of the cached files, and keeps the model of those regions.
 *
 * <p>A write from a mapped source may fault while the truncator has shrunk the source file: the write then
 * returns a short count {@code k}, or throws {@code SourceFaultException} ({@code k = 0}). The model takes
 * exactly bytes {@code [position, position + k)} from the source and keeps the rest: the faulting chunk and
 * everything after it must be unchanged. A writer reads every faulted write back at once and checks it.
 */
final class WriterTask extends Worker {

    private static final long FLUSH_MIN_MILLIS = 100;
    private static final long FLUSH_MAX_MILLIS = 300;
    private static final long SYNC_MIN_MILLIS = 1_000;
    private static final long SYNC_MAX_MILLIS = 3_000;
    /** One in this many complete writes is read back at once by the writer. */
    private static final int READ_BACK_ONE_IN = 8;
    /** One in this many writes from a view takes a view of its own destination region (often overlapping). */
    private static final int SELF_VIEW_ONE_IN = 4;

    private final SourceKind[] kinds;
    /** Per file, the regions this writer owns; then the owned regions inside the hot set. */
    private final int[][] owned;

    private final int[][] ownedHot;
    private final Pieces pieces = new Pieces();
    private long nextFlush;
    private long nextSync;

    WriterTask(Workload w, int index, long seed) {
        super(w, "writer-" + index, seed);
        this.kinds = w.options.sources.toArray(new SourceKind[0]);
        this.owned = new int[w.files.length][];
        this.ownedHot = new int[w.files.length][];
        for (int f = 0; f < w.files.length; f++) {
            List<Integer> all = new ArrayList<>();
            List<Integer> hot = new ArrayList<>();
            for (int r = index; r < w.regionsPerFile; r += w.options.writers) {
                all.add(r);
                if (r < w.hotRegions) {
                    hot.add(r);
                }
            }
            owned[f] = all.stream().mapToInt(Integer::intValue).toArray();
            ownedHot[f] = hot.stream().mapToInt(Integer::intValue).toArray();
        }
        long now = System.nanoTime();
        nextFlush = now + millis(FLUSH_MIN_MILLIS, FLUSH_MAX_MILLIS);
        nextSync = now + millis(SYNC_MIN_MILLIS, SYNC_MAX_MILLIS);
    }

    private long millis(long min, long max) {
        return TimeUnit.MILLISECONDS.toNanos(min + random.nextLong(max - min + 1));
    }

    @Override
    void step() throws IOException {
        long now = System.nanoTime();
        if (now - nextFlush >= 0) {
            nextFlush = now + millis(FLUSH_MIN_MILLIS, FLUSH_MAX_MILLIS);
            int f = random.nextInt(handles.length);
            long start = System.nanoTime();
            handles[f].flush();
            stats.record(OpKind.FLUSH, System.nanoTime() - start);
            w.cacheOps.increment();
        } else if (now - nextSync >= 0) {
            nextSync = now + millis(SYNC_MIN_MILLIS, SYNC_MAX_MILLIS);
            int f = random.nextInt(handles.length);
            long start = System.nanoTime();
            handles[f].sync();
            stats.record(OpKind.SYNC, System.nanoTime() - start);
            w.cacheOps.increment();
        } else {
            write();
        }
    }

    private int pickRegion(int f) {
        int[] hot = ownedHot[f];
        if (hot.length > 0 && random.nextInt(100) < Workload.HOT_PERCENT) {
            return hot[random.nextInt(hot.length)];
        }
        return owned[f][random.nextInt(owned[f].length)];
    }

    private void write() throws IOException {
        int pageSize = w.pageSize;
        int regionBytes = w.regionBytes;
        int f = random.nextInt(handles.length);
        int region = pickRegion(f);
        int offset;
        int length;
        switch (random.nextInt(3)) {
            case 0 -> { // whole pages
                int pages = 1 + random.nextInt(StressOptions.REGION_PAGES);
                offset = random.nextInt(StressOptions.REGION_PAGES - pages + 1) * pageSize;
                length = pages * pageSize;
            }
            case 1 -> { // inside one page
                int page = random.nextInt(StressOptions.REGION_PAGES);
                int from = random.nextInt(pageSize);
                offset = page * pageSize + from;
                length = 1 + random.nextInt(pageSize - from);
            }
            default -> { // unaligned, across pages
                offset = random.nextInt(regionBytes);
                length = 1 + random.nextInt(Math.min(regionBytes - offset, 3 * pageSize));
            }
        }
        long position = (long) region * regionBytes + offset;

        SourceKind kind = kinds[random.nextInt(kinds.length)];
        if (kind == SourceKind.VIEW && !canView(f, region)) {
            kind = fallbackKind();
            if (kind == null) {
                return;
            }
        }
        pieces.clear();
        long selfSource = -1;
        WriteSource source = null;
        ByteBuffer buffer = null;
        MappedView view = null;
        OpKind op;
        switch (kind) {
            case MAPPED_BUFFER -> {
                op = OpKind.WRITE_MAPPED_BUFFER;
                int s = random.nextInt(w.sourceBuffers.length);
                int so = random.nextInt((int) w.options.sourceSize - length + 1);
                MappedByteBuffer slice = w.sourceBuffers[s].slice(so, length);
                if (random.nextBoolean()) {
                    buffer = slice;
                } else {
                    source = WriteSource.of(slice);
                }
                pieces.piece(length, Pattern.sourceStream(s), so);
            }
            case MAPPED_SEGMENT -> {
                op = OpKind.WRITE_MAPPED_SEGMENT;
                int s = random.nextInt(w.sourceSegments.length);
                int so = random.nextInt((int) w.options.sourceSize - length + 1);
                source = WriteSource.of(w.sourceSegments[s].asSlice(so, length));
                pieces.piece(length, Pattern.sourceStream(s), so);
            }
            case HEAP -> {
                op = OpKind.WRITE_HEAP;
                int variant = random.nextInt(Workload.HEAP_ARRAY_STREAMS + 1);
                if (variant < Workload.HEAP_ARRAY_STREAMS) {
                    byte[] array = w.heapArrays[variant];
                    int so = random.nextInt(array.length - length + 1);
                    if (variant == 0) {
                        source = WriteSource.of(array, so, length);
                    } else {
                        buffer = ByteBuffer.wrap(array, so, length).slice();
                    }
                    pieces.piece(length, Pattern.heapStream(variant), so);
                } else {
                    int so = random.nextInt(w.directBuffer.capacity() - length + 1);
                    buffer = w.directBuffer.slice(so, length);
                    pieces.piece(length, Pattern.heapStream(Workload.DIRECT_STREAM), so);
                }
            }
            case VIEW -> {
                op = OpKind.WRITE_VIEW;
                int a = f;
                int sourceRegion;
                if (random.nextInt(SELF_VIEW_ONE_IN) == 0) {
                    // a view of the destination's own region, usually overlapping the destination
                    sourceRegion = region;
                    selfSource = (long) region * regionBytes + random.nextInt(regionBytes - length + 1);
                    view = handles[f].map(selfSource, length);
                    source = view;
                    break;
                }
                if (handles.length > 1) {
                    a = (f + 1 + random.nextInt(handles.length - 1)) % handles.length;
                    sourceRegion = pickRegion(a);
                } else {
                    do {
                        sourceRegion = pickRegion(a);
                    } while (sourceRegion == region);
                }
                long sp = (long) sourceRegion * regionBytes + random.nextInt(regionBytes - length + 1);
                w.models[a].content(sp, length, pieces);
                view = handles[a].map(sp, length);
                source = view;
            }
            default -> throw new AssertionError(kind);
        }

        FileModel model = w.models[f];
        int firstPage = (int) (position / pageSize);
        int lastPage = (int) ((position + length - 1) / pageSize);
        model.beginWrite(firstPage, lastPage);
        long written;
        boolean faulted = false;
        boolean exception = false;
        long start = System.nanoTime();
        try {
            written = buffer != null ? handles[f].write(position, buffer) : handles[f].write(position, source);
        } catch (SourceFaultException e) {
            written = 0;
            faulted = true;
            exception = true;
            if (e.bytesWritten() != 0) {
                w.failures.error(
                        name + ": SourceFaultException from " + op.label + " reports bytesWritten() " + e.bytesWritten()
                                + ", not 0",
                        e);
            }
        } catch (Throwable t) {
            stats.record(op, System.nanoTime() - start);
            for (int p = firstPage; p <= lastPage; p++) {
                model.markUnknown(p);
            }
            model.endWrite(firstPage, lastPage);
            w.failures.error(
                    name + ": " + op.label + " of " + length + " bytes at offset " + position + " of " + w.fileNames[f]
                            + " failed",
                    t);
            return;
        } finally {
            if (view != null) {
                view.close();
            }
        }
        stats.record(op, System.nanoTime() - start);
        w.cacheOps.increment();

        String what = op.label + " of " + length + " bytes at offset " + position + " of " + w.fileNames[f];
        if (written < 0 || written > length) {
            for (int p = firstPage; p <= lastPage; p++) {
                model.markUnknown(p);
            }
            model.endWrite(firstPage, lastPage);
            w.failures.error(name + ": " + what + " returned " + written, null);
            return;
        }
        if (buffer != null && buffer.position() != written) {
            w.failures.error(
                    name + ": " + what + " wrote " + written + " bytes"
                            + (exception ? " (threw SourceFaultException)" : "")
                            + " but moved the buffer's position to "
                            + buffer.position(),
                    null);
        }
        if (written < length) {
            faulted = true;
        }
        if (faulted) {
            if (exception) {
                stats.faultExceptions++;
                w.faultExceptions.increment();
            } else {
                stats.shortWrites++;
                w.shortWrites.increment();
            }
            if (!kind.truncatable || !w.options.truncate) {
                w.failures.error(
                        name + ": " + what + " reported a source fault after " + written
                                + " bytes, but that source cannot fault",
                        null);
            }
        }
        if (selfSource >= 0) {
            applySelfCopy(model, position, selfSource, written);
        } else {
            pieces.applyTo(model, position, written);
        }
        model.endWrite(firstPage, lastPage);

        if (faulted || random.nextInt(READ_BACK_ONE_IN) == 0) {
            readAndCheck(
                    faulted ? "writer read-back after a source fault" : "writer read-back", f, position, length, false);
        }
    }

    /**
     * Updates the model for a write from a view of the same file: chunk by chunk (one destination page each, in
     * order), each chunk taking its source bytes as they were just before that chunk was written, which is
     * how the write path copies (a write inside one page behaves like {@code memmove}).
     */
    private void applySelfCopy(FileModel model, long position, long sourcePosition, long written) {
        int pageSize = model.pageSize;
        long end = position + written;
        for (long d = position; d < end; ) {
            long chunkEnd = Math.min(end, (d / pageSize + 1) * pageSize);
            int n = (int) (chunkEnd - d);
            pieces.clear();
            model.content(sourcePosition + (d - position), n, pieces);
            pieces.applyTo(model, d, n);
            d = chunkEnd;
        }
    }

    /** @return whether a view source can be found for a write to {@code region} of file {@code f} */
    private boolean canView(int f, int region) {
        return handles.length > 1 || owned[f].length > 1;
    }

    private SourceKind fallbackKind() {
        for (SourceKind k : kinds) {
            if (k != SourceKind.VIEW) {
                return k;
            }
        }
        return null;
    }

    /** The expected content of a write's source, as stream pieces. */
    private static final class Pieces implements FileModel.PieceSink {
        private int count;
        private int[] lengths = new int[16];
        private long[] streams = new long[16];
        private long[] offsets = new long[16];

        void clear() {
            count = 0;
        }

        @Override
        public void piece(int length, long stream, long offset) {
            if (count == lengths.length) {
                lengths = java.util.Arrays.copyOf(lengths, count * 2);
                streams = java.util.Arrays.copyOf(streams, count * 2);
                offsets = java.util.Arrays.copyOf(offsets, count * 2);
            }
            if (count > 0
                    && streams[count - 1] == stream
                    && offsets[count - 1] + lengths[count - 1] == offset
                    && stream != UNKNOWN_STREAM) {
                lengths[count - 1] += length;
                return;
            }
            lengths[count] = length;
            streams[count] = stream;
            offsets[count] = offset;
            count++;
        }

        @Override
        public void unknown(int length) {
            piece(length, UNKNOWN_STREAM, 0);
        }

        /** The first {@code written} bytes of the source now are bytes {@code [position, ...)} of the file. */
        void applyTo(FileModel model, long position, long written) {
            int pageSize = model.pageSize;
            long d = position;
            long remaining = written;
            for (int i = 0; i < count && remaining > 0; i++) {
                long take = Math.min(lengths[i], remaining);
                long so = offsets[i];
                long end = d + take;
                while (d < end) {
                    int page = (int) (d / pageSize);
                    int from = (int) (d - (long) page * pageSize);
                    int to = (int) Math.min(pageSize, end - (long) page * pageSize);
                    if (streams[i] == UNKNOWN_STREAM) {
                        model.markUnknown(page);
                    } else {
                        model.overwrite(page, from, to, streams[i], so);
                    }
                    so += to - from;
                    d += to - from;
                }
                remaining -= take;
            }
        }

        private static final long UNKNOWN_STREAM = -1;
    }
}
