package org.pagecache.offheap.reclaim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The admission filter's frequency sketch: counts, saturation, halving, and how little keys collide. */
class FrequencySketchTest {
    private static long key(int slot, int page) {
        return ((long) slot << 32) | (page & 0xFFFFFFFFL);
    }

    @Test
    void countsEachKeyUpToFifteen() {
        FrequencySketch s = new FrequencySketch(1024);
        long k = key(1, 7);
        assertEquals(0, s.frequency(k));
        for (int i = 1; i <= 20; i++) {
            s.increment(k);
            assertEquals(Math.min(15, i), s.frequency(k), "after " + i + " increments");
        }
        assertEquals(0, s.frequency(key(2, 7)), "another file's page of the same index is another key");
        assertEquals(8192, s.bytes(), "one long per frame");
    }

    @Test
    void halvesEveryCounterAfterTenIncrementsPerFrame() {
        int frames = 64;
        FrequencySketch s = new FrequencySketch(frames);
        long hot = key(1, 0);
        for (int i = 0; i < 12; i++) {
            s.increment(hot);
        }
        // 10 * 64 = 640 increments in all start the halving; each cold key is seen once
        for (int page = 1; page < 10 * frames - 12; page++) {
            s.increment(key(1, page));
        }
        assertEquals(12, s.frequency(hot));
        s.increment(key(1, 100_000));
        assertEquals(6, s.frequency(hot), "halved once the sample is full");
    }

    @Test
    void keysOfAFullCacheRarelyCollide() {
        int frames = 4096;
        FrequencySketch s = new FrequencySketch(frames);
        for (int page = 0; page < frames; page++) {
            s.increment(key(1, page));
        }
        int over = 0;
        for (int page = 0; page < frames; page++) {
            int f = s.frequency(key(1, page));
            assertTrue(f >= 1, "a count-min sketch never under-counts");
            if (f > 1) {
                over++;
            }
        }
        assertTrue(over < frames / 100, over + " of " + frames + " keys seen once read more than 1");
    }
}
