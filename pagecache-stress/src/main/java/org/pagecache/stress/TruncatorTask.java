package org.pagecache.stress;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Truncates mapped source files under the writers and re-extends them. A truncation point is a multiple of
 * the operating system page in the upper three quarters of the file; the file stays short for a moment (writes
 * reading the mapping past the new end fault), then is re-extended by writing its content back in chunks of
 * whole OS pages, so the file only ever holds its own pattern: a read of the mapping either faults or sees
 * the right bytes, never zeros.
 */
final class TruncatorTask implements Runnable {

    private static final int CHUNK = 64 * 1024;
    private static final long HOLD_MIN_MICROS = 500;
    private static final long HOLD_MAX_MICROS = 3_000;
    private static final long PAUSE_MIN_MICROS = 2_000;
    private static final long PAUSE_MAX_MICROS = 8_000;

    private final Workload w;
    private final SplittableRandom random;
    final ThreadStats stats = new ThreadStats();

    TruncatorTask(Workload w, long seed) {
        this.w = w;
        this.random = new SplittableRandom(seed);
    }

    @Override
    public void run() {
        long size = w.options.sourceSize;
        long pages = size / StressOptions.OS_PAGE;
        try {
            while (!w.stop) {
                int s = random.nextInt(w.sourceChannels.length);
                long cut = (pages / 4 + random.nextLong(pages - pages / 4)) * StressOptions.OS_PAGE;
                FileChannel channel = w.sourceChannels[s];
                long start = System.nanoTime();
                channel.truncate(cut);
                sleepMicros(HOLD_MIN_MICROS, HOLD_MAX_MICROS);
                byte[] content = w.sourceContent[s];
                for (long pos = cut; pos < size; ) {
                    int n = (int) Math.min(CHUNK, size - pos);
                    ByteBuffer chunk = ByteBuffer.wrap(content, (int) pos, n);
                    while (chunk.hasRemaining()) {
                        pos += channel.write(chunk, pos);
                    }
                    Thread.yield();
                }
                stats.record(OpKind.SOURCE_TRUNCATE, System.nanoTime() - start);
                w.truncations.increment();
                sleepMicros(PAUSE_MIN_MICROS, PAUSE_MAX_MICROS);
            }
        } catch (Throwable t) {
            w.failures.error("the source truncator failed", t);
        }
    }

    private void sleepMicros(long min, long max) {
        LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(min + random.nextLong(max - min + 1)));
    }
}
