package org.pagecache.lucene;

import com.carrotsearch.randomizedtesting.annotations.ThreadLeakFilters;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.lucene.store.Directory;
import org.apache.lucene.tests.store.BaseDirectoryTestCase;
import org.junit.AfterClass;
import org.junit.BeforeClass;

/** Lucene's own Directory suite on a PageCacheDirectory with an ordinary cache, under a random seed. */
@ThreadLeakFilters(filters = CacheFixtures.CacheThreads.class)
public class TestPageCacheDirectory extends BaseDirectoryTestCase {
    @BeforeClass
    public static void openCache() {
        CacheFixtures.use(CacheFixtures.ordinary());
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
