package org.pagecache.offheap.reclaim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Limits of the CLOCK sweep that no test can reach with real memory (2^30 frames are 4 TiB of 4 KiB pages). */
class ReclaimerLimitsTest {

    /** Twice around 2^30 frames or more does not fit an int: the sweep length must not wrap negative. */
    @Test
    void sweepOfTwoToTheThirtyFramesDoesNotOverflow() {
        assertEquals(5L << 30, Reclaimer.sweepLength(1 << 30));
        assertEquals(5L * Integer.MAX_VALUE, Reclaimer.sweepLength(Integer.MAX_VALUE));
        assertEquals(40, Reclaimer.sweepLength(8));
    }
}
