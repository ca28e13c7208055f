package org.pagecache.stress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The model the runner checks against must be exact: compared here with a plain byte-array mirror. */
@Tag("slow") // left out of the fast tier (scripts/test-fast.sh)
class ModelTest {

    private static final int PAGE = 4096;
    private static final int PAGES = 8;

    @Test
    void patternFillEqualsPerByteAndHasNoZeros() {
        byte[] buf = new byte[10_000];
        long stream = Pattern.sourceStream(3);
        Pattern.fill(buf, 0, buf.length, stream, 12_345);
        for (int i = 0; i < buf.length; i++) {
            assertEquals(Pattern.at(stream, 12_345 + i), buf[i], "byte " + i);
            assertNotEquals(0, buf[i], "byte " + i);
        }
        // a fill from an unaligned offset into an unaligned place gives the same bytes
        byte[] part = new byte[777];
        Pattern.fill(part, 5, 700, stream, 12_345 + 3);
        for (int i = 0; i < 700; i++) {
            assertEquals(buf[3 + i], part[5 + i]);
        }
    }

    @Test
    void differentStreamsOrOffsetsGiveDifferentPages() {
        byte[] a = new byte[PAGE];
        byte[] b = new byte[PAGE];
        Pattern.fill(a, 0, PAGE, Pattern.sourceStream(0), 0);
        Pattern.fill(b, 0, PAGE, Pattern.sourceStream(1), 0);
        assertTrue(differing(a, b) > PAGE * 9 / 10, "streams 0 and 1 are nearly equal");
        Pattern.fill(b, 0, PAGE, Pattern.sourceStream(0), 8);
        assertTrue(differing(a, b) > PAGE * 9 / 10, "a shift by 8 bytes is nearly equal");
        Pattern.fill(b, 0, PAGE, Pattern.initialStream(0), 0);
        assertTrue(differing(a, b) > PAGE * 9 / 10, "source and initial streams are nearly equal");
    }

    private static int differing(byte[] a, byte[] b) {
        int n = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                n++;
            }
        }
        return n;
    }

    @Test
    void modelMatchesAByteMirrorUnderRandomOverwritesAndCopies() {
        SplittableRandom random = new SplittableRandom(42);
        FileModel[] models = {new FileModel(0, PAGE, PAGES), new FileModel(1, PAGE, PAGES)};
        byte[][] mirror = new byte[2][PAGES * PAGE];
        for (int f = 0; f < 2; f++) {
            Pattern.fill(mirror[f], 0, mirror[f].length, Pattern.initialStream(f), 0);
        }
        for (int step = 0; step < 5_000; step++) {
            int f = random.nextInt(2);
            int length = 1 + random.nextInt(3 * PAGE);
            long position = random.nextInt(PAGES * PAGE - length + 1);
            if (random.nextInt(3) == 0) {
                // copy from the other file's model, as a write from a view does
                int a = 1 - f;
                long sp = random.nextInt(PAGES * PAGE - length + 1);
                Collected pieces = new Collected(length);
                models[a].content(sp, length, pieces);
                assertArrayEquals(
                        java.util.Arrays.copyOfRange(mirror[a], (int) sp, (int) sp + length),
                        pieces.bytes,
                        "content of " + sp + "+" + length);
                apply(models[f], position, pieces);
                System.arraycopy(mirror[a], (int) sp, mirror[f], (int) position, length);
            } else {
                long stream = Pattern.sourceStream(random.nextInt(4));
                long so = random.nextInt(1 << 20);
                long d = position;
                while (d < position + length) {
                    int page = (int) (d / PAGE);
                    int from = (int) (d - (long) page * PAGE);
                    int to = (int) Math.min(PAGE, position + length - (long) page * PAGE);
                    models[f].overwrite(page, from, to, stream, so + (d - position));
                    d += to - from;
                }
                Pattern.fill(mirror[f], (int) position, length, stream, so);
            }
            // check a random page slice against the mirror
            int g = random.nextInt(2);
            int page = random.nextInt(PAGES);
            int from = random.nextInt(PAGE);
            int to = from + 1 + random.nextInt(PAGE - from);
            byte[] expected = new byte[PAGE];
            models[g].expected(models[g].runs(page), page, from, to, expected, 0);
            for (int i = from; i < to; i++) {
                assertEquals(
                        mirror[g][page * PAGE + i],
                        expected[i - from],
                        "file " + g + " page " + page + " byte " + i + " at step " + step + ": "
                                + models[g].describe(models[g].runs(page), page));
            }
        }
        for (int f = 0; f < 2; f++) {
            byte[] all = new byte[PAGE];
            for (int page = 0; page < PAGES; page++) {
                long[] runs = models[f].runs(page);
                models[f].expected(runs, page, 0, PAGE, all, 0);
                assertArrayEquals(java.util.Arrays.copyOfRange(mirror[f], page * PAGE, (page + 1) * PAGE), all);
                // runs stay few: they are merged, and each run starts after the previous one
                assertTrue(runs == null || runs.length / 3 < 64, "too many runs: " + runs.length / 3);
                for (int i = 3; runs != null && i < runs.length; i += 3) {
                    assertTrue(runs[i] > runs[i - 3], "runs out of order: " + models[f].describe(runs, page));
                }
            }
        }
    }

    private static void apply(FileModel model, long position, Collected pieces) {
        long d = position;
        for (int i = 0; i < pieces.count; i++) {
            long so = pieces.offsets[i];
            long end = d + pieces.lengths[i];
            while (d < end) {
                int page = (int) (d / PAGE);
                int from = (int) (d - (long) page * PAGE);
                int to = (int) Math.min(PAGE, end - (long) page * PAGE);
                model.overwrite(page, from, to, pieces.streams[i], so);
                so += to - from;
                d += to - from;
            }
        }
    }

    @Test
    void versionsAreOddWhileAWriteIsInFlight() {
        FileModel model = new FileModel(0, PAGE, PAGES);
        assertEquals(0, model.version(2));
        model.beginWrite(2, 3);
        assertEquals(1, model.version(2) & 1);
        assertEquals(1, model.version(3) & 1);
        assertEquals(0, model.version(4));
        model.endWrite(2, 3);
        assertEquals(2, model.version(2));
        assertEquals(2, model.version(3));
    }

    /** Collects pieces and their bytes. */
    private static final class Collected implements FileModel.PieceSink {
        final byte[] bytes;
        int filled;
        int count;
        final int[] lengths = new int[4096];
        final long[] streams = new long[4096];
        final long[] offsets = new long[4096];

        Collected(int length) {
            bytes = new byte[length];
        }

        @Override
        public void piece(int length, long stream, long offset) {
            Pattern.fill(bytes, filled, length, stream, offset);
            filled += length;
            lengths[count] = length;
            streams[count] = stream;
            offsets[count] = offset;
            count++;
        }

        @Override
        public void unknown(int length) {
            throw new AssertionError("no page is unknown here");
        }
    }
}
