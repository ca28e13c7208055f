package org.pagecache.lucene.bench;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LogDocMergePolicy;
import org.apache.lucene.index.SerialMergeScheduler;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.PhraseQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSLockFactory;
import org.apache.lucene.store.MMapDirectory;
import org.apache.lucene.store.NIOFSDirectory;
import org.pagecache.api.PageCache;
import org.pagecache.api.PageCacheStats;
import org.pagecache.lucene.PageCacheDirectory;
import org.pagecache.offheap.OffHeapPageCache;

/**
 * Indexes a seeded synthetic corpus (short documents over a Zipf vocabulary) into MMapDirectory, NIOFSDirectory
 * and PageCacheDirectory (cache twice the index, and a quarter of it), then runs one fixed mix of term, boolean
 * and phrase queries against each, and checks that every directory returns the same top hits. Run by
 * {@code scripts/lucene-bench.sh [docs] [seconds per directory] [seed]}; see docs/lucene.md.
 *
 * <p>The machine it runs on may be shared, so peers are measured interleaved: each directory is indexed twice, in
 * two rounds of opposite order (the better time is reported), and the query phase runs all directories' searchers
 * in {@value #ROUNDS} rounds of rotating order (after one unreported round), each directory a slice of every
 * round; a directory's QPS is its queries over its time summed over the rounds. The query phase's cache figures
 * include that unreported round.
 */
public final class LuceneBench {
    private static final int VOCABULARY = 50_000;
    private static final int QUERIES = 1_000;
    private static final int ROUNDS = 6;
    private static final int PAGE = 4096;

    private LuceneBench() {}

    public static void main(String[] args) throws Exception {
        int docs = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 12;
        long seed = args.length > 2 ? Long.parseLong(args[2]) : 20261201L;
        Path root = Files.createTempDirectory("pagecache-lucene-bench");
        List<Subject> subjects = new ArrayList<>();
        try {
            String[] words = new String[VOCABULARY];
            for (int i = 0; i < VOCABULARY; i++) {
                words[i] = "w" + Integer.toString(i, 36);
            }
            double[] cdf = zipf(VOCABULARY, 1.0);
            List<Query> queries = queries(words, cdf, seed + 1);
            System.out.printf(
                    Locale.ROOT,
                    "corpus: %,d docs, vocabulary %,d (Zipf s=1), seed %d; %d queries, %.0f s of queries a"
                            + " directory in %d rounds%n",
                    docs,
                    VOCABULARY,
                    seed,
                    queries.size(),
                    seconds,
                    ROUNDS);

            // an unreported round warms the JIT up for indexing and search alike, and gives the index size
            long indexBytes;
            try (Directory warm = new MMapDirectory(root.resolve("warmup"))) {
                index(warm, docs, seed, words, cdf);
                indexBytes = size(warm);
                try (DirectoryReader reader = DirectoryReader.open(warm)) {
                    IndexSearcher searcher = searcher(reader);
                    for (int i = 0; i < 3; i++) {
                        pass(searcher, queries);
                    }
                }
            }
            subjects.add(new Subject("MMapDirectory", 0, p -> new MMapDirectory(p)));
            subjects.add(new Subject("NIOFSDirectory", 0, p -> new NIOFSDirectory(p)));
            subjects.add(
                    new Subject("PageCacheDirectory, cache 2x the index", Math.max(64L * PAGE, 2 * indexBytes), null));
            subjects.add(
                    new Subject("PageCacheDirectory, cache 1/4 the index", Math.max(64L * PAGE, indexBytes / 4), null));
            if (!Boolean.getBoolean("bench.noDirect")) { // the cache with direct I/O: the OS caches none of the index
                subjects.add(new Subject(
                        "PageCacheDirectory, cache 2x the index, direct I/O",
                        Math.max(64L * PAGE, 2 * indexBytes),
                        null,
                        ExtendedOpenOption.DIRECT));
                subjects.add(new Subject(
                        "PageCacheDirectory, cache 1/4 the index, direct I/O",
                        Math.max(64L * PAGE, indexBytes / 4),
                        null,
                        ExtendedOpenOption.DIRECT));
            }

            // indexing: two rounds in opposite orders; the second round's indexes are the ones queried
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < subjects.size(); i++) {
                    Subject subject = subjects.get(round == 0 ? i : subjects.size() - 1 - i);
                    subject.index(root.resolve(round + "-" + i), docs, seed, words, cdf, round == 1);
                    System.out.printf(
                            Locale.ROOT,
                            "index round %d, %s: %.2f s%n",
                            round + 1,
                            subject.name,
                            subject.lastIndexSeconds);
                }
            }

            // queries: every directory opened, one pass each (its results), then interleaved rounds
            for (Subject subject : subjects) {
                subject.openSearcher(queries);
            }
            long slice = (long) (seconds / ROUNDS * 1e9);
            for (Subject subject : subjects) { // an unreported round: the JIT sees every directory's code first
                subject.measure(queries, slice);
                subject.queriesRun = 0;
                subject.queryNanos = 0;
            }
            for (int round = 0; round < ROUNDS; round++) {
                StringBuilder line = new StringBuilder("query round " + (round + 1) + ":");
                for (int i = 0; i < subjects.size(); i++) {
                    Subject subject = subjects.get((i + round) % subjects.size());
                    double qps = subject.measure(queries, slice);
                    line.append(String.format(Locale.ROOT, " %s %,.0f;", subject.shortName(), qps));
                }
                System.out.println(line);
            }
            for (Subject subject : subjects) {
                subject.finish();
            }
            Subject base = subjects.get(0);
            System.out.println();
            System.out.println(
                    "| directory | index MiB | indexing s (best of 2) | vs MMap | QPS | vs MMap | hit ratio (queries) "
                            + "| page-ins index / queries | evictions index / queries | results |");
            System.out.println("|---|---|---|---|---|---|---|---|---|---|");
            for (Subject subject : subjects) {
                System.out.println(subject.row(base));
            }
        } finally {
            for (Subject subject : subjects) {
                subject.closeQuietly();
            }
            try (Stream<Path> walk = Files.walk(root)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    interface DirFactory {
        Directory open(Path path) throws IOException;
    }

    private static IndexSearcher searcher(DirectoryReader reader) {
        IndexSearcher searcher = new IndexSearcher(reader);
        searcher.setQueryCache(null);
        return searcher;
    }

    private static long size(Directory dir) throws IOException {
        long bytes = 0;
        for (String f : dir.listAll()) {
            bytes += dir.fileLength(f);
        }
        return bytes;
    }

    /** One directory under test: its indexes, its searcher, its figures. */
    static final class Subject {
        final String name;
        final long cacheBytes;
        final DirFactory factory;
        PageCache cache;
        Directory dir;
        DirectoryReader reader;
        IndexSearcher searcher;
        long indexBytes;
        double lastIndexSeconds;
        double bestIndexSeconds = Double.MAX_VALUE;
        long checksum;
        long queriesRun;
        long queryNanos;
        PageCacheStats before;
        PageCacheStats afterIndex;
        PageCacheStats afterQueries;

        /** Options of the cache directory's file opens (direct I/O), or none. */
        final OpenOption[] fileOptions;

        Subject(String name, long cacheBytes, DirFactory factory, OpenOption... fileOptions) {
            this.name = name;
            this.cacheBytes = cacheBytes;
            this.factory = factory;
            this.fileOptions = fileOptions;
        }

        String shortName() {
            return cacheBytes == 0
                    ? name.replace("Directory", "")
                    : "PC " + name.substring(name.indexOf("cache ") + 6, name.indexOf(" the"))
                            + (fileOptions.length > 0 ? " direct" : "");
        }

        /** Indexes the corpus into a fresh folder (and, for the cache, a fresh cache); keeps it open if {@code keep}. */
        void index(Path path, int docs, long seed, String[] words, double[] cdf, boolean keep) throws IOException {
            PageCache c = cacheBytes == 0
                    ? null
                    : OffHeapPageCache.builder()
                            .pageSize(PAGE)
                            .capacity(cacheBytes)
                            .build();
            Directory d = c == null
                    ? factory.open(path)
                    : new PageCacheDirectory(path, FSLockFactory.getDefault(), c, fileOptions);
            try {
                PageCacheStats s0 = c == null ? null : c.stats();
                long t0 = System.nanoTime();
                index(d, docs, seed, words, cdf);
                lastIndexSeconds = (System.nanoTime() - t0) / 1e9;
                bestIndexSeconds = Math.min(bestIndexSeconds, lastIndexSeconds);
                indexBytes = size(d);
                if (keep) {
                    cache = c;
                    dir = d;
                    before = s0;
                    afterIndex = c == null ? null : c.stats();
                    c = null;
                    d = null;
                }
            } finally {
                if (d != null) {
                    d.close();
                }
                if (c != null) {
                    c.close();
                }
            }
        }

        private static void index(Directory dir, int docs, long seed, String[] words, double[] cdf) throws IOException {
            LuceneBench.index(dir, docs, seed, words, cdf);
        }

        void openSearcher(List<Query> queries) throws IOException {
            reader = DirectoryReader.open(dir);
            searcher = searcher(reader);
            checksum = pass(searcher, queries);
        }

        /** Runs passes for about {@code nanos}; @return this slice's QPS */
        double measure(List<Query> queries, long nanos) throws IOException {
            long n = 0;
            long start = System.nanoTime();
            long deadline = start + nanos;
            do {
                if (pass(searcher, queries) != checksum) {
                    throw new IllegalStateException(name + ": a pass returned other results than the first");
                }
                n += queries.size();
            } while (System.nanoTime() < deadline);
            long took = System.nanoTime() - start;
            queriesRun += n;
            queryNanos += took;
            return n / (took / 1e9);
        }

        void finish() {
            afterQueries = cache == null ? null : cache.stats();
        }

        double qps() {
            return queriesRun / (queryNanos / 1e9);
        }

        String row(Subject base) {
            String hit = "-";
            String ins = "-";
            String ev = "-";
            if (cache != null) {
                PageCacheStats idx = delta(afterIndex, before);
                PageCacheStats q = delta(afterQueries, afterIndex);
                hit = String.format(Locale.ROOT, "%.4f", q.hitRatio());
                ins = String.format(Locale.ROOT, "%,d / %,d", idx.faults(), q.faults());
                ev = String.format(Locale.ROOT, "%,d / %,d", idx.evictions(), q.evictions());
            }
            return String.format(
                    Locale.ROOT,
                    "| %s | %.1f | %.2f | %.2fx | %,.0f | %.2fx | %s | %s | %s | %s |",
                    name,
                    indexBytes / 1048576.0,
                    bestIndexSeconds,
                    bestIndexSeconds / base.bestIndexSeconds,
                    qps(),
                    qps() / base.qps(),
                    hit,
                    ins,
                    ev,
                    checksum == base.checksum ? "identical" : "DIFFERENT");
        }

        void closeQuietly() {
            for (AutoCloseable c : new AutoCloseable[] {reader, dir, cache}) {
                if (c != null) {
                    try {
                        c.close();
                    } catch (Exception e) {
                        System.err.println("closing " + name + ": " + e);
                    }
                }
            }
        }
    }

    private static PageCacheStats delta(PageCacheStats a, PageCacheStats b) {
        return new PageCacheStats(
                a.hits() - b.hits(),
                a.faults() - b.faults(),
                a.evictions() - b.evictions(),
                a.writebacks() - b.writebacks(),
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                a.frames(),
                a.freeFrames(),
                a.dirtyFrames(),
                a.pinnedFrames());
    }

    private static long pass(IndexSearcher searcher, List<Query> queries) throws IOException {
        long h = 1;
        for (Query q : queries) {
            TopDocs top = searcher.search(q, 10);
            h = h * 31 + top.totalHits.value();
            for (ScoreDoc sd : top.scoreDocs) {
                h = h * 31 + sd.doc;
                h = h * 31 + Float.floatToIntBits(sd.score);
            }
        }
        return h;
    }

    private static double[] zipf(int n, double s) {
        double[] cdf = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += 1.0 / Math.pow(i + 1, s);
            cdf[i] = sum;
        }
        for (int i = 0; i < n; i++) {
            cdf[i] /= sum;
        }
        return cdf;
    }

    private static int draw(SplittableRandom random, double[] cdf) {
        int i = java.util.Arrays.binarySearch(cdf, random.nextDouble());
        return i >= 0 ? i : Math.min(cdf.length - 1, -i - 1);
    }

    private static void index(Directory dir, int docs, long seed, String[] words, double[] cdf) throws IOException {
        IndexWriterConfig config = new IndexWriterConfig(new StandardAnalyzer())
                .setMergeScheduler(new SerialMergeScheduler())
                .setMergePolicy(new LogDocMergePolicy())
                .setMaxBufferedDocs(20_000)
                .setRAMBufferSizeMB(IndexWriterConfig.DISABLE_AUTO_FLUSH)
                .setUseCompoundFile(false);
        SplittableRandom random = new SplittableRandom(seed);
        StringBuilder body = new StringBuilder();
        try (IndexWriter writer = new IndexWriter(dir, config)) {
            for (int d = 0; d < docs; d++) {
                body.setLength(0);
                int length = 8 + random.nextInt(17);
                for (int i = 0; i < length; i++) {
                    body.append(words[draw(random, cdf)]).append(' ');
                }
                Document doc = new Document();
                doc.add(new TextField("body", body.toString(), Field.Store.NO));
                doc.add(new StoredField("id", d));
                writer.addDocument(doc);
            }
            writer.commit();
        }
    }

    private static List<Query> queries(String[] words, double[] cdf, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Query> queries = new ArrayList<>();
        for (int i = 0; i < QUERIES; i++) {
            int kind = i % 20;
            if (kind < 8) {
                queries.add(new TermQuery(new Term("body", words[draw(random, cdf)])));
            } else if (kind < 14) {
                BooleanQuery.Builder b = new BooleanQuery.Builder();
                b.add(new TermQuery(new Term("body", words[draw(random, cdf)])), BooleanClause.Occur.MUST);
                b.add(new TermQuery(new Term("body", words[draw(random, cdf)])), BooleanClause.Occur.MUST);
                queries.add(b.build());
            } else if (kind < 17) {
                BooleanQuery.Builder b = new BooleanQuery.Builder();
                for (int k = 0; k < 3; k++) {
                    b.add(new TermQuery(new Term("body", words[draw(random, cdf)])), BooleanClause.Occur.SHOULD);
                }
                queries.add(b.build());
            } else {
                queries.add(new PhraseQuery("body", words[random.nextInt(20)], words[draw(random, cdf)]));
            }
        }
        return queries;
    }
}
