package org.pagecache.lucene;

import com.carrotsearch.randomizedtesting.annotations.ThreadLeakFilters;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.lucene.store.Directory;
import org.apache.lucene.tests.store.BaseDirectoryTestCase;
import org.junit.AfterClass;
import org.junit.BeforeClass;

/** Lucene's own Directory suite on a PageCacheDirectory with an ordinary cache, under a random seed. */
@ThreadLeakFilters(filters = TestCaches.CacheThreads.class)
public class TestPageCacheDirectory extends BaseDirectoryTestCase {
    @BeforeClass
    public static void openCache() {
        TestCaches.use(TestCaches.ordinary());
    }

    @AfterClass
    public static void closeCache() throws IOException {
        TestCaches.close();
    }

    @Override
    protected Directory getDirectory(Path path) throws IOException {
        return new PageCacheDirectory(path, TestCaches.current());
    }
}
