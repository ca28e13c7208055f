package org.pagecache.lucene;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.apache.lucene.store.AlreadyClosedException;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexInput;
import org.apache.lucene.store.IndexOutput;
import org.apache.lucene.store.RandomAccessInput;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.pagecache.api.PageCache;

/**
 * The input's own read paths against the bytes written: the positional reads' window (ascending, descending
 * and random positions, values that cross the window's and the pages' ends, the last bytes of a slice) and the
 * bulk {@code readLongs}/{@code readInts}/{@code readFloats} from the sequential buffer, through a tiny cache
 * under constant eviction.
 */
public class InputReadPathsTest {
    private static final int SIZE = 5 * 4096 + 123;
    private Path folder;
    private PageCache cache;
    private PageCacheDirectory dir;
    private byte[] content;
    private ByteBuffer expected;

    @Before
    public void setUp() throws IOException {
        folder = Files.createTempDirectory("pagecache-lucene-readpaths");
        cache = CacheFixtures.tiny();
        dir = new PageCacheDirectory(folder, cache);
        content = new byte[SIZE];
        new Random(7).nextBytes(content);
        expected = ByteBuffer.wrap(content).order(ByteOrder.LITTLE_ENDIAN);
        try (IndexOutput out = dir.createOutput("f", IOContext.DEFAULT)) {
            out.writeBytes(content, content.length);
        }
    }

    @After
    public void tearDown() throws IOException {
        try {
            dir.close();
        } finally {
            cache.close();
        }
    }

    private void checkAt(RandomAccessInput in, long base, long pos) throws IOException {
        int at = (int) (base + pos);
        assertEquals("byte at " + pos, content[at], in.readByte(pos));
        if (base + pos + 2 <= SIZE && pos + 2 <= in.length()) {
            assertEquals("short at " + pos, expected.getShort(at), in.readShort(pos));
        }
        if (pos + 4 <= in.length()) {
            assertEquals("int at " + pos, expected.getInt(at), in.readInt(pos));
        }
        if (pos + 8 <= in.length()) {
            assertEquals("long at " + pos, expected.getLong(at), in.readLong(pos));
            byte[] eight = new byte[8];
            in.readBytes(pos, eight, 0, 8);
            byte[] want = new byte[8];
            System.arraycopy(content, at, want, 0, 8);
            assertArrayEquals("bytes at " + pos, want, eight);
        }
    }

    private void checkEverywhere(RandomAccessInput in, long base) throws IOException {
        long n = in.length();
        for (long pos = 0; pos < n; pos += 3) { // ascending, as norms read
            checkAt(in, base, pos);
        }
        for (long pos = n - 1; pos >= 0; pos -= 5) { // descending: the window only serves forward
            checkAt(in, base, pos);
        }
        Random r = new Random(11);
        for (int i = 0; i < 5_000; i++) {
            checkAt(in, base, (long) r.nextInt((int) n));
        }
        for (long page = 4096; page < n; page += 4096) { // values crossing each page end
            for (long pos = page - 8; pos <= page; pos++) {
                checkAt(in, base, pos);
            }
        }
        for (long pos = PageCacheIndexInput.WINDOW_SIZE - 8; pos <= PageCacheIndexInput.WINDOW_SIZE && pos < n; pos++) {
            checkAt(in, base, 0); // fills the window from 0
            checkAt(in, base, pos); // a value at or crossing the window's end
        }
        assertThrows(EOFException.class, () -> in.readByte(n));
        assertThrows(EOFException.class, () -> in.readLong(n - 7));
        assertThrows(EOFException.class, () -> in.readInt(-1));
    }

    @Test
    public void positionalReadsReturnTheFileBytesEverywhere() throws IOException {
        try (IndexInput in = dir.openInput("f", IOContext.DEFAULT)) {
            checkEverywhere((RandomAccessInput) in, 0);
            checkEverywhere(in.randomAccessSlice(1000, 3 * 4096 + 77), 1000);
            checkEverywhere(in.randomAccessSlice(4093, 20), 4093);
        }
    }

    @Test
    public void aPositionalReadFarFromTheWindowCopiesOneCacheLineAndOneNearItTheWholeWindow() throws IOException {
        try (IndexInput in = dir.openInput("f", IOContext.DEFAULT)) {
            PageCacheIndexInput input = (PageCacheIndexInput) in.randomAccessSlice(0, SIZE);
            assertEquals(content[10], input.readByte(10));
            assertEquals(PageCacheIndexInput.WINDOW_SIZE, input.windowLength()); // near the empty window at 0
            assertEquals(content[3 * 4096 + 8], input.readByte(3 * 4096 + 8)); // far past it
            assertEquals(PageCacheIndexInput.SPARSE_WINDOW_SIZE, input.windowLength());
            assertEquals(content[3 * 4096 + 300], input.readByte(3 * 4096 + 300)); // near again
            assertEquals(PageCacheIndexInput.WINDOW_SIZE, input.windowLength());
            assertEquals(expected.getLong(100), input.readLong(100)); // before it
            assertEquals(PageCacheIndexInput.SPARSE_WINDOW_SIZE, input.windowLength());
            assertEquals(expected.getInt(4096 - 2), input.readInt(4096 - 2)); // crosses a page: just the value's
            assertEquals(content[4096 + 60], input.readByte(4096 + 60));
        }
    }

    @Test
    public void anEmptyPositionalReadBeforeAnyOtherReadsNothing() throws IOException {
        // a fresh input has no window yet: an empty read at 0 used to take the window path and copy from null
        // (Lucene's doc values terms dictionary reads empty terms so)
        try (IndexInput in = dir.openInput("f", IOContext.DEFAULT)) {
            RandomAccessInput slice = in.randomAccessSlice(0, SIZE);
            byte[] bytes = {9, 9};
            slice.readBytes(0, bytes, 1, 0);
            slice.readBytes(SIZE, bytes, 0, 0);
            assertArrayEquals(new byte[] {9, 9}, bytes);
            assertEquals(content[0], slice.readByte(0));
            assertThrows(EOFException.class, () -> slice.readBytes(SIZE + 1, bytes, 0, 0));
        }
    }

    @Test
    public void aPositionalReadFromTheWindowFailsOnceTheInputIsClosed() throws IOException {
        IndexInput in = dir.openInput("f", IOContext.DEFAULT);
        RandomAccessInput slice = in.randomAccessSlice(0, SIZE);
        assertEquals(content[10], slice.readByte(10)); // the window now holds bytes 10 and on
        in.close();
        assertThrows(AlreadyClosedException.class, () -> slice.readByte(11));
        assertThrows(AlreadyClosedException.class, () -> slice.readLong(12));
        assertThrows(AlreadyClosedException.class, () -> slice.readBytes(12, new byte[4], 0, 4));
    }

    @Test
    public void bulkReadsReturnTheFileValues() throws IOException {
        try (IndexInput in = dir.openInput("f", IOContext.DEFAULT)) {
            Random r = new Random(3);
            for (int round = 0; round < 2_000; round++) {
                int kind = r.nextInt(3);
                int width = kind == 0 ? 8 : 4;
                int count = r.nextInt(round % 10 == 0 ? 400 : 40); // some larger than the buffer
                long pos = r.nextInt(SIZE - count * width);
                in.seek(pos);
                if (r.nextBoolean()) {
                    in.readByte(); // start inside a filled buffer, not at its start
                    pos++;
                }
                int off = r.nextInt(3);
                int p = (int) pos;
                switch (kind) {
                    case 0 -> {
                        long[] got = new long[off + count];
                        in.readLongs(got, off, count);
                        for (int i = 0; i < count; i++) {
                            assertEquals("long " + i + " from " + pos, expected.getLong(p + 8 * i), got[off + i]);
                        }
                    }
                    case 1 -> {
                        int[] got = new int[off + count];
                        in.readInts(got, off, count);
                        for (int i = 0; i < count; i++) {
                            assertEquals("int " + i + " from " + pos, expected.getInt(p + 4 * i), got[off + i]);
                        }
                    }
                    default -> {
                        float[] got = new float[off + count];
                        in.readFloats(got, off, count);
                        for (int i = 0; i < count; i++) {
                            assertEquals(
                                    "float " + i + " from " + pos,
                                    Float.floatToRawIntBits(expected.getFloat(p + 4 * i)),
                                    Float.floatToRawIntBits(got[off + i]));
                        }
                    }
                }
                assertEquals("file pointer after the bulk read", pos + (long) count * width, in.getFilePointer());
            }
            in.seek(SIZE - 12);
            assertThrows(EOFException.class, () -> in.readLongs(new long[2], 0, 2));
            assertThrows(IndexOutOfBoundsException.class, () -> in.readInts(new int[2], 1, 2));
        }
    }
}
