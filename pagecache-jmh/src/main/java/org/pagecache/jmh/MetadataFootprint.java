package org.pagecache.jmh;

import static org.pagecache.jmh.BenchSupport.PAGE;

import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;
import org.pagecache.api.PageCache;
import org.pagecache.api.PageCacheStats;
import org.pagecache.api.PagedFile;
import org.pagecache.offheap.frame.FrameTable;

/**
 * Measures the cache's metadata per cached page: everything the cache allocates that is not frame memory,
 * on the heap and off it, per page it holds.
 *
 * <p>Two caches of different sizes are built one after the other, each filled by reading a file with as many
 * pages as the cache has frames. For each, the heap in use after a full GC and the native memory of NMT's
 * "Other" category (where FFM arenas are accounted) are taken before the cache is built and once it is full.
 * The difference between the two caches, divided by the difference in pages cached, is the metadata per cached
 * page: fixed costs (classes, thread stacks, counters) cancel out. Frame memory ({@code frames * pageSize})
 * is subtracted from the native figure. Without {@code -XX:NativeMemoryTracking=summary} the off-heap part
 * is taken from {@link FrameTable}'s constants instead, and the output says so.
 *
 * <pre>
 * java -XX:NativeMemoryTracking=summary -XX:+UseSerialGC -cp benchmarks.jar org.pagecache.jmh.MetadataFootprint [result.json]
 * </pre>
 * The optional file receives the figures as JMH-style JSON results ({@code MetadataFootprint.bytesPerFrame} and
 * {@code MetadataFootprint.bytesPerCachedPage}) for {@link org.pagecache.jmh.report.RatioReport}. The two differ
 * because the reclaimer keeps some frames free (its high watermark); a free frame costs metadata too.
 */
public final class MetadataFootprint {

    private static final int SMALL_FRAMES = 1 << 14;
    private static final int LARGE_FRAMES = 1 << 16;
    private static final Pattern NMT_OTHER = Pattern.compile("-\\s+Other \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)");

    private record Sample(int frames, long cachedPages, long heapBytes, long nativeBytes) {}

    private MetadataFootprint() {}

    /**
     * @param args optionally, where to write the JSON result
     * @throws Exception if the measurement fails
     */
    public static void main(String[] args) throws Exception {
        Path dir = BenchSupport.scratchDir();
        boolean nmt = nativeOther() >= 0;
        try {
            measure(dir, SMALL_FRAMES, nmt); // warms up class loading and JIT, discarded
            Sample small = measure(dir, SMALL_FRAMES, nmt);
            Sample large = measure(dir, LARGE_FRAMES, nmt);
            long pages = large.cachedPages() - small.cachedPages();
            double heap = (double) (large.heapBytes() - small.heapBytes()) / pages;
            double offHeap = nmt
                    ? (double) (large.nativeBytes() - small.nativeBytes()) / pages
                    : (double) FrameTable.RECORD_BYTES * (large.frames() - small.frames()) / pages;
            double total = heap + offHeap;
            double perFrame = total * pages / (large.frames() - small.frames());
            System.out.printf(
                    Locale.ROOT,
                    "caches of %d and %d frames of %d B: %d and %d pages cached%n",
                    small.frames(),
                    large.frames(),
                    PAGE,
                    small.cachedPages(),
                    large.cachedPages());
            System.out.printf(Locale.ROOT, "heap metadata:     %6.2f B per cached page%n", heap);
            System.out.printf(
                    Locale.ROOT,
                    "off-heap metadata: %6.2f B per cached page (%s)%n",
                    offHeap,
                    nmt ? "measured with NMT, frame memory subtracted" : "from FrameTable constants: NMT is off");
            System.out.printf(
                    Locale.ROOT, "total metadata:    %6.2f B per cached page, %.2f B per frame%n", total, perFrame);
            if (args.length > 0) {
                Files.writeString(Path.of(args[0]), json(perFrame, total, heap, offHeap));
            }
        } finally {
            BenchSupport.deleteTree(dir);
        }
    }

    private static Sample measure(Path dir, int frames, boolean nmt) throws Exception {
        Path file = BenchSupport.randomFile(dir.resolve("pages-" + frames), (long) frames * PAGE, frames);
        long heapBefore = usedHeap();
        long nativeBefore = nmt ? nativeOther() : 0;
        PageCache cache = BenchSupport.cache((long) frames * PAGE);
        PagedFile pagedFile = cache.open(file, StandardOpenOption.READ);
        BenchSupport.touchAll(pagedFile);
        Thread.sleep(200); // let the reclaimer restore its free-frame watermark
        long heapAfter = usedHeap();
        long nativeAfter = nmt ? nativeOther() : 0;
        PageCacheStats stats = cache.stats();
        Reference.reachabilityFence(pagedFile);
        pagedFile.close();
        cache.close();
        Files.delete(file);
        long cached = stats.frames() - stats.freeFrames();
        long frameMemory = (long) frames * PAGE;
        return new Sample(frames, cached, heapAfter - heapBefore, nativeAfter - nativeBefore - frameMemory);
    }

    private static long usedHeap() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(20);
            used = Math.min(
                    used,
                    ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    /** @return committed bytes of NMT's "Other" category, or -1 if native memory tracking is off */
    private static long nativeOther() {
        try {
            Object out = ManagementFactory.getPlatformMBeanServer()
                    .invoke(
                            new ObjectName("com.sun.management:type=DiagnosticCommand"),
                            "vmNativeMemory",
                            new Object[] {new String[] {"summary"}},
                            new String[] {String[].class.getName()});
            Matcher m = NMT_OTHER.matcher(String.valueOf(out));
            return m.find() ? Long.parseLong(m.group(2)) * 1024 : -1;
        } catch (Exception e) {
            return -1;
        }
    }

    /** @return the figures as a JMH-style JSON result file */
    static String json(double perFrame, double total, double heap, double offHeap) {
        return String.format(Locale.ROOT, """
                [
                  {
                    "benchmark" : "org.pagecache.jmh.MetadataFootprint.bytesPerFrame",
                    "mode" : "ss",
                    "threads" : 1,
                    "params" : { },
                    "primaryMetric" : { "score" : %.4f, "scoreError" : "NaN", "scoreUnit" : "B/frame" },
                    "secondaryMetrics" : { }
                  },
                  {
                    "benchmark" : "org.pagecache.jmh.MetadataFootprint.bytesPerCachedPage",
                    "mode" : "ss",
                    "threads" : 1,
                    "params" : { },
                    "primaryMetric" : { "score" : %.4f, "scoreError" : "NaN", "scoreUnit" : "B/page" },
                    "secondaryMetrics" : {
                      "heap" : { "score" : %.4f, "scoreUnit" : "B/page" },
                      "offHeap" : { "score" : %.4f, "scoreUnit" : "B/page" }
                    }
                  }
                ]
                """, perFrame, total, heap, offHeap);
    }
}
