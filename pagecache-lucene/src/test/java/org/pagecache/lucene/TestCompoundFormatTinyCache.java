package org.pagecache.lucene;

import com.carrotsearch.randomizedtesting.annotations.ThreadLeakFilters;
import java.io.IOException;
import org.apache.lucene.codecs.Codec;
import org.apache.lucene.tests.index.BaseCompoundFormatTestCase;
import org.apache.lucene.tests.util.TestUtil;
import org.junit.AfterClass;
import org.junit.BeforeClass;

/** Lucene's Compound format suite, default codec, every directory a PageCacheDirectory on a 32-page cache (constant eviction). */
@ThreadLeakFilters(filters = CacheFixtures.CacheThreads.class)
public class TestCompoundFormatTinyCache extends BaseCompoundFormatTestCase {
    @BeforeClass
    public static void openCache() {
        CacheFixtures.use(CacheFixtures.tiny());
    }

    @AfterClass
    public static void closeCache() throws IOException {
        CacheFixtures.close();
    }

    @Override
    protected Codec getCodec() {
        return TestUtil.getDefaultCodec();
    }
}
