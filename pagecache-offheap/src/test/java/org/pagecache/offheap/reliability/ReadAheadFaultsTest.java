package org.pagecache.offheap.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pagecache.api.PagedFile;
import org.pagecache.offheap.OffHeapPageCache;
import org.pagecache.offheap.store.DirectStore;
import org.pagecache.offheap.store.StoreFactory;

/**
 * Read-ahead over a store whose reads fail (after scribbling garbage) or come back short: a failed window
 * caches nothing, the reader's own page-in reports the error, and a retry reads the file's bytes; for buffered
 * and for direct files alike.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReadAheadFaultsTest {
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void failedReadAheadServesNoGarbage(boolean direct) throws IOException {
        int pages = 384;
        byte[] content = new byte[pages * PAGE];
        new Random(31).nextBytes(content);
        Path file = dir.resolve("data");
        Files.write(file, content);
        FaultInjector injector =
                new FaultInjector(32).rate(FaultInjector.Kind.READ_ERROR, 0.2).rate(FaultInjector.Kind.SHORT_READ, 0.2);
        StoreFactory factory = (path, options) -> options.contains(ExtendedOpenOption.DIRECT)
                ? DirectStore.open(path, options, injector)
                : injector.open(path, options);
        OpenOption[] open = direct
                ? new OpenOption[] {StandardOpenOption.READ, ExtendedOpenOption.DIRECT}
                : new OpenOption[] {StandardOpenOption.READ};
        int failures = 0;
        try (OffHeapPageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(96L * PAGE)
                        .readAhead(16)
                        .storeFactory(factory)
                        .build();
                PagedFile f = cache.open(file, open)) {
            ByteBuffer one = ByteBuffer.allocate(PAGE);
            for (int pass = 0; pass < 2; pass++) {
                for (int p = 0; p < pages; p++) {
                    for (int attempt = 0; ; attempt++) {
                        one.clear();
                        try {
                            assertEquals(PAGE, f.read((long) p * PAGE, one));
                            break;
                        } catch (IOException e) {
                            assertTrue(
                                    FaultInjector.isInjected(e)
                                            || String.valueOf(e.getMessage()).contains("block size"),
                                    "only injected failures (or O_DIRECT refusing a short slice): " + e);
                            failures++;
                            assertTrue(attempt < 100, "page " + p + " kept failing");
                        }
                    }
                    assertArrayEquals(
                            Arrays.copyOfRange(content, p * PAGE, (p + 1) * PAGE),
                            one.array(),
                            "page " + p + " of pass " + pass);
                }
            }
            assertTrue(cache.readAheadPages() > 0, "read-ahead ran");
            assertTrue(injector.injected(FaultInjector.Kind.READ_ERROR) > 0, "reads failed");
            Figures.report(
                    "faults.readAhead." + (direct ? "direct" : "buffered"),
                    injector.injected(FaultInjector.Kind.READ_ERROR)
                            + " failed and " + injector.injected(FaultInjector.Kind.SHORT_READ) + " short store reads, "
                            + failures + " reads reported a failure, " + cache.readAheadPages() + " pages read ahead, "
                            + (2L * pages) + " pages verified");
        }
    }
}
