package org.pagecache.lucene;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexInput;
import org.apache.lucene.store.IndexOutput;
import org.apache.lucene.store.RandomAccessInput;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.pagecache.api.PageCache;
import org.pagecache.api.PagedFile;

/** The first adapter's findings (issue 12), each as PageCacheDirectory must now behave. */
public class FindingsTest {
    private Path folder;
    private PageCache cache;
    private PageCacheDirectory dir;

    @Before
    public void setUp() throws IOException {
        folder = Files.createTempDirectory("pagecache-lucene-findings");
        cache = CacheFixtures.tiny();
        dir = new PageCacheDirectory(folder, cache);
    }

    @After
    public void tearDown() throws IOException {
        try {
            dir.close();
        } finally {
            cache.close();
        }
    }

    private void write(String name, byte[] content) throws IOException {
        try (IndexOutput out = dir.createOutput(name, IOContext.DEFAULT)) {
            out.writeBytes(content, content.length);
        }
    }

    private static byte[] readAll(IndexInput in) throws IOException {
        byte[] b = new byte[(int) in.length()];
        in.seek(0);
        in.readBytes(b, 0, b.length);
        return b;
    }

    /** Page accesses the cache served: a read that went around the cache adds none. */
    private long accesses() {
        return cache.stats().hits() + cache.stats().faults();
    }

    private static byte[] content(String tag, int size) {
        byte[] b = new byte[size];
        byte[] t = tag.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (t[i % t.length] + i / 4096);
        }
        return b;
    }

    @Test
    public void droppedClonesHoldNoPinAndTheFileClosesAfterThem() throws IOException {
        byte[] data = content("clone", 40 * 4096); // larger than the 32-page cache
        write("f", data);
        IndexInput in = dir.openInput("f", IOContext.DEFAULT);
        List<Object> live = new ArrayList<>();
        long sum = 0;
        for (int i = 0; i < 5000; i++) {
            IndexInput c = i % 2 == 0 ? in.clone() : in.slice("s" + i, (i * 37L) % 4096, 8 * 4096);
            c.seek((i * 7919L) % (c.length() - 8));
            sum += c.readLong();
            RandomAccessInput r = in.randomAccessSlice(0, in.length());
            sum += r.readLong((i * 104729L) % (in.length() - 8));
            live.add(c);
            live.add(r);
        }
        // 10,000 clones and slices alive, read across 40 pages of a 32-page cache: none holds a pin
        assertEquals("pinned frames with live clones", 0, cache.stats().pinnedFrames());
        assertTrue(sum != 42);
        live.clear();
        in.close();
        // the last handle closed: the file can be truncated and rewritten through the cache at once
        try (PagedFile f = cache.open(folder.resolve("f"), StandardOpenOption.WRITE)) {
            f.truncate(0);
            assertEquals(0, f.size());
        }
        assertEquals(0, cache.stats().pinnedFrames());
    }

    @Test
    public void deleteThenRecreateWhileAnInputIsOpen() throws IOException {
        byte[] a = content("old", 3 * 4096 + 5);
        byte[] b = content("new", 2 * 4096 + 11);
        write("seg", a);
        try (IndexInput old = dir.openInput("seg", IOContext.DEFAULT)) {
            dir.deleteFile("seg");
            write("seg", b);
            long before = accesses();
            try (IndexInput fresh = dir.openInput("seg", IOContext.DEFAULT)) {
                assertArrayEquals("the new file under the old name", b, readAll(fresh));
            }
            assertTrue("the new file is read through the cache while the old one is open", accesses() >= before + 3);
            before = accesses();
            assertArrayEquals("the deleted file, still open", a, readAll(old));
            assertTrue("the deleted file is still read through the cache", accesses() >= before + 4);
            assertArrayEquals("on disk", b, Files.readAllBytes(folder.resolve("seg")));
        }
        // once the old file's handle closed, the name goes through the cache again
        try (IndexInput again = dir.openInput("seg", IOContext.DEFAULT)) {
            assertArrayEquals(b, readAll(again));
        }
    }

    @Test
    public void renameThenRecreateWhileAnInputIsOpen() throws IOException {
        byte[] a = content("first", 5 * 4096);
        byte[] b = content("second", 4096 + 3);
        write("pending_segments_1", a);
        try (IndexInput old = dir.openInput("pending_segments_1", IOContext.DEFAULT)) {
            dir.rename("pending_segments_1", "segments_1");
            write("pending_segments_1", b);
            long before = accesses();
            try (IndexInput moved = dir.openInput("segments_1", IOContext.DEFAULT);
                    IndexInput fresh = dir.openInput("pending_segments_1", IOContext.DEFAULT)) {
                assertArrayEquals(a, readAll(moved));
                assertArrayEquals(b, readAll(fresh));
            }
            assertTrue("both names are read through the cache", accesses() >= before + 5 + 2);
            assertArrayEquals(a, readAll(old));
        }
    }

    @Test
    public void aFileOpenForReadingCanBeOpenedForWriting() throws IOException {
        write("g", content("g", 4096));
        try (IndexInput in = dir.openInput("g", IOContext.DEFAULT);
                PagedFile w = cache.open(folder.resolve("g"), StandardOpenOption.WRITE)) {
            w.write(0, java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}));
            assertEquals(1, in.readByte());
        }
    }

    @Test
    public void syncWritesBackPagesThatAnOpenInputKeepsInTheCache() throws IOException {
        byte[] a = content("sync", 6 * 4096 + 100);
        // an ordinary cache: the tiny one would write the pages back by eviction and hide what sync does
        dir.close();
        cache.close();
        cache = CacheFixtures.ordinary();
        dir = new PageCacheDirectory(folder, cache);
        IndexOutput out = dir.createOutput("h", IOContext.DEFAULT);
        try (IndexInput reader = dir.openInput("h", IOContext.DEFAULT)) {
            out.writeBytes(a, a.length);
            out.close(); // not the file's last handle: its pages stay dirty in the cache
            assertEquals("dirty pages before sync", true, cache.stats().dirtyFrames() > 0);
            dir.sync(List.of("h"));
            assertArrayEquals("on disk after sync", a, Files.readAllBytes(folder.resolve("h")));
            assertEquals(0, reader.length()); // opened before any byte was written
        }
    }
}
