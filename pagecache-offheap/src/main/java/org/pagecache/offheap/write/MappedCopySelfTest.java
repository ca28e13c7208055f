package org.pagecache.offheap.write;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The start-up self-test of the native barrier, run once per JVM on the first copy from an OS-mapped source
 * (about 20-30 ms of the caller's CPU) when {@value MappedSourceCopy#MECHANISM_PROPERTY} is {@code auto}: a
 * scratch file is mapped and truncated; copies from the lost page must be reported as faults with nothing left
 * pending, a healthy copy must be exact, and, once the probe runs JIT-compiled, a fault compiled code left pending
 * must be thrown inside the {@code try} (where a fault was thrown, {@code Unsafe.copyMemory0} or elsewhere, tells
 * synchronous from pending). {@link MappedSourceCopy#decideFrom} turns the {@link Result} into the choice.
 */
final class MappedCopySelfTest {

    private MappedCopySelfTest() {}

    /** Span of the scratch file kept and of the part lost by truncation; covers OS pages up to 64 KiB. */
    static final int PROBE_SPAN = 64 * 1024;
    /** Bytes per probe copy: above the size where MemorySegment.copy stops using an inline loop (64). */
    static final int PROBE_LEN = 256;
    /** Probe copies per faulting one while waiting for the probe to be compiled: a power of two. */
    static final int HEALTHY_PROBES_PER_ROUND = 4096;

    private static final byte PROBE_FILL = (byte) 0x5A;
    /** The native method the interpreter and C1 code copy with: a fault thrown from it was synchronous. */
    private static final String SYNCHRONOUS_COPY_METHOD = "copyMemory0";

    /** The probe's copy routine: the real one, or broken ones with which a test shows the self-test failing. */
    enum ProbeKind {
        /** Copy and barrier inside one {@code try}, as {@link MappedSourceCopy#copy} does. */
        BARRIER,
        /** Copy inside a {@code try} with nothing after it: compiled code may let the fault escape. */
        NO_BARRIER,
        /** The copy outside any {@code try}: every fault escapes. */
        NO_TRY
    }

    /** Probe outcomes. */
    private static final int HEALTHY = 0;

    private static final int SYNC_IN_COPY = 1;
    private static final int ASYNC_IN_COPY = 2;
    private static final int ASYNC_AT_BARRIER = 3;

    /** Indexes into the probe loop's counts. */
    private static final int COUNT_SYNC = 0;

    private static final int COUNT_ASYNC_IN_COPY = 1;
    private static final int COUNT_ASYNC_AT_BARRIER = 2;
    private static final int COUNT_FAULTING = 3;
    private static final int COUNT_HEALTHY = 4;

    /**
     * What the self-test saw. {@code failure} is empty when nothing went wrong.
     *
     * @param syncFaults faults thrown synchronously by the copy (interpreted or C1 code)
     * @param asyncFaultsInCopy faults raised in compiled code, left pending, and thrown inside the {@code try}
     *     before the barrier (at the return of a compiled callee of the copy)
     * @param barrierDeliveries faults raised in compiled code, left pending, and thrown by the barrier
     * @param faultingProbes faulting probe copies made
     * @param healthyProbes healthy probe copies made
     * @param setupNanos how long the scratch mapping and the first checks took
     * @param nanos how long the self-test took in all
     * @param failure what went wrong, or empty
     */
    record Result(
            long syncFaults,
            long asyncFaultsInCopy,
            long barrierDeliveries,
            long faultingProbes,
            long healthyProbes,
            long setupNanos,
            long nanos,
            String failure) {

        /** Faults compiled code left pending that were thrown inside the {@code try} around the copy. */
        long compiledFaultsCaughtInside() {
            return asyncFaultsInCopy + barrierDeliveries;
        }

        @Override
        public String toString() {
            return "faults thrown by the copy " + syncFaults + ", left pending by compiled code and thrown inside the"
                    + " try " + compiledFaultsCaughtInside() + " (by the barrier " + barrierDeliveries + "), faulting"
                    + " probes " + faultingProbes + ", healthy probes " + healthyProbes + ", "
                    + (setupNanos / 1_000_000) + " ms setting up, " + (nanos / 1_000_000) + " ms in all"
                    + (failure.isEmpty() ? "" : ", FAILED: " + failure);
        }
    }

    /**
     * Maps a scratch file, truncates it, and checks that copies from the lost part are reported as faults and
     * healthy copies are exact: first through {@link MappedSourceCopy#barrierCopy}, then through a probe of the given kind called
     * until it runs JIT-compiled and the barrier delivers a fault the compiled copy left pending. Stops at the
     * first such delivery, at the first failure, or after {@code budgetNanos}.
     */
    static Result run(ProbeKind kind, long budgetNanos) {
        long start = System.nanoTime();
        long[] counts = new long[5];
        String failure = "";
        long probeStart = 0;
        Path file = null;
        try {
            file = createScratchFile();
            try (Arena arena = Arena.ofConfined();
                    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                // no byte loops and no var handles here: interpreted, they would cost milliseconds
                ByteBuffer fill =
                        arena.allocate(2 * PROBE_SPAN).fill(PROBE_FILL).asByteBuffer();
                while (fill.hasRemaining()) {
                    channel.write(fill, fill.position());
                }
                MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, 2L * PROBE_SPAN, arena);
                MemorySegment dst = arena.allocate(PROBE_LEN, 64);
                MemorySegment expected = arena.allocate(PROBE_LEN).fill(PROBE_FILL);
                MemorySegment.copy(mapped, 0, dst, 0, PROBE_LEN); // page the healthy part in while it is healthy
                channel.truncate(PROBE_SPAN);

                // 1. the real routine, as it runs now (interpreted or C1 on first use)
                if (!MappedSourceCopy.barrierCopy(mapped, 0, dst, 0, PROBE_LEN) || !exact(dst, expected)) {
                    failure = "a healthy copy was not exact";
                } else if (MappedSourceCopy.barrierCopy(mapped, PROBE_SPAN, dst, 0, PROBE_LEN)) {
                    failure = "a copy from the truncated part was reported as good";
                } else if (MappedSourceCopy.barrierCopy(mapped, PROBE_SPAN - PROBE_LEN / 2, dst, 0, PROBE_LEN)) {
                    failure = "a copy straddling the new end of file was reported as good";
                } else if (!nothingPending()) {
                    failure = "a fault was left pending after the copy reported it";
                }

                // 2. the probe, until it runs compiled and the barrier delivers a fault left pending by the copy
                probeStart = System.nanoTime();
                if (failure.isEmpty()) {
                    failure = probeUntilCompiled(mapped, dst, expected, kind, probeStart + budgetNanos, counts);
                }
            } finally {
                settle();
            }
        } catch (IOException | RuntimeException e) {
            failure = "could not run: " + e;
        } catch (InternalError escaped) {
            failure = "a fault escaped the self-test's checks: " + escaped;
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a stray scratch file in the temporary directory is harmless
                }
            }
        }
        long end = System.nanoTime();
        long setup = (probeStart == 0 ? end : probeStart) - start;
        return new Result(
                counts[COUNT_SYNC],
                counts[COUNT_ASYNC_IN_COPY],
                counts[COUNT_ASYNC_AT_BARRIER],
                counts[COUNT_FAULTING],
                counts[COUNT_HEALTHY],
                setup,
                end - start,
                failure);
    }

    /**
     * Calls the probe from one call site, healthy copies with a faulting one every
     * {@value #HEALTHY_PROBES_PER_ROUND} calls, until the barrier delivers a fault in compiled code (done),
     * something goes wrong (returned), or the deadline passes. One call site in one loop, so that the faulting
     * copies run in the same compiled code as the healthy ones that got it compiled.
     *
     * @return what went wrong, or empty
     */
    private static String probeUntilCompiled(
            MemorySegment mapped,
            MemorySegment dst,
            MemorySegment expected,
            ProbeKind kind,
            long deadline,
            long[] counts) {
        for (long i = 1; ; i++) {
            boolean faulting = (i & (HEALTHY_PROBES_PER_ROUND - 1)) == 0;
            int outcome;
            try {
                outcome = probe(mapped, faulting ? PROBE_SPAN : 0, dst, kind);
                MappedSourceCopy.deliverPendingFaults();
            } catch (InternalError escaped) {
                return faulting
                        ? "a fault escaped the try around the copy"
                        : "a fault escaped after a healthy probe copy";
            }
            if (!faulting) {
                if (outcome != HEALTHY) {
                    return "a healthy probe copy faulted";
                }
                counts[COUNT_HEALTHY]++;
                if ((i & (HEALTHY_PROBES_PER_ROUND - 1)) == HEALTHY_PROBES_PER_ROUND - 1 && !exact(dst, expected)) {
                    return "a healthy probe copy was not exact";
                }
                continue;
            }
            counts[COUNT_FAULTING]++;
            switch (outcome) {
                case SYNC_IN_COPY -> counts[COUNT_SYNC]++;
                case ASYNC_IN_COPY -> counts[COUNT_ASYNC_IN_COPY]++;
                case ASYNC_AT_BARRIER -> {
                    counts[COUNT_ASYNC_AT_BARRIER]++;
                    return "";
                }
                default -> {
                    return "a copy from the truncated part completed without any fault being raised";
                }
            }
            if (System.nanoTime() - deadline >= 0) {
                return "";
            }
        }
    }

    /**
     * One probe copy, the shape of {@link MappedSourceCopy#barrierCopy} but telling where a fault was thrown: by the copy itself
     * (interpreted or C1 code copies in a native method and throws synchronously), inside the copy but after it
     * was left pending (compiled code, at the return of a compiled callee), at the barrier (compiled code), or not
     * at all.
     */
    private static int probe(MemorySegment src, long srcOffset, MemorySegment dst, ProbeKind kind) {
        if (kind == ProbeKind.NO_TRY) {
            MemorySegment.copy(src, srcOffset, dst, 0, PROBE_LEN);
            return HEALTHY;
        }
        boolean copied = false;
        try {
            MemorySegment.copy(src, srcOffset, dst, 0, PROBE_LEN);
            copied = true;
            if (kind == ProbeKind.BARRIER) {
                MappedSourceCopy.deliverPendingFaults();
            }
            return HEALTHY;
        } catch (InternalError fault) {
            if (copied) {
                return ASYNC_AT_BARRIER;
            }
            StackTraceElement[] trace = fault.getStackTrace();
            boolean sync = trace.length == 0 || SYNCHRONOUS_COPY_METHOD.equals(trace[0].getMethodName());
            return sync ? SYNC_IN_COPY : ASYNC_IN_COPY;
        }
    }

    /**
     * A scratch file in the temporary directory. Not {@code Files.createTempFile}: its first use seeds a
     * {@code SecureRandom}, which alone costs tens of milliseconds.
     */
    private static Path createScratchFile() throws IOException {
        Path dir = Path.of(System.getProperty("java.io.tmpdir"));
        String stem = "pagecache-mapped-copy-selftest-"
                + ProcessHandle.current().pid() + "-" + Thread.currentThread().threadId() + "-";
        for (int attempt = 0; ; attempt++) {
            try {
                return Files.createFile(dir.resolve(stem + System.nanoTime() + ".bin"));
            } catch (java.nio.file.FileAlreadyExistsException taken) {
                if (attempt >= MappedSourceCopy.MAX_DRAIN_ATTEMPTS) {
                    throw taken;
                }
            }
        }
    }

    private static boolean exact(MemorySegment dst, MemorySegment expected) {
        // both segments are private memory: mismatch is safe here (never over a mapped source)
        return MemorySegment.mismatch(dst, 0, expected.byteSize(), expected, 0, expected.byteSize()) < 0;
    }

    private static boolean nothingPending() {
        try {
            MappedSourceCopy.deliverPendingFaults();
            MappedSourceCopy.deliverPendingFaults();
            return true;
        } catch (InternalError pending) {
            return false;
        }
    }

    /** Gives any error the self-test may have left pending a chance to be thrown here rather than later. */
    private static void settle() {
        for (int i = 0; i < MappedSourceCopy.MAX_DRAIN_ATTEMPTS; i++) {
            if (nothingPending()) {
                return;
            }
        }
    }
}
