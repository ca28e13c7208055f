package org.pagecache.offheap.reliability;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;
import org.pagecache.api.MappedView;
import org.pagecache.api.PageCache;
import org.pagecache.api.PagedFile;
import org.pagecache.api.WriteSource;
import org.pagecache.offheap.OffHeapPageCache;

/**
 * Run by {@link ResourceSafetyTest} in a child JVM started with {@code -XX:NativeMemoryTracking=summary}: builds,
 * uses and closes caches in a loop and prints the JVM's own count of natively allocated memory in the "Other"
 * category (where {@code Arena} allocations are accounted) before, while one cache is open, and after.
 *
 * <p>Arguments: directory, cycles, cache bytes.
 */
public final class ResourceCycles {

    private static final Pattern OTHER = Pattern.compile("-\\s+Other \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)");

    private ResourceCycles() {}

    static long nativeOtherKiB() throws Exception {
        String out = (String) ManagementFactory.getPlatformMBeanServer()
                .invoke(
                        new ObjectName("com.sun.management:type=DiagnosticCommand"),
                        "vmNativeMemory",
                        new Object[] {new String[] {"summary"}},
                        new String[] {String[].class.getName()});
        Matcher m = OTHER.matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("no \"Other\" category in the native memory summary:\n" + out);
        }
        return Long.parseLong(m.group(2));
    }

    /**
     * @param args directory, cycles, cache bytes
     */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int cycles = Integer.parseInt(args[1]);
        long bytes = Long.parseLong(args[2]);
        Random r = new Random(3);
        for (int i = 0; i < 10; i++) {
            cycle(dir, bytes, r, i);
        }
        long before = nativeOtherKiB();
        long whileOpen;
        try (PageCache probe =
                OffHeapPageCache.builder().pageSize(4096).capacity(bytes).build()) {
            whileOpen = nativeOtherKiB();
            if (probe.pageSize() != 4096) {
                throw new IllegalStateException("page size");
            }
        }
        for (int i = 0; i < cycles; i++) {
            cycle(dir, bytes, r, i);
        }
        long after = nativeOtherKiB();
        System.out.println("NMT " + before + " " + whileOpen + " " + after);
    }

    private static void cycle(Path dir, long bytes, Random r, int i) throws Exception {
        try (PageCache cache = OffHeapPageCache.builder()
                        .pageSize(4096)
                        .capacity(bytes)
                        .tempPages(2)
                        .build();
                PagedFile f = cache.open(
                        dir.resolve("n" + (i % 3) + ".bin"),
                        StandardOpenOption.CREATE,
                        StandardOpenOption.READ,
                        StandardOpenOption.WRITE)) {
            byte[] data = new byte[1 + r.nextInt(3 * 4096)];
            r.nextBytes(data);
            long pos = r.nextInt(32 * 4096);
            if (f.write(pos, WriteSource.of(data)) != data.length) {
                throw new IllegalStateException("short write");
            }
            try (MappedView v = f.map(pos, data.length)) {
                if (v.read(0, ByteBuffer.allocate(data.length)) != data.length) {
                    throw new IllegalStateException("short view read");
                }
            }
        }
    }
}
