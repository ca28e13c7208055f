package org.pagecache.lucene;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.lucene.store.FSLockFactory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexInput;
import org.apache.lucene.store.IndexOutput;
import org.junit.Test;
import org.pagecache.api.PageCache;

/** The directory's extra file options: what it refuses (changing nothing), and direct I/O end to end. */
public class DirectoryOptionsTest {
    @Test
    public void standardOptionsAreRefusedBeforeAnythingIsCreated() throws IOException {
        Path parent = Files.createTempDirectory("pagecache-lucene-options");
        Path folder = parent.resolve("index");
        try (PageCache cache = CacheFixtures.tiny()) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> new PageCacheDirectory(folder, FSLockFactory.getDefault(), cache, StandardOpenOption.CREATE));
            assertTrue(e.getMessage(), e.getMessage().contains("CREATE"));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> new PageCacheDirectory(folder, FSLockFactory.getDefault(), cache, LinkOption.NOFOLLOW_LINKS));
            assertThrows(
                    NullPointerException.class,
                    () -> new PageCacheDirectory(
                            folder, FSLockFactory.getDefault(), cache, (java.nio.file.OpenOption) null));
            assertFalse("a refused directory created its folder", Files.exists(folder));
        }
    }

    @Test
    public void directIoFilesReadBackWhatWasWritten() throws IOException {
        Path folder = Files.createTempDirectory("pagecache-lucene-direct");
        byte[] content = new byte[3 * 4096 + 1001]; // ends inside a block
        new java.util.Random(5).nextBytes(content);
        try (PageCache cache = CacheFixtures.tiny();
                PageCacheDirectory dir =
                        new PageCacheDirectory(folder, FSLockFactory.getDefault(), cache, ExtendedOpenOption.DIRECT)) {
            try (IndexOutput out = dir.createOutput("f", IOContext.DEFAULT)) {
                out.writeBytes(content, content.length);
            }
            dir.sync(java.util.List.of("f"));
            assertArrayEquals("the file on disk", content, Files.readAllBytes(folder.resolve("f")));
            try (IndexInput in = dir.openInput("f", IOContext.DEFAULT)) {
                byte[] back = new byte[content.length];
                in.readBytes(back, 0, back.length);
                assertArrayEquals("read back through the cache", content, back);
            }
        }
    }
}
