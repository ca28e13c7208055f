package org.pagecache.offheap.reliability;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.pagecache.api.PageCache;
import org.pagecache.api.PagedFile;
import org.pagecache.api.WriteSource;
import org.pagecache.offheap.OffHeapPageCache;

/**
 * The workload of {@link CrashRecoveryTest}, run in a child JVM that the test kills with SIGKILL.
 *
 * <p>It runs numbered batches ("generations"). A batch's writes are a pure function of the round's seed and the
 * batch number ({@link #plan}), so the parent can recompute them. For each batch it prints {@code BEGIN g}, does
 * the writes, syncs every file and, after each {@code sync()} returns, prints
 * {@code SYNC g <file> <ranges>}: from then on those bytes must survive any crash. Output is flushed after
 * every line, so a line printed before the kill is in the pipe and reaches the parent, which reads the pipe to its
 * end after the kill.
 *
 * <p>Arguments: directory, seed, files, file bytes, page size, cache frames.
 */
public final class CrashWorkload {

    /** One write of a batch. */
    record Write(int file, int position, byte[] data) {}

    private CrashWorkload() {}

    /**
     * The writes of batch {@code generation}: one to six writes of 1 byte to 3 pages, over every file.
     *
     * @return the writes, in the order the workload does them
     */
    static List<Write> plan(long seed, long generation, int files, int fileBytes, int pageSize) {
        Random r = new Random(seed * 0x9E3779B97F4A7C15L + generation);
        int n = 1 + r.nextInt(6);
        List<Write> writes = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int file = r.nextInt(files);
            int len = r.nextInt(4) == 0 ? 1 + r.nextInt(64) : 1 + r.nextInt(3 * pageSize);
            int pos = r.nextInt(fileBytes - len + 1);
            byte[] data = new byte[len];
            r.nextBytes(data);
            writes.add(new Write(file, pos, data));
        }
        return writes;
    }

    /**
     * Runs batches until killed.
     *
     * @param args directory, seed, files, file bytes, page size, cache frames
     */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long seed = Long.parseLong(args[1]);
        int files = Integer.parseInt(args[2]);
        int fileBytes = Integer.parseInt(args[3]);
        int pageSize = Integer.parseInt(args[4]);
        int frames = Integer.parseInt(args[5]);
        PrintStream out = System.out;
        try (PageCache cache = OffHeapPageCache.builder()
                .pageSize(pageSize)
                .capacity((long) frames * pageSize)
                .tempPages(4)
                .frameWaitTimeout(Duration.ofSeconds(30))
                .build()) {
            PagedFile[] handles = new PagedFile[files];
            for (int i = 0; i < files; i++) {
                handles[i] = cache.open(
                        dir.resolve("crash-" + i + ".bin"),
                        StandardOpenOption.CREATE,
                        StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
            }
            ByteBuffer direct = ByteBuffer.allocateDirect(3 * pageSize);
            out.println("READY");
            out.flush();
            for (long g = 0; ; g++) {
                out.println("BEGIN " + g);
                out.flush();
                List<Write> writes = plan(seed, g, files, fileBytes, pageSize);
                StringBuilder[] ranges = new StringBuilder[files];
                for (int i = 0; i < files; i++) {
                    ranges[i] = new StringBuilder();
                }
                for (int w = 0; w < writes.size(); w++) {
                    Write write = writes.get(w);
                    long k;
                    if (w % 2 == 0) {
                        k = handles[write.file()].write(write.position(), WriteSource.of(write.data()));
                    } else {
                        direct.clear().put(write.data()).flip();
                        k = handles[write.file()].write(write.position(), direct);
                    }
                    if (k != write.data().length) {
                        throw new IllegalStateException("short write " + k + " of " + write.data().length);
                    }
                    ranges[write.file()]
                            .append(ranges[write.file()].isEmpty() ? "" : ",")
                            .append(write.position())
                            .append('+')
                            .append(write.data().length);
                }
                for (int i = 0; i < files; i++) {
                    handles[i].sync();
                    out.println("SYNC " + g + " " + i + " " + (ranges[i].isEmpty() ? "-" : ranges[i]));
                    out.flush();
                }
            }
        } catch (Throwable e) {
            out.println("ERROR " + e);
            e.printStackTrace(out);
            out.flush();
            System.exit(3);
        }
    }
}
