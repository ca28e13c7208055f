package org.pagecache.offheap.write;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Proves both copy mechanisms under a truncation storm (see {@link TruncationStorm}): a thread truncates and
 * re-extends mapped source files thousands of times while two JIT-warm copier threads copy 4 KiB chunks from them.
 * Every copy reported good must hold exactly the source pattern, no {@code InternalError} may be seen anywhere
 * outside the copy routine, and the JVM must go on working.
 *
 * <p>Each storm runs for a few seconds by default; {@code -Dpagecache.storm.seconds=N} (through Maven:
 * {@code -DargLine=-Dpagecache.storm.seconds=600}) makes each run for N seconds.
 *
 * <p>{@link #stormCatchesACopyWithoutBarrier} shows the storm can fail: the same copy without the barrier
 * lets faults escape and garbage through.
 */
@Tag("slow") // left out of the fast tier (scripts/test-fast.sh)
class TruncationStormTest {

    private static final long DEFAULT_STORM_SECONDS = 3;
    private static final long DETECTOR_CAP_SECONDS = 60;

    private Path dir;

    /** The storm's files live on tmpfs, where only a fault can make a mapped page unreadable (see TruncationStorm). */
    @BeforeEach
    void tmpfs() throws IOException {
        dir = TruncationStorm.tmpfsDirectory();
        assumeTrue(dir != null, "the truncation storm needs the tmpfs at /dev/shm (Linux)");
    }

    @AfterEach
    void removeTmpfsDirectory() throws IOException {
        if (dir != null) {
            try (var files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void nativeBarrierSurvivesTruncationStorm() throws Exception {
        assertSurvives(
                "native-barrier",
                (file, src, offset, dst, len) -> MappedSourceCopy.copyWithNativeBarrier(src, offset, dst, 0, len));
    }

    @Test
    void kernelCopySurvivesTruncationStorm() throws Exception {
        assertSurvives(
                "kernel-copy",
                (file, src, offset, dst, len) -> MappedSourceCopy.copyThroughKernel(src, offset, dst, 0, len));
    }

    @Test
    void stormCatchesACopyWithoutBarrier() throws Exception {
        TruncationStorm.Config config =
                TruncationStorm.Config.brief(DEFAULT_STORM_SECONDS).untilFirstViolation(DETECTOR_CAP_SECONDS);
        TruncationStorm.Result result = TruncationStorm.run(dir, config, TruncationStormTest::copyWithoutBarrier);
        System.out.println("storm, plain copy with catch and no barrier: " + result);
        assertNoHang(result);
        assertTrue(
                result.violations() > 0,
                "a copy with nothing after it must let faults escape or accept garbage under a storm, else the storm "
                        + "proves nothing: " + result);
        assertJvmStillCopies();
    }

    /** The unsafe candidate: catching {@code InternalError} around the copy and nothing else. */
    private static boolean copyWithoutBarrier(
            TruncationStorm.StormFile file, MemorySegment src, long offset, MemorySegment dst, long len) {
        try {
            MemorySegment.copy(src, offset, dst, 0, len);
            return true;
        } catch (InternalError fault) {
            return false;
        }
    }

    private void assertSurvives(String name, TruncationStorm.Copier copier) throws Exception {
        long seconds = TruncationStorm.stormSeconds(DEFAULT_STORM_SECONDS);
        TruncationStorm.Config config = TruncationStorm.Config.brief(seconds);
        TruncationStorm.Result result = TruncationStorm.run(dir, config, copier);
        System.out.println("storm, " + name + ": " + result);
        assertNoHang(result);
        assertEquals("", result.stormError(), "the truncating thread failed");
        assertEquals(0, result.violations(), name + " let a fault through: " + result);
        assertTrue(result.truncations() >= config.minTruncations(), "the storm truncated too little: " + result);
        assertTrue(
                result.faultsCaughtInside() > 0, "the storm never made a copy fault, so it proved nothing: " + result);
        assertTrue(result.accepted() > 0, "no copy succeeded: " + result);
        assertJvmStillCopies();
    }

    private static void assertNoHang(TruncationStorm.Result result) {
        if (!result.hangDump().isEmpty()) {
            fail("storm threads did not finish (a hang): " + result + "\n" + result.hangDump());
        }
    }

    /** After the storm: the JVM is alive and both mechanisms still copy exactly. */
    private void assertJvmStillCopies() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            TruncationStorm.StormFile file =
                    new TruncationStorm.StormFile(dir.resolve("after"), 7, 4L * TruncationStorm.CHUNK, arena);
            try {
                MemorySegment dst = arena.allocate(TruncationStorm.CHUNK);
                for (int i = 0; i < 4; i++) {
                    long offset = (long) i * TruncationStorm.CHUNK;
                    assertTrue(MappedSourceCopy.copyWithNativeBarrier(file.segment, offset, dst, 0, dst.byteSize()));
                    assertEquals(
                            -1,
                            MemorySegment.mismatch(
                                    dst, 0, dst.byteSize(), file.expected, offset, offset + dst.byteSize()));
                    assertTrue(MappedSourceCopy.copyThroughKernel(file.bufferSegment, offset, dst, 0, dst.byteSize()));
                    assertEquals(
                            -1,
                            MemorySegment.mismatch(
                                    dst, 0, dst.byteSize(), file.expected, offset, offset + dst.byteSize()));
                }
            } finally {
                file.channel.close();
            }
        }
    }
}
