package org.pagecache.offheap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.PagedFile;
import org.pagecache.api.SourceFaultException;
import org.pagecache.api.WriteSource;
import org.pagecache.offheap.testing.Threads;

/**
 * Native memory mapped from a file by other means than {@code FileChannel.map} (here {@code mmap(2)} called
 * through the FFM {@link Linker}) is not {@link MemorySegment#isMapped()}: the cache can only know it faults when
 * the caller says so with {@link WriteSource#of(MemorySegment, boolean)}. Declared so, a storm of truncations of
 * its file under writes from it lets no {@link InternalError} escape {@code write}, and every byte a write
 * reports written is the source's.
 */
class NativeMappedSourceTest {
    private static final int PAGE = 4096;
    private static final int SOURCE_BYTES = 16 * PAGE;
    private static final int DEST_BYTES = 32 * PAGE;
    private static final int PROT_READ = 1;
    private static final int MAP_SHARED = 1;
    private static final int O_RDONLY = 0;

    @TempDir
    Path dir;

    /** mmap, munmap, open and close from the C library. */
    private static final class Libc {
        final MethodHandle mmap;
        final MethodHandle munmap;
        final MethodHandle open;
        final MethodHandle close;

        Libc() {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            mmap = linker.downcallHandle(
                    libc.find("mmap").orElseThrow(),
                    FunctionDescriptor.of(
                            ValueLayout.ADDRESS,
                            ValueLayout.ADDRESS,
                            ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_LONG));
            munmap = linker.downcallHandle(
                    libc.find("munmap").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            open = linker.downcallHandle(
                    libc.find("open").orElseThrow(),
                    FunctionDescriptor.of(
                            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
                    Linker.Option.firstVariadicArg(2));
            close = linker.downcallHandle(
                    libc.find("close").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        }

        /** Maps {@code length} bytes of {@code file} read-only and shared; unmapped when {@code arena} closes. */
        MemorySegment map(Path file, long length, Arena arena) throws Throwable {
            int fd;
            try (Arena names = Arena.ofConfined()) {
                fd = (int) open.invokeExact(names.allocateFrom(file.toString()), O_RDONLY, 0);
            }
            assertTrue(fd >= 0, "open(" + file + ") failed");
            try {
                MemorySegment at =
                        (MemorySegment) mmap.invokeExact(MemorySegment.NULL, length, PROT_READ, MAP_SHARED, fd, 0L);
                assertTrue(at.address() != -1L, "mmap failed");
                return at.reinterpret(length, arena, address -> {
                    try {
                        int unused = (int) munmap.invokeExact(address, length);
                    } catch (Throwable e) {
                        throw new AssertionError("munmap failed", e);
                    }
                });
            } finally {
                int unused = (int) close.invokeExact(fd);
            }
        }
    }

    private static Libc libc() {
        Assumptions.assumeTrue(
                System.getProperty("os.name", "").toLowerCase().contains("linux"),
                "mmap through the Linker is exercised on Linux");
        return new Libc();
    }

    private static byte sourceByte(int offset) {
        return (byte) (1 + Math.floorMod(offset * 7 + offset / 251, 255));
    }

    /** As in {@link MappedSourceStormTest}: on tmpfs a truncated page faults instead of reading as zeros. */
    private static Path tmpfs() throws IOException {
        Path shm = Path.of("/dev/shm");
        Assumptions.assumeTrue(
                Files.isDirectory(shm)
                        && Files.isWritable(shm)
                        && "tmpfs".equals(Files.getFileStore(shm).type()),
                "no writable tmpfs at /dev/shm for the mapped source");
        return Files.createTempDirectory(shm, "pagecache-native-mapped");
    }

    @Test
    void linkerMappingIsNotMappedToTheJvmAndMustBeDeclared() throws Throwable {
        Libc libc = libc();
        Path file = Files.write(dir.resolve("source"), new byte[PAGE]);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mapped = libc.map(file, PAGE, arena);
            assertTrue(mapped.isNative());
            assertFalse(mapped.isMapped(), "the JVM does not know this segment maps a file");
            assertFalse(WriteSource.of(mapped).mayFault(), "undeclared, it is taken for plain native memory");
            assertTrue(WriteSource.of(mapped, true).mayFault());
            assertTrue(WriteSource.of(mapped, true).toString().contains("may fault"));
            MemorySegment jvmMapped;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                jvmMapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, PAGE, arena);
            }
            assertTrue(WriteSource.of(jvmMapped).mayFault());
            assertTrue(WriteSource.of(jvmMapped, true).mayFault());
            IllegalArgumentException bad =
                    assertThrows(IllegalArgumentException.class, () -> WriteSource.of(jvmMapped, false));
            assertTrue(bad.getMessage().contains("mayFault"), bad.getMessage());
        }
    }

    @Test
    void declaredLinkerMappingGoesThroughTheTemporaryPage() throws Throwable {
        Libc libc = libc();
        byte[] content = new byte[2 * PAGE];
        for (int i = 0; i < content.length; i++) {
            content[i] = sourceByte(i);
        }
        Path file = Files.write(dir.resolve("source"), content);
        try (Arena arena = Arena.ofConfined();
                OffHeapPageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(16 * PAGE)
                        .build();
                PagedFile dest = cache.open(dir.resolve("dest"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            MemorySegment mapped = libc.map(file, content.length, arena);
            long temps = cache.stats().tempPageCopies();
            assertEquals(content.length, dest.write(0, WriteSource.of(mapped, true)));
            assertEquals(temps + 2, cache.stats().tempPageCopies(), "two pages through the temporary page");
            long direct = cache.stats().directCopies();
            assertEquals(content.length, dest.write(0, WriteSource.of(mapped)));
            assertEquals(direct + 2, cache.stats().directCopies(), "undeclared: copied directly");
            ByteBuffer back = ByteBuffer.allocate(content.length);
            assertEquals(content.length, dest.read(0, back));
            assertEquals(ByteBuffer.wrap(content), back.flip());
        }
    }

    @Test
    void truncatedLinkerMappingDeclaredAsFaultingLetsNoInternalErrorEscapeWrite() throws Throwable {
        Libc libc = libc();
        long seconds = Long.getLong("pagecache.storm.seconds", 2);
        Path sourceDir = tmpfs();
        byte[] content = new byte[SOURCE_BYTES];
        for (int i = 0; i < SOURCE_BYTES; i++) {
            content[i] = sourceByte(i);
        }
        Path source = sourceDir.resolve("source");
        AtomicLong escaped = new AtomicLong();
        AtomicLong faults = new AtomicLong();
        AtomicLong writes = new AtomicLong();
        AtomicLong truncations = new AtomicLong();
        try (FileChannel ch = FileChannel.open(
                        source, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                Arena arena = Arena.ofShared();
                OffHeapPageCache cache = OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(48 * PAGE)
                        .build();
                PagedFile dest = cache.open(dir.resolve("dest"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(content), 0);
            MemorySegment mapped = libc.map(source, SOURCE_BYTES, arena);
            assertFalse(mapped.isMapped());
            byte[] model = new byte[DEST_BYTES];
            for (int i = 0; i < DEST_BYTES; i++) {
                model[i] = (byte) (0x80 | (i & 0x7F));
            }
            dest.write(0, WriteSource.of(model));
            AtomicBoolean stop = new AtomicBoolean();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            Threads.Task truncator = () -> {
                try {
                    while (System.nanoTime() < end) {
                        ch.truncate(0);
                        Thread.onSpinWait();
                        ch.write(ByteBuffer.wrap(content), 0);
                        truncations.incrementAndGet();
                    }
                } finally {
                    stop.set(true);
                }
            };
            Threads.Task writer = () -> {
                Random r = new Random(7);
                ByteBuffer back = ByteBuffer.allocate(3 * PAGE);
                while (!stop.get()) {
                    int len = 1 + r.nextInt(2 * PAGE);
                    int from = r.nextInt(SOURCE_BYTES - len);
                    int pos = r.nextInt(DEST_BYTES - len);
                    long written;
                    try {
                        written = dest.write(pos, WriteSource.of(mapped.asSlice(from, len), true));
                    } catch (SourceFaultException e) {
                        assertEquals(0, e.bytesWritten());
                        written = 0;
                        faults.incrementAndGet();
                    } catch (InternalError e) {
                        escaped.incrementAndGet();
                        continue;
                    }
                    writes.incrementAndGet();
                    System.arraycopy(content, from, model, pos, (int) written);
                    back.clear().limit(len);
                    assertEquals(len, dest.read(pos, back));
                    for (int i = 0; i < len; i++) {
                        if (back.get(i) != model[pos + i]) {
                            throw new AssertionError("byte " + (pos + i) + " is " + back.get(i) + ", expected "
                                    + model[pos + i] + " (write of " + len + " from " + from + " reported " + written
                                    + ")");
                        }
                    }
                }
            };
            Threads.runAll(Duration.ofSeconds(seconds + 60), List.of(truncator, writer));
            System.out.printf(
                    "native mapping storm: %d s, %d truncations, %d writes (%d faulted), source faults %d,"
                            + " escaped %d%n",
                    seconds,
                    truncations.get(),
                    writes.get(),
                    faults.get(),
                    cache.stats().sourceFaults(),
                    escaped.get());
            assertEquals(0, escaped.get(), "InternalErrors escaped write");
            assertEquals(0, LockedFrames.count(cache), "page locks still held after the storm");
            assertTrue(truncations.get() > 100, "truncations " + truncations.get());
            assertTrue(cache.stats().sourceFaults() > 0, "the storm made the source fault: " + cache.stats());
        } finally {
            Files.deleteIfExists(source);
            Files.deleteIfExists(sourceDir);
        }
    }
}
