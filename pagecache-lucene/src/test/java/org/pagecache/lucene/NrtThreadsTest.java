package org.pagecache.lucene;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.TermQuery;
import org.junit.Test;
import org.pagecache.api.PageCache;
import org.pagecache.offheap.testing.Threads;

/**
 * Near-real-time search on real threads: writers add and update documents and commit while searchers reopen
 * NRT readers and query them, on a 32-page cache (constant eviction) and on an ordinary one. Bounded: a hang fails
 * with a thread dump.
 */
public class NrtThreadsTest {
    private static final long RUN_NANOS = Duration.ofSeconds(4).toNanos();

    @Test
    public void tinyCache() throws Exception {
        run(CacheFixtures.tiny());
    }

    @Test
    public void ordinaryCache() throws Exception {
        run(CacheFixtures.ordinary());
    }

    private void run(PageCache cache) throws Exception {
        Path folder = Files.createTempDirectory("pagecache-lucene-nrt");
        try (cache;
                PageCacheDirectory dir = new PageCacheDirectory(folder, cache);
                IndexWriter writer = new IndexWriter(
                        dir,
                        new IndexWriterConfig(new StandardAnalyzer())
                                .setMaxBufferedDocs(50)
                                .setRAMBufferSizeMB(1))) {
            AtomicInteger added = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger searches = new AtomicInteger();
            long end = System.nanoTime() + RUN_NANOS;
            List<Threads.Task> tasks = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                int id = w;
                tasks.add(() -> {
                    int n = 0;
                    while (System.nanoTime() < end) {
                        Document d = new Document();
                        d.add(new StringField("id", id + "-" + n, Field.Store.YES));
                        d.add(new TextField("body", "word" + (n % 17) + " common text number " + n, Field.Store.NO));
                        writer.addDocument(d);
                        added.incrementAndGet();
                        if (++n % 500 == 0) {
                            writer.commit();
                        }
                    }
                });
            }
            for (int s = 0; s < 2; s++) {
                tasks.add(() -> {
                    DirectoryReader reader = DirectoryReader.open(writer);
                    try {
                        int last = 0;
                        while (System.nanoTime() < end) {
                            DirectoryReader next = DirectoryReader.openIfChanged(reader, writer);
                            if (next != null) {
                                reader.close();
                                reader = next;
                            }
                            IndexSearcher searcher = new IndexSearcher(reader);
                            int all = searcher.count(new MatchAllDocsQuery());
                            assertTrue("a newer NRT reader sees no fewer documents", all >= last);
                            last = all;
                            int common = searcher.count(new TermQuery(new Term("body", "common")));
                            assertEquals("every document has the word", all, common);
                            searches.incrementAndGet();
                        }
                    } finally {
                        reader.close();
                    }
                });
            }
            Threads.runAll(Duration.ofSeconds(120), tasks);
            stop.set(true);
            writer.commit();
            try (DirectoryReader reader = DirectoryReader.open(dir)) {
                assertEquals(added.get(), reader.numDocs());
                assertEquals(added.get(), new IndexSearcher(reader).count(new TermQuery(new Term("body", "common"))));
            }
            assertTrue("searches ran", searches.get() > 0);
            assertEquals("no pins left", 0, cache.stats().pinnedFrames());
        }
    }
}
