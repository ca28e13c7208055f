package org.pagecache.lucene;

import static org.junit.Assert.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSLockFactory;
import org.junit.Test;
import org.pagecache.api.PageCache;
import org.pagecache.offheap.OffHeapPageCache;

/** The README's "Lucene" example: the same lines (checked against README.md), run, doing what it says. */
public class ReadmeLuceneExampleTest {
    @Test
    public void readmeLuceneExampleRunsAsWritten() throws Exception {
        Path indexPath = Files.createTempDirectory("pagecache-lucene-readme").resolve("index");
        long total;
        // --- README Lucene example ---
        try (PageCache cache = OffHeapPageCache.builder().capacity(256L << 20).build(); // bounded, off-heap
                Directory dir = new PageCacheDirectory(indexPath, FSLockFactory.getDefault(), cache);
                IndexWriter writer = new IndexWriter(dir, new IndexWriterConfig(new StandardAnalyzer()))) {
            Document doc = new Document();
            doc.add(new TextField("body", "an off-heap page cache under Lucene", Field.Store.YES));
            writer.addDocument(doc);
            writer.commit();
            try (DirectoryReader reader = DirectoryReader.open(dir)) {
                TopDocs hits = new IndexSearcher(reader).search(new TermQuery(new Term("body", "cache")), 10);
                System.out.println(hits.totalHits + ", " + cache.stats());
                // --- end ---
                total = hits.totalHits.value();
            }
        }
        assertEquals(1, total);
        assertEquals(
                snippet(
                        Path.of("src/test/java/org/pagecache/lucene/ReadmeLuceneExampleTest.java"),
                        "// --- README Lucene example ---",
                        "// --- end ---"),
                readmeSnippet());
    }

    private static List<String> snippet(Path file, String begin, String end) throws Exception {
        List<String> out = new ArrayList<>();
        boolean in = false;
        for (String line : Files.readAllLines(file)) {
            String t = line.strip();
            if (t.equals(begin)) {
                in = true;
            } else if (t.equals(end)) {
                break;
            } else if (in && !t.isEmpty()) {
                out.add(t);
            }
        }
        return out;
    }

    /** The README block's lines, without the two closing braces the test keeps open for its assertions. */
    private static List<String> readmeSnippet() throws Exception {
        List<String> out = new ArrayList<>();
        boolean section = false;
        boolean in = false;
        for (String line : Files.readAllLines(Path.of("../README.md"))) {
            String t = line.strip();
            if (t.equals("## Lucene")) {
                section = true;
            } else if (section && t.startsWith("Path indexPath")) {
                in = true;
            } else if (in && t.equals("```")) {
                break;
            } else if (in && !t.isEmpty()) {
                out.add(t);
            }
        }
        // the README closes the two blocks the test keeps open for its assertions
        if (out.size() >= 2
                && out.get(out.size() - 1).equals("}")
                && out.get(out.size() - 2).equals("}")) {
            out = out.subList(0, out.size() - 2);
        }
        return out;
    }
}
