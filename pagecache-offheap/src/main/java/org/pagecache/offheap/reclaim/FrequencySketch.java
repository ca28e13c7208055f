package org.pagecache.offheap.reclaim;

/**
 * An approximate count of how often each page key was seen lately: a count-min sketch of 4-bit counters, four
 * per key, with periodic halving so that old popularity fades (the TinyLFU frequency filter, Einziger, Friedman
 * and Manes, 2017). Not thread-safe: the replacement policy calls it under its monitor.
 *
 * <p>Memory: one {@code long} (16 counters) per frame, rounded up to a power of two. After
 * {@code 10 * frames} increments every counter is halved, so a count is a recent frequency, saturating at 15.
 */
final class FrequencySketch {
    private static final long HALF_MASK = 0x7777_7777_7777_7777L;
    private static final int SAMPLE_FACTOR = 10;

    private final long[] table;
    private final int counterMask;
    private final int sampleSize;
    private int additions;

    /** @param frames the frames of the cache (at least 1) */
    FrequencySketch(int frames) {
        int n = Math.max(16, Integer.highestOneBit(Math.max(1, frames - 1)) << 1);
        this.table = new long[n];
        this.counterMask = n * 16 - 1;
        this.sampleSize = (int) Math.min(Integer.MAX_VALUE, (long) SAMPLE_FACTOR * Math.max(1, frames));
    }

    /** @return bytes of the table */
    long bytes() {
        return (long) table.length * Long.BYTES;
    }

    /** @return the estimated recent frequency of the key, 0 to 15 */
    int frequency(long key) {
        long h = mix(key);
        int min = 15;
        for (int i = 0; i < 4; i++) {
            int idx = index(h, i);
            int c = (int) (table[idx >>> 4] >>> ((idx & 15) << 2)) & 15;
            min = Math.min(min, c);
        }
        return min;
    }

    /** Counts one sighting of the key (only the smallest of its counters grow: conservative update). */
    void increment(long key) {
        long h = mix(key);
        int min = frequency(key);
        if (min == 15) {
            return;
        }
        for (int i = 0; i < 4; i++) {
            int idx = index(h, i);
            int shift = (idx & 15) << 2;
            int c = (int) (table[idx >>> 4] >>> shift) & 15;
            if (c == min) {
                table[idx >>> 4] += 1L << shift;
            }
        }
        if (++additions >= sampleSize) {
            halve();
        }
    }

    private void halve() {
        for (int i = 0; i < table.length; i++) {
            table[i] = (table[i] >>> 1) & HALF_MASK;
        }
        additions >>>= 1;
    }

    private int index(long h, int i) {
        // double hashing over the two halves of a 64-bit mix
        return ((int) h + i * ((int) (h >>> 32) | 1)) & counterMask;
    }

    private static long mix(long k) {
        // the finalizer of SplitMix64
        k += 0x9E3779B97F4A7C15L;
        k = (k ^ (k >>> 30)) * 0xBF58476D1CE4E5B9L;
        k = (k ^ (k >>> 27)) * 0x94D049BB133111EBL;
        return k ^ (k >>> 31);
    }
}
