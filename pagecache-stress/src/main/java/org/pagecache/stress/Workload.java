package org.pagecache.stress;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.atomic.LongAdder;
import org.pagecache.api.PageCache;

/**
 * The state shared by the threads of a run: the cache, the files and their models, the mapped sources, the
 * failure log and the stop flag. Built by {@link StressRunner}; read-only for the workers except for the
 * models (each writer changes only the pages it owns) and the counters.
 *
 * <p><b>Region ownership.</b> Every cached file is cut into regions of {@link StressOptions#REGION_PAGES}
 * pages; region {@code r} belongs to writer {@code r % writers}, in every file. The first {@link #hotRegions}
 * regions of each file are the hot set (about half the cache in all) that most operations go to; the rest of
 * each file is touched uniformly, so the cache keeps paging in and evicting.
 */
final class Workload {

    /** Probability, in percent, that an operation picks the hot set. */
    static final int HOT_PERCENT = 75;

    final StressOptions options;
    final PageCache cache;
    final Path[] files;
    final String[] fileNames;
    final FileModel[] models;
    final int pageSize;
    final int pagesPerFile;
    final int regionBytes;
    final int regionsPerFile;
    final int hotRegions;

    final FileChannel[] sourceChannels;
    final MappedByteBuffer[] sourceBuffers;
    final MemorySegment[] sourceSegments;
    /** The content of every source file, for re-extending it after a truncation. */
    final byte[][] sourceContent;

    /** Heap arrays written from with {@code WriteSource.of(byte[], int, int)} and heap {@code ByteBuffer}s. */
    final byte[][] heapArrays;
    /** A direct buffer (anonymous memory, cannot fault) written from as a {@code ByteBuffer}. */
    final ByteBuffer directBuffer;

    static final int HEAP_ARRAY_STREAMS = 2;
    static final int DIRECT_STREAM = HEAP_ARRAY_STREAMS;

    final Failures failures = new Failures();
    final LongAdder cacheOps = new LongAdder();
    final LongAdder shortWrites = new LongAdder();
    final LongAdder faultExceptions = new LongAdder();
    final LongAdder truncations = new LongAdder();
    volatile boolean stop;

    Workload(
            StressOptions options,
            PageCache cache,
            Path[] files,
            FileChannel[] sourceChannels,
            MappedByteBuffer[] sourceBuffers,
            MemorySegment[] sourceSegments,
            byte[][] sourceContent,
            byte[][] heapArrays,
            ByteBuffer directBuffer) {
        this.options = options;
        this.cache = cache;
        this.files = files;
        this.pageSize = options.pageSize;
        this.pagesPerFile = (int) (options.fileSize / pageSize);
        this.regionBytes = options.regionBytes();
        this.regionsPerFile = pagesPerFile / StressOptions.REGION_PAGES;
        long hotBytesPerFile = options.cacheSize / 2 / options.files;
        int hot = (int) Math.min(regionsPerFile, Math.max(options.writers, hotBytesPerFile / regionBytes));
        this.hotRegions = Math.max(1, hot);
        this.fileNames = new String[files.length];
        this.models = new FileModel[files.length];
        for (int f = 0; f < files.length; f++) {
            fileNames[f] = files[f].getFileName().toString();
            models[f] = new FileModel(f, pageSize, pagesPerFile);
        }
        this.sourceChannels = sourceChannels;
        this.sourceBuffers = sourceBuffers;
        this.sourceSegments = sourceSegments;
        this.sourceContent = sourceContent;
        this.heapArrays = heapArrays;
        this.directBuffer = directBuffer;
    }
}
