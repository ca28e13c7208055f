package org.pagecache.offheap.write;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the truncation storm against every candidate copy routine and prints a table of faults caught inside the
 * routine, faults that escaped it, and garbage accepted (the measurements in docs/write-path.md). Not a test: the
 * unsafe candidates fail by design. The safe ones are proved by {@link TruncationStormTest}.
 *
 * <pre>
 * ./mvnw -q -pl pagecache-offheap -am test-compile
 * java -cp pagecache-offheap/target/test-classes:pagecache-offheap/target/classes:$JCTOOLS_JAR \
 *     org.pagecache.offheap.write.MappedCopyCandidates 10 [candidate...]
 * </pre>
 * Run one candidate per JVM for figures that do not depend on what the JIT saw before.
 * The storm's files go to {@code java.io.tmpdir}: {@code -Djava.io.tmpdir=/dev/shm} for tmpfs (as the tests do);
 * {@code -Dstorm.cutAlignmentChunks=64} cuts the files to zero instead of at any page.
 */
public final class MappedCopyCandidates {

    private static volatile int volatileSink;

    private MappedCopyCandidates() {}

    /** The candidates, by name. */
    static Map<String, TruncationStorm.Copier> candidates() {
        Map<String, TruncationStorm.Copier> all = new LinkedHashMap<>();
        all.put("nothing", (file, src, off, dst, len) -> {
            try {
                MemorySegment.copy(src, off, dst, 0, len);
                return true;
            } catch (InternalError fault) {
                return false;
            }
        });
        all.put("fullFence", (file, src, off, dst, len) -> {
            try {
                MemorySegment.copy(src, off, dst, 0, len);
                VarHandle.fullFence();
                return true;
            } catch (InternalError fault) {
                return false;
            }
        });
        all.put("onSpinWait", (file, src, off, dst, len) -> {
            try {
                MemorySegment.copy(src, off, dst, 0, len);
                Thread.onSpinWait();
                return true;
            } catch (InternalError fault) {
                return false;
            }
        });
        all.put("volatileRead", (file, src, off, dst, len) -> {
            try {
                MemorySegment.copy(src, off, dst, 0, len);
                return volatileSink >= 0;
            } catch (InternalError fault) {
                return false;
            }
        });
        all.put("sizeOracle", (file, src, off, dst, len) -> {
            // the size-check candidate with a perfect size oracle and no system call: check, copy, check
            try {
                if (file.knownSize < off + len) {
                    return false;
                }
                MemorySegment.copy(src, off, dst, 0, len);
                return file.knownSize >= off + len;
            } catch (InternalError fault) {
                return false;
            }
        });
        all.put("sizeCheck", (file, src, off, dst, len) -> {
            // the size-check candidate, given the file (which a MemorySegment does not tell): check, copy, check;
            // FileChannel.size() is an fstat, a native call, so it is also a native barrier
            try {
                if (file.channel.size() < off + len) {
                    return false;
                }
                MemorySegment.copy(src, off, dst, 0, len);
                return file.channel.size() >= off + len;
            } catch (InternalError fault) {
                return false;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        all.put(
                "native-barrier",
                (file, src, off, dst, len) -> MappedSourceCopy.copyWithNativeBarrier(src, off, dst, 0, len));
        all.put("kernel-copy", (file, src, off, dst, len) -> MappedSourceCopy.copyThroughKernel(src, off, dst, 0, len));
        return all;
    }

    /**
     * Arguments: seconds per candidate (default 10), then candidate names (default all).
     *
     * @param args seconds, then names
     * @throws Exception if a storm cannot be set up
     */
    public static void main(String[] args) throws Exception {
        long seconds = args.length > 0 ? Long.parseLong(args[0]) : 10;
        int cutAlignment = Integer.getInteger("storm.cutAlignmentChunks", 1);
        Map<String, TruncationStorm.Copier> all = candidates();
        List<String> names = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            if (!all.containsKey(args[i])) {
                throw new IllegalArgumentException("unknown candidate " + args[i] + "; known: " + all.keySet());
            }
            names.add(args[i]);
        }
        if (names.isEmpty()) {
            names.addAll(all.keySet());
        }
        System.out.println("| candidate | truncations | copies | reported faulted | escaped | garbage accepted "
                + "| of which all-zero pages |");
        System.out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (String name : names) {
            Path dir = Files.createTempDirectory("pagecache-storm");
            try {
                TruncationStorm.Config config =
                        TruncationStorm.Config.brief(seconds).cutAlignment(cutAlignment);
                TruncationStorm.Result r = TruncationStorm.run(dir, config, all.get(name));
                if (!r.hangDump().isEmpty()) {
                    System.out.println(name + " HUNG:\n" + r.hangDump());
                }
                System.out.printf(
                        "| %s | %,d | %,d | %,d | %,d | %,d | %,d |%s%n",
                        name,
                        r.truncations(),
                        r.copies(),
                        r.faultsCaughtInside(),
                        r.escaped(),
                        r.garbageAccepted(),
                        r.zeroChunksAccepted(),
                        r.firstViolation().isEmpty() ? "" : " " + r.firstViolation());
            } finally {
                Files.deleteIfExists(dir);
            }
        }
    }
}
