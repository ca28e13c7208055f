package org.pagecache.lucene;

import com.carrotsearch.randomizedtesting.annotations.Seed;
import com.carrotsearch.randomizedtesting.annotations.ThreadLeakFilters;
import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSLockFactory;
import org.apache.lucene.tests.store.BaseDirectoryTestCase;
import org.junit.AfterClass;
import org.junit.BeforeClass;

/**
 * Lucene's own Directory suite on a PageCacheDirectory whose files the cache opens with direct I/O, with a
 * 32-page cache (constant eviction: every miss is a direct read, every eviction of a dirty page a direct write,
 * tails of files that end inside a block included), under a fixed seed.
 */
@Seed("D1EC7D1EC7D1EC70")
@ThreadLeakFilters(filters = CacheFixtures.CacheThreads.class)
public class TestPageCacheDirectoryDirectIo extends BaseDirectoryTestCase {
    @BeforeClass
    public static void openCache() {
        CacheFixtures.use(CacheFixtures.tiny());
    }

    @AfterClass
    public static void closeCache() throws IOException {
        CacheFixtures.close();
    }

    @Override
    protected Directory getDirectory(Path path) throws IOException {
        return new PageCacheDirectory(
                path, FSLockFactory.getDefault(), CacheFixtures.current(), ExtendedOpenOption.DIRECT);
    }
}
