package org.pagecache.offheap.write;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.pagecache.offheap.testing.Threads;

/**
 * A truncation storm: one thread truncates mapped source files (at page boundaries) and re-extends them with their
 * pattern, over and over, while JIT-warm copier threads copy 4 KiB chunks out of the mappings with a copy routine
 * under test. The pattern has no zero byte and differs on every page, so zeros from a faulting read, garbage, or a
 * chunk from the wrong place are all caught.
 *
 * <p>The files are truncated at a page boundary and re-extended by one write of their pattern starting at the
 * end of file (no hole is ever created), so a mapped page is either beyond the end of file (a fault) or holds the
 * pattern: a copy that reports success must hold exactly the pattern. Before each copy the destination is filled
 * with a poison that differs from the pattern at every offset, so bytes the copy did not write are caught too. A
 * copy that reports success with anything else is <em>garbage accepted</em>; an {@code InternalError} seen anywhere
 * outside the copy routine (at the native call made right after it, later in the loop, or as an uncaught
 * exception) is an <em>escape</em>. Both are violations.
 *
 * <p>The files belong on tmpfs. On a disk file system (ext4 on Linux 6.18 here) the kernel itself now and then
 * lets a mapped page read as zeros, without any fault, while a truncation is in progress: it zeroes the part of a
 * folio past the new end of file (writeback does this to a folio that straddles the end of file, "because it may
 * be mmapped"; truncation does it to a large folio it cannot split) before the truncation has removed every
 * mapping of it. No copy routine can tell those zeros from data, since nothing faulted; the storm counts them
 * ({@link Result#zeroChunksAccepted}) and docs/write-path.md gives the figures.
 *
 * <p>Everything the oracle reads is private memory (the destination and the expected pattern); nothing but the
 * copy routine ever touches the mappings.
 */
final class TruncationStorm {

    /** Bytes per copy, and the granularity of truncation. */
    static final int CHUNK = 4096;

    /** A copy routine under test. */
    @FunctionalInterface
    interface Copier {
        /**
         * Copies {@code len} bytes of {@code src} (a mapping of {@code file}) at {@code srcOffset} into {@code dst};
         * returns true when it claims {@code dst} holds the source's bytes.
         */
        boolean copy(StormFile file, MemorySegment src, long srcOffset, MemorySegment dst, long len) throws IOException;
    }

    /**
     * How to storm.
     *
     * @param files source files
     * @param chunksPerFile 4 KiB chunks per file
     * @param cutAlignmentChunks truncations cut the file at multiples of this many chunks
     * @param copiers copier threads
     * @param warmupCopies copies each copier makes from the intact files before the storm starts (JIT warm-up)
     * @param stormNanos how long the storm runs at least
     * @param minTruncations how many truncations the storm makes at least
     * @param hardCapNanos the longest the storm may run to reach {@code minTruncations}
     * @param maxHoldNanos the longest a file stays truncated, and the longest pause between two truncations
     * @param stopAtFirstViolation end the storm as soon as a violation is seen (for detector runs)
     * @param seed random seed
     */
    record Config(
            int files,
            int chunksPerFile,
            int cutAlignmentChunks,
            int copiers,
            long warmupCopies,
            long stormNanos,
            long minTruncations,
            long hardCapNanos,
            long maxHoldNanos,
            boolean stopAtFirstViolation,
            long seed) {

        static Config brief(long stormSeconds) {
            return new Config(
                    4,
                    64,
                    1,
                    2,
                    100_000,
                    TimeUnit.SECONDS.toNanos(stormSeconds),
                    2_000,
                    TimeUnit.SECONDS.toNanos(stormSeconds + 120),
                    TimeUnit.MICROSECONDS.toNanos(40),
                    false,
                    System.nanoTime());
        }

        Config untilFirstViolation(long capSeconds) {
            return new Config(
                    files,
                    chunksPerFile,
                    cutAlignmentChunks,
                    copiers,
                    warmupCopies,
                    0,
                    0,
                    TimeUnit.SECONDS.toNanos(capSeconds),
                    maxHoldNanos,
                    true,
                    seed);
        }

        Config cutAlignment(int chunks) {
            if (chunks < 1 || chunksPerFile % chunks != 0) {
                throw new IllegalArgumentException("cutAlignmentChunks must divide chunksPerFile: " + chunks);
            }
            return new Config(
                    files,
                    chunksPerFile,
                    chunks,
                    copiers,
                    warmupCopies,
                    stormNanos,
                    minTruncations,
                    hardCapNanos,
                    maxHoldNanos,
                    stopAtFirstViolation,
                    seed);
        }
    }

    /**
     * What happened.
     *
     * @param truncations truncate-and-re-extend events
     * @param copies copies attempted during the storm and its warm-up
     * @param accepted copies the routine reported as good
     * @param faultsCaughtInside copies the routine reported as faulted
     * @param garbageAccepted copies reported as good that did not hold exactly the source pattern
     * @param zeroChunksAccepted of those, chunks that were entirely zero: read from the source, which served zeros
     * @param escapedInLoop {@code InternalError}s caught in the copier loop, outside the copy routine
     * @param escapedFromThread errors that ended a copier thread
     * @param uncaught exceptions that reached a thread's uncaught-exception handler
     * @param firstViolation a description of the first violation, or empty
     * @param stormError what stopped the truncating thread, or empty
     * @param hangDump a thread dump if a thread did not finish in time, or empty
     * @param nanos how long the storm ran
     */
    record Result(
            long truncations,
            long copies,
            long accepted,
            long faultsCaughtInside,
            long garbageAccepted,
            long zeroChunksAccepted,
            long escapedInLoop,
            long escapedFromThread,
            long uncaught,
            String firstViolation,
            String stormError,
            String hangDump,
            long nanos) {

        long escaped() {
            return escapedInLoop + escapedFromThread + uncaught;
        }

        long violations() {
            return garbageAccepted + escaped();
        }

        @Override
        public String toString() {
            return String.format(
                    "%,d truncations in %.1f s; %,d copies: %,d accepted, %,d faults caught inside, "
                            + "%,d garbage accepted (%,d all-zero), %,d escaped (%,d in the loop, %,d ended a thread, "
                            + "%,d uncaught)%s%s",
                    truncations,
                    nanos / 1e9,
                    copies,
                    accepted,
                    faultsCaughtInside,
                    garbageAccepted,
                    zeroChunksAccepted,
                    escaped(),
                    escapedInLoop,
                    escapedFromThread,
                    uncaught,
                    firstViolation.isEmpty() ? "" : "; first violation: " + firstViolation,
                    stormError.isEmpty() ? "" : "; storm thread failed: " + stormError);
        }
    }

    /** One source file, its mappings and its pattern (private memory). */
    static final class StormFile {
        final Path path;
        final FileChannel channel;
        final long size;
        /** Mapped with {@code FileChannel.map(..., arena)}. */
        final MemorySegment segment;
        /** A segment over a {@code MappedByteBuffer}. */
        final MemorySegment bufferSegment;
        /** What the file holds wherever it exists: private memory. */
        final MemorySegment expected;
        /**
         * What a destination holds before each copy: never zero and, at every offset, unlike the file, so bytes a
         * copy did not write show up as poison and zeros can only have come from the source.
         */
        final MemorySegment poison;
        /**
         * The file's size as a perfect oracle would know it without a system call: lowered before each truncation,
         * raised after the file is whole again. For the size-check candidate only.
         */
        volatile long knownSize;

        StormFile(Path path, int index, long size, Arena arena) throws IOException {
            this.path = path;
            this.size = size;
            this.expected = arena.allocate(size, CHUNK);
            this.poison = arena.allocate(size, CHUNK);
            for (long i = 0; i < size; i++) {
                byte b = pattern(index, i);
                expected.set(ValueLayout.JAVA_BYTE, i, b);
                poison.set(ValueLayout.JAVA_BYTE, i, (byte) (1 + (Byte.toUnsignedInt(b) % 255)));
            }
            this.channel = FileChannel.open(
                    path,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.READ,
                    StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            restore(0);
            this.knownSize = size;
            this.segment = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            this.bufferSegment = MemorySegment.ofBuffer(channel.map(FileChannel.MapMode.READ_ONLY, 0, size));
        }

        /** Writes the pattern from {@code from} to the end: one write growing the file from its end, no hole. */
        void restore(long from) throws IOException {
            ByteBuffer bytes = expected.asByteBuffer().position((int) from);
            while (bytes.hasRemaining()) {
                channel.write(bytes, bytes.position());
            }
        }
    }

    /** The byte at {@code offset} of file {@code file}: never zero, different on every page. */
    static byte pattern(int file, long offset) {
        return (byte) (1 + Math.floorMod(offset * 31 + (offset >>> 12) * 7 + file * 101L, 255));
    }

    private TruncationStorm() {}

    /** Runs a storm in {@code dir} against {@code copier}. */
    static Result run(Path dir, Config config, Copier copier) throws IOException, InterruptedException {
        try (Arena arena = Arena.ofShared()) {
            StormFile[] files = new StormFile[config.files()];
            for (int i = 0; i < files.length; i++) {
                files[i] = new StormFile(
                        dir.resolve("storm-source-" + i), i, (long) config.chunksPerFile() * CHUNK, arena);
            }
            try {
                return storm(files, config, copier);
            } finally {
                for (StormFile f : files) {
                    f.channel.close();
                    Files.deleteIfExists(f.path);
                }
            }
        }
    }

    /** Per-copier counts, written by the copier, read after it was joined. */
    private static final class Counts {
        long copies;
        long accepted;
        long rejected;
        long garbage;
        long escapedInLoop;
        long zeroChunks;
    }

    private static boolean allZero(MemorySegment dst) {
        for (long i = 0; i < CHUNK; i += Long.BYTES) {
            if (dst.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != 0) {
                return false;
            }
        }
        return true;
    }

    private static Result storm(StormFile[] files, Config config, Copier copier) throws InterruptedException {
        CountDownLatch warmed = new CountDownLatch(config.copiers());
        AtomicLong truncations = new AtomicLong();
        AtomicLong violationsSeen = new AtomicLong();
        AtomicLong escapedFromThread = new AtomicLong();
        AtomicLong uncaught = new AtomicLong();
        AtomicReference<String> firstViolation = new AtomicReference<>("");
        AtomicReference<String> stormError = new AtomicReference<>("");
        Counts[] counts = new Counts[config.copiers()];
        StopFlag stop = new StopFlag();
        List<Thread> threads = new ArrayList<>();
        Thread.UncaughtExceptionHandler handler = (thread, error) -> {
            uncaught.incrementAndGet();
            firstViolation.compareAndSet("", "uncaught in " + thread.getName() + ": " + error);
        };

        for (int c = 0; c < config.copiers(); c++) {
            Counts mine = new Counts();
            counts[c] = mine;
            long seed = config.seed() * 31 + c;
            Thread t = new Thread(
                    () -> {
                        try {
                            copierLoop(files, config, copier, mine, seed, warmed, stop, violationsSeen, firstViolation);
                        } catch (Throwable escaped) {
                            escapedFromThread.incrementAndGet();
                            violationsSeen.incrementAndGet();
                            firstViolation.compareAndSet("", "ended copier thread: " + escaped);
                        }
                    },
                    "storm-copier-" + c);
            threads.add(t);
        }
        Thread truncator = new Thread(
                () -> {
                    try {
                        truncatorLoop(files, config, warmed, stop, truncations);
                    } catch (Throwable e) {
                        stormError.compareAndSet("", e.toString());
                    }
                },
                "storm-truncator");
        threads.add(truncator);
        for (Thread t : threads) {
            t.setDaemon(true);
            t.setUncaughtExceptionHandler(handler);
            t.start();
        }

        long start = System.nanoTime();
        long hardDeadline = start + config.hardCapNanos();
        warmed.await(config.hardCapNanos(), TimeUnit.NANOSECONDS);
        long stormStart = System.nanoTime();
        while (System.nanoTime() - hardDeadline < 0 && truncator.isAlive()) {
            boolean longEnough = System.nanoTime() - stormStart >= config.stormNanos()
                    && truncations.get() >= config.minTruncations();
            if (config.stopAtFirstViolation() ? violationsSeen.get() > 0 : longEnough) {
                break;
            }
            Thread.sleep(5);
        }
        stop.stop = true;
        String dump = "";
        long joinDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (Thread t : threads) {
            long left = joinDeadline - System.nanoTime();
            if (left > 0) {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
            if (t.isAlive()) {
                dump = Threads.dump();
                break;
            }
        }
        long nanos = System.nanoTime() - stormStart;
        long copies = 0;
        long accepted = 0;
        long rejected = 0;
        long garbage = 0;
        long escapedInLoop = 0;
        long zeroChunks = 0;
        if (dump.isEmpty()) {
            for (Counts c : counts) {
                copies += c.copies;
                accepted += c.accepted;
                rejected += c.rejected;
                garbage += c.garbage;
                escapedInLoop += c.escapedInLoop;
                zeroChunks += c.zeroChunks;
            }
        }
        return new Result(
                truncations.get(),
                copies,
                accepted,
                rejected,
                garbage,
                zeroChunks,
                escapedInLoop,
                escapedFromThread.get(),
                uncaught.get(),
                firstViolation.get(),
                stormError.get(),
                dump,
                nanos);
    }

    private static final class StopFlag {
        volatile boolean stop;
    }

    private static void copierLoop(
            StormFile[] files,
            Config config,
            Copier copier,
            Counts counts,
            long seed,
            CountDownLatch warmed,
            StopFlag stop,
            AtomicLong violationsSeen,
            AtomicReference<String> firstViolation) {
        Object barrier = new Object();
        SplittableRandom random = new SplittableRandom(seed);
        long n = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dst = arena.allocate(CHUNK, CHUNK);
            while (!stop.stop) {
                if (n++ == config.warmupCopies()) {
                    warmed.countDown();
                }
                try {
                    StormFile file = files[random.nextInt(files.length)];
                    long offset = (long) random.nextInt(config.chunksPerFile()) * CHUNK;
                    MemorySegment src = random.nextBoolean() ? file.segment : file.bufferSegment;
                    MemorySegment.copy(file.poison, offset, dst, 0, CHUNK);
                    counts.copies++;
                    boolean good = copier.copy(file, src, offset, dst, CHUNK);
                    if (good) {
                        counts.accepted++;
                        // private memory on both sides: mismatch is safe here
                        long at = MemorySegment.mismatch(dst, 0, CHUNK, file.expected, offset, offset + CHUNK);
                        if (at >= 0) {
                            counts.garbage++;
                            if (allZero(dst)) {
                                counts.zeroChunks++;
                            }
                            violationsSeen.incrementAndGet();
                            firstViolation.compareAndSet("", describeGarbage(file, offset, dst, at));
                        }
                    } else {
                        counts.rejected++;
                    }
                    // a real native call: an error the copy left pending is thrown here, outside the routine
                    if (Thread.holdsLock(barrier)) {
                        throw new AssertionError("private object locked");
                    }
                } catch (InternalError escaped) {
                    counts.escapedInLoop++;
                    violationsSeen.incrementAndGet();
                    firstViolation.compareAndSet("", "escaped the copy: " + escaped);
                } catch (IOException failed) {
                    // the routine could not copy at all (its pipe broke): as wrong as an escaped fault
                    violationsSeen.incrementAndGet();
                    firstViolation.compareAndSet("", "the copy failed: " + failed);
                }
            }
        } finally {
            if (n <= config.warmupCopies()) {
                warmed.countDown();
            }
        }
    }

    private static String describeGarbage(StormFile file, long offset, MemorySegment dst, long firstMismatch) {
        long zeros = 0;
        long poisoned = 0;
        long wrong = 0;
        long lastMismatch = -1;
        for (long i = 0; i < CHUNK; i++) {
            byte got = dst.get(ValueLayout.JAVA_BYTE, i);
            if (got != file.expected.get(ValueLayout.JAVA_BYTE, offset + i)) {
                wrong++;
                lastMismatch = i;
                if (got == 0) {
                    zeros++;
                } else if (got == file.poison.get(ValueLayout.JAVA_BYTE, offset + i)) {
                    poisoned++;
                }
            }
        }
        return "garbage accepted: " + file.path.getFileName() + " chunk at " + offset + ": " + wrong
                + " wrong bytes from " + firstMismatch + " to " + lastMismatch + ": " + zeros + " zeros (read from the "
                + "source), " + poisoned + " never written by the copy, " + (wrong - zeros - poisoned) + " other";
    }

    private static void truncatorLoop(
            StormFile[] files, Config config, CountDownLatch warmed, StopFlag stop, AtomicLong truncations)
            throws IOException, InterruptedException {
        SplittableRandom random = new SplittableRandom(config.seed());
        warmed.await();
        while (!stop.stop) {
            StormFile file = files[random.nextInt(files.length)];
            long cut = (long) random.nextInt(config.chunksPerFile() / config.cutAlignmentChunks())
                    * config.cutAlignmentChunks()
                    * CHUNK;
            file.knownSize = cut;
            file.channel.truncate(cut);
            spin(random.nextLong(config.maxHoldNanos() + 1));
            file.restore(cut);
            file.knownSize = file.size;
            truncations.incrementAndGet();
            spin(random.nextLong(config.maxHoldNanos() + 1));
        }
    }

    private static void spin(long nanos) {
        long start = System.nanoTime();
        while (System.nanoTime() - start < nanos) {
            Thread.onSpinWait();
        }
    }

    /** Where the storm's files go: a fresh directory on the tmpfs at {@code /dev/shm}, or null if there is none. */
    static Path tmpfsDirectory() throws IOException {
        Path shm = Path.of("/dev/shm");
        if (!Files.isDirectory(shm)
                || !Files.isWritable(shm)
                || !"tmpfs".equals(Files.getFileStore(shm).type())) {
            return null;
        }
        return Files.createTempDirectory(shm, "pagecache-storm");
    }

    /** Storm seconds asked for with {@code -Dpagecache.storm.seconds=N}, else {@code defaultSeconds}. */
    static long stormSeconds(long defaultSeconds) {
        return Long.getLong("pagecache.storm.seconds", defaultSeconds);
    }
}
