package org.pagecache.lucene;

import com.carrotsearch.randomizedtesting.annotations.Seed;
import com.carrotsearch.randomizedtesting.annotations.ThreadLeakFilters;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.lucene.store.Directory;
import org.apache.lucene.tests.store.BaseDirectoryTestCase;
import org.junit.AfterClass;
import org.junit.BeforeClass;

/**
 * Lucene's own Directory suite on a PageCacheDirectory with a 32-page cache (constant eviction), under a fixed
 * seed (so a failure here reproduces as is).
 */
@Seed("DEADBEEFCAFE1234")
@ThreadLeakFilters(filters = CacheFixtures.CacheThreads.class)
public class TestPageCacheDirectoryTinyCache extends BaseDirectoryTestCase {
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
        return new PageCacheDirectory(path, CacheFixtures.current());
    }
}
