package org.pagecache.lucene;

import static org.junit.Assert.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexInput;
import org.apache.lucene.store.IndexOutput;
import org.junit.Test;
import org.pagecache.api.PageCache;

/**
 * Pages outlive handles: Lucene writes a file, closes it, and opens it to read; the pages written must still be
 * cached then.
 */
public class PagesOutliveHandlesTest {
    @Test
    public void aFileWrittenAndClosedIsReadWithoutPageIns() throws IOException {
        Path folder = Files.createTempDirectory("pagecache-lucene-outlive");
        try (PageCache cache = CacheFixtures.ordinary();
                PageCacheDirectory dir = new PageCacheDirectory(folder, cache)) {
            byte[] data = writeFile(dir, "seg", 7);
            long faults = cache.stats().faults();
            try (IndexInput in = dir.openInput("seg", IOContext.DEFAULT)) {
                byte[] back = new byte[data.length];
                in.readBytes(back, 0, back.length);
                org.junit.Assert.assertArrayEquals(data, back);
            }
            assertEquals(
                    "page-ins to read a file just written and closed",
                    0,
                    cache.stats().faults() - faults);
        }
    }

    @Test
    public void deletingAFileFreesItsCachedPagesAtOnce() throws IOException {
        Path folder = Files.createTempDirectory("pagecache-lucene-delete");
        try (PageCache cache = CacheFixtures.ordinary();
                PageCacheDirectory dir = new PageCacheDirectory(folder, cache)) {
            writeFile(dir, "merged-away", 8);
            assertEquals(1, cache.stats().retainedFiles());
            long free = cache.stats().freeFrames();
            dir.deleteFile("merged-away");
            assertEquals(
                    "the deleted file's pages are no longer kept",
                    0,
                    cache.stats().retainedFiles());
            org.junit.Assert.assertTrue(
                    "its 64 frames are free: " + cache.stats(), cache.stats().freeFrames() >= free + 64);
        }
    }

    @Test
    public void aDeleteThatHappenedIsNotReportedAsFailedWhenTheCacheCannotTakeTheAdvice() throws IOException {
        Path folder = Files.createTempDirectory("pagecache-lucene-delete-closed");
        PageCache cache = CacheFixtures.ordinary();
        try (PageCacheDirectory dir = new PageCacheDirectory(folder, cache)) {
            writeFile(dir, "seg", 9);
            cache.close(); // discard now fails (the cache is closed); the delete itself does not
            dir.deleteFile("seg");
            org.junit.Assert.assertFalse("the file is gone", Files.exists(folder.resolve("seg")));
        }
    }

    /** Writes 64 pages of seeded random bytes to {@code name} and closes it; @return the bytes */
    private static byte[] writeFile(PageCacheDirectory dir, String name, long seed) throws IOException {
        byte[] data = new byte[64 * 4096];
        new java.util.Random(seed).nextBytes(data);
        try (IndexOutput out = dir.createOutput(name, IOContext.DEFAULT)) {
            out.writeBytes(data, data.length);
        }
        return data;
    }
}
