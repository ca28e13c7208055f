package org.pagecache.lucene;

import com.carrotsearch.randomizedtesting.annotations.ThreadLeakFilters;
import java.io.IOException;
import org.apache.lucene.codecs.Codec;
import org.apache.lucene.tests.index.BasePostingsFormatTestCase;
import org.apache.lucene.tests.util.TestUtil;
import org.junit.AfterClass;
import org.junit.BeforeClass;

/** Lucene's Postings format suite, default codec, every directory a PageCacheDirectory on an ordinary cache. */
@ThreadLeakFilters(filters = CacheFixtures.CacheThreads.class)
public class TestPostingsFormat extends BasePostingsFormatTestCase {
    @BeforeClass
    public static void openCache() {
        CacheFixtures.use(CacheFixtures.ordinary());
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
