package org.pagecache.stress;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.pagecache.api.MappedView;
import org.pagecache.api.PagedFile;

/**
 * A thread of the workload: opens its own handle on every cached file, runs {@link #step()} until the run
 * stops, closes its handles. Any exception escaping a step is an unexpected error that fails the run.
 */
abstract class Worker implements Runnable {

    final Workload w;
    final String name;
    final SplittableRandom random;
    final ThreadStats stats = new ThreadStats();
    final Checker checker;
    final PagedFile[] handles;
    final byte[] readBuffer;
    private long[] versions = new long[8];
    private long[][] snapshots = new long[8][];

    Worker(Workload w, String name, long seed) {
        this.w = w;
        this.name = name;
        this.random = new SplittableRandom(seed);
        this.checker = new Checker(w.failures, stats);
        this.handles = new PagedFile[w.files.length];
        this.readBuffer = new byte[(StressOptions.REGION_PAGES + 1) * w.pageSize];
    }

    @Override
    public final void run() {
        try {
            for (int f = 0; f < handles.length; f++) {
                handles[f] = w.cache.open(w.files[f], w.options.cachedFileOptions());
            }
            while (!w.stop) {
                step();
            }
        } catch (Throwable t) {
            w.failures.error(name + " failed", t);
        } finally {
            for (PagedFile handle : handles) {
                if (handle != null) {
                    try {
                        handle.close();
                    } catch (Throwable t) {
                        w.failures.error(name + " could not close its handle", t);
                    }
                }
            }
        }
    }

    /** One operation. */
    abstract void step() throws IOException;

    /** @return a page index of a file: mostly in the hot set, else anywhere in the file */
    int pickPage() {
        if (random.nextInt(100) < Workload.HOT_PERCENT) {
            return random.nextInt(Math.min(w.pagesPerFile, w.hotRegions * StressOptions.REGION_PAGES));
        }
        return random.nextInt(w.pagesPerFile);
    }

    /**
     * Reads {@code [position, position + length)} of file {@code f} through the cache (through a view if
     * {@code viaView}) and checks every page that no writer changed meanwhile against the model.
     */
    final void readAndCheck(String phase, int f, long position, int length, boolean viaView) throws IOException {
        FileModel model = w.models[f];
        int pageSize = w.pageSize;
        int first = (int) (position / pageSize);
        int last = (int) ((position + length - 1) / pageSize);
        int n = last - first + 1;
        if (versions.length < n) {
            versions = new long[n];
            snapshots = new long[n][];
        }
        for (int i = 0; i < n; i++) {
            versions[i] = model.version(first + i);
            snapshots[i] = model.runs(first + i);
        }
        ByteBuffer dst = ByteBuffer.wrap(readBuffer, 0, length);
        OpKind kind = viaView ? OpKind.READ_VIEW : OpKind.READ;
        long start = System.nanoTime();
        int read;
        if (viaView) {
            try (MappedView view = handles[f].map(position, length)) {
                read = view.read(0, dst);
            }
        } else {
            read = handles[f].read(position, dst);
        }
        stats.record(kind, System.nanoTime() - start);
        w.cacheOps.increment();
        if (read != length || dst.position() != length) {
            w.failures.error(
                    name + ": " + kind.label + " of " + length + " bytes at offset " + position + " of "
                            + w.fileNames[f] + " returned " + read + " and moved the buffer to " + dst.position()
                            + " (the file is " + w.options.fileSize + " bytes)",
                    null);
            return;
        }
        for (int i = 0; i < n; i++) {
            int page = first + i;
            long pageStart = (long) page * pageSize;
            int from = (int) Math.max(0, position - pageStart);
            int to = (int) Math.min(pageSize, position + length - pageStart);
            long after = model.version(page);
            if ((versions[i] & 1) != 0 || after != versions[i]) {
                stats.skippedBytes += to - from;
                continue;
            }
            checker.checkPage(phase, model, w.fileNames[f], page, from, to, snapshots[i], readBuffer, (int)
                    (pageStart + from - position));
        }
    }
}
