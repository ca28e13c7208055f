package org.pagecache.offheap.write;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Single-threaded behaviour of both copy mechanisms: exact copies from healthy mappings, faults reported as
 * {@code false} (never thrown, never left pending), closed sources, bad arguments. The concurrent proof is
 * {@link TruncationStormTest}.
 */
class MappedSourceCopyTest {

    private static final int PAGE = 4096;
    private static final int FILE_PAGES = 8;
    private static final byte POISON = (byte) 0xEE;

    @TempDir
    Path dir;

    /** A copy mechanism under test. */
    @FunctionalInterface
    interface Copier {
        boolean copy(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long len) throws IOException;
    }

    static Stream<Arguments> mechanisms() {
        return Stream.of(
                Arguments.of(MappedSourceCopy.NATIVE_BARRIER, (Copier) MappedSourceCopy::copyWithNativeBarrier),
                Arguments.of(MappedSourceCopy.KERNEL_COPY, (Copier) MappedSourceCopy::copyThroughKernel),
                Arguments.of("copy() as decided", (Copier) MappedSourceCopy::copy));
    }

    /** Pattern byte at a file offset: never zero, different on every page. */
    static byte pattern(long offset) {
        return (byte) (1 + Math.floorMod(offset * 31 + (offset >>> 12) * 7, 255));
    }

    private Path patternFile(String name, int pages) throws IOException {
        Path file = dir.resolve(name);
        byte[] bytes = new byte[pages * PAGE];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = pattern(i);
        }
        Files.write(file, bytes);
        return file;
    }

    private static void assertPattern(MemorySegment dst, long dstOffset, long srcOffset, long len) {
        for (long i = 0; i < len; i++) {
            byte b = dst.get(ValueLayout.JAVA_BYTE, dstOffset + i);
            if (b != pattern(srcOffset + i)) {
                throw new AssertionError(
                        "byte " + i + " of the copy is " + b + ", the source holds " + pattern(srcOffset + i));
            }
        }
    }

    /** Calls a native method and runs a loop with safepoint polls: a fault left pending would be thrown here. */
    private static void assertNothingPending() {
        try {
            for (int i = 0; i < 3; i++) {
                Thread.holdsLock(new Object());
                Thread.yield();
            }
            long sum = 0;
            for (int i = 0; i < 1_000_000; i++) {
                sum += i ^ (sum >>> 3);
            }
            assertTrue(sum != 1, "keeps the loop alive");
        } catch (InternalError escaped) {
            throw new AssertionError("a fault was left pending by the copy and thrown later", escaped);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mechanisms")
    void copiesExactBytesFromHealthyMappedSegment(String name, Copier copier) throws IOException {
        Path file = patternFile("healthy", FILE_PAGES);
        try (Arena arena = Arena.ofConfined();
                FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment src = ch.map(FileChannel.MapMode.READ_ONLY, 0, FILE_PAGES * PAGE, arena);
            MemorySegment dst = arena.allocate(2 * PAGE).fill(POISON);
            assertTrue(copier.copy(src, 3 * PAGE, dst, 0, PAGE), "a whole page");
            assertPattern(dst, 0, 3 * PAGE, PAGE);
            dst.fill(POISON);
            assertTrue(copier.copy(src, 5 * PAGE - 100, dst, 17, 3000), "unaligned, straddling two pages");
            assertPattern(dst, 17, 5 * PAGE - 100, 3000);
            assertEquals(POISON, dst.get(ValueLayout.JAVA_BYTE, 16), "nothing written before dstOffset");
            assertEquals(POISON, dst.get(ValueLayout.JAVA_BYTE, 17 + 3000), "nothing written after the range");
            assertTrue(copier.copy(src, 0, dst, 0, 0), "an empty copy");
            assertTrue(copier.copy(src, 0, dst, 0, 2 * PAGE), "more than PIPE_BUF at once");
            assertPattern(dst, 0, 0, 2 * PAGE);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mechanisms")
    void copiesExactBytesFromMappedByteBuffer(String name, Copier copier) throws IOException {
        Path file = patternFile("buffer", FILE_PAGES);
        try (Arena arena = Arena.ofConfined();
                FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MappedByteBuffer buffer = ch.map(FileChannel.MapMode.READ_ONLY, 0, FILE_PAGES * PAGE);
            MemorySegment src = MemorySegment.ofBuffer(buffer);
            assertTrue(src.isMapped(), "a segment over a MappedByteBuffer says it is mapped");
            MemorySegment dst = arena.allocate(PAGE).fill(POISON);
            assertTrue(copier.copy(src, 6 * PAGE, dst, 0, PAGE));
            assertPattern(dst, 0, 6 * PAGE, PAGE);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mechanisms")
    void copiesIntoHeapDestinations(String name, Copier copier) throws IOException {
        Path file = patternFile("heapdst", 2);
        try (Arena arena = Arena.ofConfined();
                FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment src = ch.map(FileChannel.MapMode.READ_ONLY, 0, 2 * PAGE, arena);
            MemorySegment dst = MemorySegment.ofArray(new byte[PAGE]);
            assertTrue(copier.copy(src, PAGE, dst, 0, PAGE));
            assertPattern(dst, 0, PAGE, PAGE);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mechanisms")
    void faultFromTruncatedSourceIsReportedNotThrown(String name, Copier copier) throws IOException {
        Path file = patternFile("truncated", FILE_PAGES);
        try (Arena arena = Arena.ofConfined();
                FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment src = ch.map(FileChannel.MapMode.READ_ONLY, 0, FILE_PAGES * PAGE, arena);
            MemorySegment dst = arena.allocate(PAGE).fill(POISON);
            assertTrue(copier.copy(src, 5 * PAGE, dst, 0, PAGE), "healthy before the file shrinks");
            ch.truncate(4 * PAGE);
            assumeTrue(Files.size(file) == 4 * PAGE, "this platform truncates mapped files");

            assertFalse(copier.copy(src, 5 * PAGE, dst, 0, PAGE), "a page past the new end of file");
            assertNothingPending();
            assertFalse(copier.copy(src, 4 * PAGE - 512, dst, 0, PAGE), "straddling the new end of file");
            assertNothingPending();
            assertFalse(copier.copy(src, 4 * PAGE, dst, 0, 1), "one byte past the end");
            assertNothingPending();

            dst.fill(POISON);
            assertTrue(copier.copy(src, 2 * PAGE, dst, 0, PAGE), "the part that is still there copies fine");
            assertPattern(dst, 0, 2 * PAGE, PAGE);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mechanisms")
    void reExtendedSourceCopiesItsNewContentWithoutFault(String name, Copier copier) throws IOException {
        Path file = patternFile("reextended", 2);
        try (Arena arena = Arena.ofConfined();
                FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment src = ch.map(FileChannel.MapMode.READ_ONLY, 0, 2 * PAGE, arena);
            MemorySegment dst = arena.allocate(PAGE).fill(POISON);
            ch.truncate(PAGE);
            assumeTrue(Files.size(file) == PAGE, "this platform truncates mapped files");
            ByteBuffer again = ByteBuffer.allocate(PAGE);
            for (int i = 0; i < PAGE; i++) {
                again.put(pattern(PAGE + i));
            }
            again.flip();
            while (again.hasRemaining()) {
                ch.write(again, PAGE + again.position());
            }
            assertTrue(copier.copy(src, PAGE, dst, 0, PAGE), "the file is whole again");
            assertPattern(dst, 0, PAGE, PAGE);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mechanisms")
    void closedSourceIsReportedNotThrown(String name, Copier copier) throws IOException {
        Path file = patternFile("closed", 2);
        MemorySegment src;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Arena mapping = Arena.ofShared();
            src = ch.map(FileChannel.MapMode.READ_ONLY, 0, 2 * PAGE, mapping);
            mapping.close();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dst = arena.allocate(PAGE);
            assertFalse(copier.copy(src, 0, dst, 0, PAGE));
            assertFalse(copier.copy(src, 0, dst, 0, 0), "even an empty copy from a closed source");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mechanisms")
    void badArgumentsAreRejectedByNameAndChangeNothing(String name, Copier copier) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(PAGE).fill((byte) 1);
            MemorySegment dst = arena.allocate(PAGE).fill(POISON);
            assertMessage(assertThrows(NullPointerException.class, () -> copier.copy(null, 0, dst, 0, 1)), "src");
            assertMessage(assertThrows(NullPointerException.class, () -> copier.copy(src, 0, null, 0, 1)), "dst");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> copier.copy(src, 0, dst, 0, -1)), "len");
            assertMessage(
                    assertThrows(IllegalArgumentException.class, () -> copier.copy(src, -1, dst, 0, 1)), "srcOffset");
            assertMessage(
                    assertThrows(IllegalArgumentException.class, () -> copier.copy(src, 0, dst, -1, 1)), "dstOffset");
            assertMessage(
                    assertThrows(IndexOutOfBoundsException.class, () -> copier.copy(src, PAGE - 10, dst, 0, 11)),
                    "srcOffset");
            assertMessage(
                    assertThrows(IndexOutOfBoundsException.class, () -> copier.copy(src, 0, dst, PAGE - 10, 11)),
                    "dstOffset");
            assertMessage(
                    assertThrows(IndexOutOfBoundsException.class, () -> copier.copy(src, Long.MAX_VALUE, dst, 0, 1)),
                    "srcOffset");
            assertMessage(
                    assertThrows(IllegalArgumentException.class, () -> copier.copy(src, 0, dst.asReadOnly(), 0, 1)),
                    "dst");
            for (long i = 0; i < PAGE; i++) {
                assertEquals(POISON, dst.get(ValueLayout.JAVA_BYTE, i), "dst unchanged at " + i);
            }
        }
    }

    private static void assertMessage(Throwable thrown, String argument) {
        assertTrue(
                thrown.getMessage() != null && thrown.getMessage().contains(argument),
                "the message names " + argument + ": " + thrown.getMessage());
    }

    @Test
    void kernelCopyKeepsTheInterruptAndStillCopies() throws IOException {
        Path file = patternFile("interrupt", 2);
        try (Arena arena = Arena.ofConfined();
                FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment src = ch.map(FileChannel.MapMode.READ_ONLY, 0, 2 * PAGE, arena);
            MemorySegment dst = arena.allocate(PAGE).fill(POISON);
            Thread.currentThread().interrupt();
            try {
                assertTrue(
                        MappedSourceCopy.copyThroughKernel(src, PAGE, dst, 0, PAGE),
                        "an interrupt is not a source fault");
                assertTrue(Thread.currentThread().isInterrupted(), "the interrupt is kept for the caller");
            } finally {
                Thread.interrupted();
            }
            assertPattern(dst, 0, PAGE, PAGE);
        }
    }

    @Test
    void kernelCopyClosesThePipesOfFaultedCopies() throws IOException {
        Path fds = Path.of("/proc/self/fd");
        assumeTrue(Files.isDirectory(fds), "needs /proc/self/fd to count open files");
        Path file = patternFile("fds", 4);
        try (Arena arena = Arena.ofConfined();
                FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment src = ch.map(FileChannel.MapMode.READ_ONLY, 0, 4 * PAGE, arena);
            MemorySegment dst = arena.allocate(PAGE);
            assertTrue(MappedSourceCopy.copyThroughKernel(src, 0, dst, 0, PAGE), "opens the pool's first pipe");
            ch.truncate(PAGE);
            long before = countOpenFiles(fds);
            for (int i = 0; i < 500; i++) {
                assertFalse(MappedSourceCopy.copyThroughKernel(src, 2 * PAGE, dst, 0, PAGE));
                assertTrue(MappedSourceCopy.copyThroughKernel(src, 0, dst, 0, PAGE));
            }
            long after = countOpenFiles(fds);
            assertTrue(after <= before + 4, "500 faulted copies leaked pipes: " + before + " -> " + after + " fds");
        }
    }

    private static long countOpenFiles(Path fds) throws IOException {
        try (Stream<Path> list = Files.list(fds)) {
            return list.count();
        }
    }

    @Test
    void mechanismIsOneOfTheTwoAndExplained() {
        String mechanism = MappedSourceCopy.mechanism();
        assertTrue(
                mechanism.equals(MappedSourceCopy.NATIVE_BARRIER) || mechanism.equals(MappedSourceCopy.KERNEL_COPY),
                mechanism);
        assertFalse(MappedSourceCopy.decisionReason().isBlank());
    }
}
