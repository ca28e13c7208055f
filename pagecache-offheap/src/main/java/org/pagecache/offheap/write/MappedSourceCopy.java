package org.pagecache.offheap.write;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Objects;

import org.jctools.queues.atomic.MpmcAtomicArrayQueue;

/**
 * Copies bytes out of memory the operating system has mapped from a file ({@code MappedByteBuffer}, a
 * {@code MemorySegment} from {@code FileChannel.map}, or any native segment the cache does not own) into a
 * private temporary page, so that a fault on the source is always detected before the temporary page is trusted.
 *
 * <h2>Why a plain copy is not enough</h2>
 * When the file behind a mapping shrinks (or its disk fails), touching the lost pages raises {@code SIGBUS}.
 * HotSpot turns that into an {@link InternalError}, but in C2-compiled code it does so <em>asynchronously</em>:
 * the faulting load is skipped (the copy stops early or the bytes read as zeros or garbage), a pending error is
 * recorded on the thread, and the {@code InternalError} is thrown at the thread's next safepoint poll or return
 * from native code, which may well be outside the {@code try} around the copy. Nothing tells how many bytes were
 * really copied. Checksums and other intrinsics over such memory ({@code CRC32C}, {@code mismatch}) can kill
 * the JVM outright, so this class never runs anything but {@link MemorySegment#copy} over the source; checksums
 * of the private destination are fine.
 *
 * <h2>Mechanisms</h2>
 * <table>
 *   <caption>How a copy from a mapped source is made fault-safe</caption>
 *   <tr><th>name</th><th>how</th><th>cost per 4 KiB (see docs/write-path.md)</th></tr>
 *   <tr><td>{@value #NATIVE_BARRIER}</td>
 *       <td>{@code MemorySegment.copy}, then, inside the same {@code try}, a real native call
 *           ({@link Thread#holdsLock} on a private object nobody ever locks). Since JDK 19 HotSpot delivers a
 *           pending unsafe-access error when a thread returns from native code, so a fault during the copy is
 *           thrown inside the {@code try}, where it is caught and reported as {@code false}.</td>
 *       <td>the copy plus a few tens of ns at most</td></tr>
 *   <tr><td>{@value #KERNEL_COPY}</td>
 *       <td>the kernel copies: the mapped slice is written to a pipe ({@code write(2)} reads it with
 *           {@code copy_from_user}, which fails synchronously with {@code EFAULT} or a short count) and read back
 *           into the destination. The JVM never touches the mapped memory, so no asynchronous error can exist.</td>
 *       <td>two system calls, about 1 µs</td></tr>
 * </table>
 * The native barrier relies on HotSpot behaviour that is not specified, so it is used only after a self-test,
 * run once per JVM on the first copy (about 20-30 ms of the caller's CPU), has seen nothing wrong with it: a
 * scratch file is mapped and truncated; copies from the lost page must be reported as faults with nothing left
 * pending, a healthy copy must be exact, and, once the probe runs JIT-compiled, a fault compiled code left
 * pending must be thrown inside the {@code try} (where a fault was thrown, {@code Unsafe.copyMemory0} or
 * elsewhere, tells synchronous from pending). Where that fails (a fault escaped, no temporary directory), or the
 * probe was not compiled within {@value #SELF_TEST_MILLIS_PROPERTY} (default 30 ms) on a VM other than
 * HotSpot with C2, the kernel copy is used. The system property {@value #MECHANISM_PROPERTY} ({@code auto},
 * {@code barrier} or {@code kernel}) forces a choice for tests and benchmarks.
 *
 * <h2>What no mechanism can do</h2>
 * A source truncated and re-extended before the copy reads zeros without any fault: those zeros really are the
 * file's content at that moment, so they are copied and reported as success. On a disk file system the kernel
 * also, rarely, lets a mapped page read as zeros while a truncation of its file is in progress (it zeroes the
 * part of a folio past the new end of file before it has removed every mapping of it); nothing faults, so those
 * zeros are copied too (docs/write-path.md, section 3.5, has the figures).
 *
 * <p>Checking the source file's size around the copy is not a mechanism: a {@code MemorySegment} or
 * {@code MappedByteBuffer} does not say which file it maps; a truncate-and-re-extend between the two checks goes
 * unseen; and even a detected fault still leaves the asynchronous {@code InternalError} pending, to be thrown at
 * some later safepoint poll in unrelated code.
 */
public final class MappedSourceCopy {

    /** {@link #mechanism()} when the copy is followed by a native call that delivers pending faults. */
    public static final String NATIVE_BARRIER = "native-barrier";
    /** {@link #mechanism()} when the kernel copies through a pipe. */
    public static final String KERNEL_COPY = "kernel-copy";
    /** System property forcing the mechanism: {@code auto} (default), {@code barrier} or {@code kernel}. */
    public static final String MECHANISM_PROPERTY = "pagecache.mappedCopy";
    /** System property: how long the self-test may wait for its probe to be JIT-compiled, in milliseconds. */
    public static final String SELF_TEST_MILLIS_PROPERTY = "pagecache.mappedCopy.selfTestMillis";

    /** Default time the self-test waits for its probe to reach compiled code before deciding without it. */
    static final long DEFAULT_SELF_TEST_MILLIS = 30;
    /** Bytes per write into the pipe: at most PIPE_BUF (4096 on Linux), so an empty pipe always takes it whole. */
    static final int PIPE_CHUNK = 4096;
    /** How many times a faulted copy tries to flush out further pending errors before giving up on it. */
    private static final int MAX_DRAIN_ATTEMPTS = 8;
    /** How many times the kernel copy restarts after an interrupt closed its pipe. */
    private static final int MAX_INTERRUPTED_ATTEMPTS = 16;
    /** How many empty reads of bytes already in the pipe are tolerated before the pipe is declared broken. */
    private static final int MAX_EMPTY_READS = 1024;

    /** Never locked by anyone: {@code Thread.holdsLock} on it is a native call that does nothing else. */
    private static final Object BARRIER_OBJECT = new Object();

    private static final Object DECISION_LOCK = new Object();
    private static volatile Decision decision;

    private MappedSourceCopy() {
    }

    /**
     * Copies {@code len} bytes (at most a page) from {@code src} (a mapped segment that may fault) at
     * {@code srcOffset} into {@code dst} (a private temporary page) at {@code dstOffset}.
     *
     * @return {@code true} when {@code dst} now holds bytes that were really in the source; {@code false} when the
     *     source faulted (dst then holds garbage and must not be used) or was closed ({@code IllegalStateException}
     *     from the FFM API). Never throws {@code InternalError} and never leaves a pending asynchronous fault
     *     behind: no later safepoint raises one for this copy.
     * @throws NullPointerException if {@code src} or {@code dst} is null
     * @throws IllegalArgumentException if an offset or {@code len} is negative, or {@code dst} is read-only, or the
     *     system property {@value #MECHANISM_PROPERTY} has an unknown value
     * @throws IndexOutOfBoundsException if a range does not fit its segment
     * @throws UnsupportedOperationException if the kernel copy is in use and {@code dst} is a heap segment over an
     *     array other than {@code byte[]} (temporary pages are native memory)
     */
    public static boolean copy(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long len) {
        checkArguments(src, srcOffset, dst, dstOffset, len);
        return decision().barrier
            ? barrierCopy(src, srcOffset, dst, dstOffset, len)
            : kernelCopy(src, srcOffset, dst, dstOffset, len);
    }

    /** Which mechanism {@link #copy} uses: {@value #NATIVE_BARRIER} or {@value #KERNEL_COPY}. */
    public static String mechanism() {
        return decision().mechanism;
    }

    /** Why {@link #mechanism()} was chosen (the property, or the self-test's findings), for logs and stats. */
    public static String decisionReason() {
        return decision().reason;
    }

    /**
     * {@link #copy} with the native barrier, whatever the self-test decided. Safe only on JVMs where the self-test
     * passes; public for benchmarks and diagnostics.
     */
    public static boolean copyWithNativeBarrier(
        MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long len) {
        checkArguments(src, srcOffset, dst, dstOffset, len);
        return barrierCopy(src, srcOffset, dst, dstOffset, len);
    }

    /** {@link #copy} through the kernel, whatever the self-test decided. Public for benchmarks and diagnostics. */
    public static boolean copyThroughKernel(
        MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long len) {
        checkArguments(src, srcOffset, dst, dstOffset, len);
        return kernelCopy(src, srcOffset, dst, dstOffset, len);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Argument checks
    // ------------------------------------------------------------------------------------------------------------

    private static void checkArguments(
        MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long len) {
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(dst, "dst");
        if (len < 0) {
            throw new IllegalArgumentException("len must not be negative: " + len);
        }
        if (srcOffset < 0) {
            throw new IllegalArgumentException("srcOffset must not be negative: " + srcOffset);
        }
        if (dstOffset < 0) {
            throw new IllegalArgumentException("dstOffset must not be negative: " + dstOffset);
        }
        if (srcOffset > src.byteSize() - len) {
            throw new IndexOutOfBoundsException(
                "srcOffset + len (" + srcOffset + " + " + len + ") exceeds src.byteSize() " + src.byteSize());
        }
        if (dstOffset > dst.byteSize() - len) {
            throw new IndexOutOfBoundsException(
                "dstOffset + len (" + dstOffset + " + " + len + ") exceeds dst.byteSize() " + dst.byteSize());
        }
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("dst must be writable: it is a read-only segment");
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Native barrier
    // ------------------------------------------------------------------------------------------------------------

    private static boolean barrierCopy(
        MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long len) {
        if (len == 0) {
            return src.scope().isAlive();
        }
        try {
            MemorySegment.copy(src, srcOffset, dst, dstOffset, len);
            deliverPendingFaults();
            return true;
        } catch (InternalError fault) {
            drainPendingFaults();
            return false;
        } catch (IllegalStateException closed) {
            return false;
        }
    }

    /**
     * A real native call: on return from native code HotSpot throws any pending unsafe-access error, so one raised
     * by a copy just before is thrown here, inside the caller's {@code try}. A fence, {@code onSpinWait}, a volatile
     * read or an intrinsic does not do this (measured: the error then escapes the {@code try}).
     */
    static void deliverPendingFaults() {
        if (Thread.holdsLock(BARRIER_OBJECT)) {
            throw new AssertionError("the fault barrier's private object is locked");
        }
    }

    /** After a fault: make sure no further error is left pending (a second fault in the same copy). */
    private static void drainPendingFaults() {
        for (int attempt = 0; attempt < MAX_DRAIN_ATTEMPTS; attempt++) {
            try {
                deliverPendingFaults();
                return;
            } catch (InternalError another) {
                // delivered here instead of at some later safepoint: keep draining
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Kernel copy through a pipe
    // ------------------------------------------------------------------------------------------------------------

    private static boolean kernelCopy(
        MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long len) {
        if (!src.scope().isAlive()) {
            return false;
        }
        // NIO channels close themselves when the calling thread is interrupted; clear the interrupt for the copy
        // and restore it afterwards, so that an interrupt is never mistaken for a source fault.
        boolean interrupted = Thread.interrupted();
        try {
            for (int attempt = 0; ; attempt++) {
                try {
                    return kernelCopyOnce(src, srcOffset, dst, dstOffset, len);
                } catch (ClosedByInterruptException interruptedCopy) {
                    interrupted |= Thread.interrupted();
                    if (attempt + 1 >= MAX_INTERRUPTED_ATTEMPTS) {
                        throw new UncheckedIOException("kernel copy interrupted " + (attempt + 1) + " times",
                            interruptedCopy);
                    }
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static boolean kernelCopyOnce(
        MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long len)
        throws ClosedByInterruptException {
        KernelPipe pipe = KernelPipe.acquire();
        boolean clean = false;
        try {
            for (long done = 0; done < len; ) {
                int chunk = (int) Math.min(PIPE_CHUNK, len - done);
                ByteBuffer from = src.asSlice(srcOffset + done, chunk).asByteBuffer();
                int written;
                try {
                    written = pipe.sink.write(from);
                } catch (ClosedByInterruptException interruptedCopy) {
                    throw interruptedCopy;
                } catch (IOException fault) {
                    // EFAULT ("Bad address"): the kernel hit a page it could not read
                    return false;
                }
                if (written != chunk) {
                    // an empty pipe takes up to PIPE_BUF bytes whole: a short count means the source faulted
                    return false;
                }
                ByteBuffer to = dst.asSlice(dstOffset + done, chunk).asByteBuffer();
                int emptyReads = 0;
                while (to.hasRemaining()) {
                    int read = pipe.source.read(to);
                    if (read <= 0 && ++emptyReads > MAX_EMPTY_READS) {
                        throw new UncheckedIOException(new IOException(
                            "pipe returned " + to.position() + " of " + chunk + " bytes written into it"));
                    }
                }
                done += chunk;
            }
            clean = true;
            return true;
        } catch (ClosedByInterruptException interruptedCopy) {
            throw interruptedCopy;
        } catch (IOException readBack) {
            throw new UncheckedIOException("reading back from the kernel-copy pipe failed", readBack);
        } catch (IllegalStateException closed) {
            return false;
        } finally {
            if (clean) {
                pipe.release();
            } else {
                pipe.close(); // may hold part of a faulted write: never reuse it
            }
        }
    }

    /** A non-blocking pipe used to let the kernel copy bytes; pooled, reused only when left empty. */
    private static final class KernelPipe {
        private static final MpmcAtomicArrayQueue<KernelPipe> POOL =
            new MpmcAtomicArrayQueue<>(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()));

        final Pipe.SinkChannel sink;
        final Pipe.SourceChannel source;

        private KernelPipe(Pipe pipe) throws IOException {
            this.sink = pipe.sink();
            this.source = pipe.source();
            sink.configureBlocking(false);
            source.configureBlocking(false);
        }

        static KernelPipe acquire() {
            KernelPipe pipe = POOL.poll();
            if (pipe != null) {
                return pipe;
            }
            try {
                return new KernelPipe(Pipe.open());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open a pipe for the kernel copy", e);
            }
        }

        void release() {
            if (!POOL.offer(this)) {
                close();
            }
        }

        void close() {
            try {
                sink.close();
            } catch (IOException ignored) {
                // nothing was promised about this pipe
            }
            try {
                source.close();
            } catch (IOException ignored) {
                // as above
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Choosing the mechanism
    // ------------------------------------------------------------------------------------------------------------

    /** The choice made once per JVM. */
    record Decision(boolean barrier, String mechanism, String reason) {
    }

    static Decision decision() {
        Decision d = decision;
        if (d == null) {
            synchronized (DECISION_LOCK) {
                d = decision;
                if (d == null) {
                    d = decide(System.getProperty(MECHANISM_PROPERTY, "auto"));
                    decision = d;
                }
            }
        }
        return d;
    }

    static Decision decide(String property) {
        String mode = property.trim().toLowerCase(Locale.ROOT);
        switch (mode) {
            case "barrier", NATIVE_BARRIER -> {
                return new Decision(true, NATIVE_BARRIER, "forced by -D" + MECHANISM_PROPERTY + "=" + property);
            }
            case "kernel", KERNEL_COPY -> {
                return new Decision(false, KERNEL_COPY, "forced by -D" + MECHANISM_PROPERTY + "=" + property);
            }
            case "auto", "" -> {
                long budget = Long.getLong(SELF_TEST_MILLIS_PROPERTY, DEFAULT_SELF_TEST_MILLIS);
                SelfTestResult result = selfTest(ProbeKind.BARRIER, Math.max(0, budget) * 1_000_000L);
                Decision d = decideFrom(result, isHotSpotWithC2());
                System.getLogger(MappedSourceCopy.class.getName()).log(
                    d.barrier ? System.Logger.Level.DEBUG : System.Logger.Level.INFO,
                    "copies from OS-mapped sources use {0}: {1}", d.mechanism, d.reason);
                return d;
            }
            default -> throw new IllegalArgumentException("system property " + MECHANISM_PROPERTY
                + " must be auto, barrier or kernel; was '" + property + "'");
        }
    }

    /**
     * The rule: the kernel copy if the self-test saw anything wrong; the barrier if it saw a fault raised in
     * compiled code (left pending by the copy) thrown inside the {@code try}; without that sight (the probe was not
     * compiled within the budget), the barrier on HotSpot with C2 as its top tier, where the truncation-storm tests
     * establish the behaviour, and the kernel copy on any other VM.
     */
    static Decision decideFrom(SelfTestResult result, boolean hotSpotWithC2) {
        if (!result.failure().isEmpty()) {
            return new Decision(false, KERNEL_COPY, "self-test failed: " + result.failure() + " (" + result + ")");
        }
        if (result.compiledFaultsCaughtInside() > 0) {
            return new Decision(true, NATIVE_BARRIER, "self-test passed: " + result);
        }
        if (hotSpotWithC2) {
            return new Decision(true, NATIVE_BARRIER,
                "self-test passed in interpreted code, compiled probe inconclusive on HotSpot/C2: " + result);
        }
        return new Decision(false, KERNEL_COPY,
            "self-test inconclusive on " + System.getProperty("java.vm.name") + ": " + result);
    }

    static boolean isHotSpotWithC2() {
        String vm = System.getProperty("java.vm.name", "");
        boolean hotSpot = vm.contains("HotSpot") || vm.contains("OpenJDK");
        boolean jvmci = Boolean.getBoolean("jdk.internal.vm.ci.enabled");
        return hotSpot && !jvmci;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Self-test
    // ------------------------------------------------------------------------------------------------------------

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
        /** Copy and barrier inside one {@code try}, as {@link #copy} does. */
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
    record SelfTestResult(long syncFaults, long asyncFaultsInCopy, long barrierDeliveries, long faultingProbes,
                          long healthyProbes, long setupNanos, long nanos, String failure) {

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
     * healthy copies are exact: first through {@link #barrierCopy}, then through a probe of the given kind called
     * until it runs JIT-compiled and the barrier delivers a fault the compiled copy left pending. Stops at the
     * first such delivery, at the first failure, or after {@code budgetNanos}.
     */
    static SelfTestResult selfTest(ProbeKind kind, long budgetNanos) {
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
                ByteBuffer fill = arena.allocate(2 * PROBE_SPAN).fill(PROBE_FILL).asByteBuffer();
                while (fill.hasRemaining()) {
                    channel.write(fill, fill.position());
                }
                MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, 2L * PROBE_SPAN, arena);
                MemorySegment dst = arena.allocate(PROBE_LEN, 64);
                MemorySegment expected = arena.allocate(PROBE_LEN).fill(PROBE_FILL);
                MemorySegment.copy(mapped, 0, dst, 0, PROBE_LEN); // page the healthy part in while it is healthy
                channel.truncate(PROBE_SPAN);

                // 1. the real routine, as it runs now (interpreted or C1 on first use)
                if (!barrierCopy(mapped, 0, dst, 0, PROBE_LEN) || !exact(dst, expected)) {
                    failure = "a healthy copy was not exact";
                } else if (barrierCopy(mapped, PROBE_SPAN, dst, 0, PROBE_LEN)) {
                    failure = "a copy from the truncated part was reported as good";
                } else if (barrierCopy(mapped, PROBE_SPAN - PROBE_LEN / 2, dst, 0, PROBE_LEN)) {
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
        return new SelfTestResult(counts[COUNT_SYNC], counts[COUNT_ASYNC_IN_COPY], counts[COUNT_ASYNC_AT_BARRIER],
            counts[COUNT_FAULTING], counts[COUNT_HEALTHY], setup, end - start, failure);
    }

    /**
     * Calls the probe from one call site, healthy copies with a faulting one every
     * {@value #HEALTHY_PROBES_PER_ROUND} calls, until the barrier delivers a fault in compiled code (done),
     * something goes wrong (returned), or the deadline passes. One call site in one loop, so that the faulting
     * copies run in the same compiled code as the healthy ones that got it compiled.
     *
     * @return what went wrong, or empty
     */
    private static String probeUntilCompiled(MemorySegment mapped, MemorySegment dst, MemorySegment expected,
                                             ProbeKind kind, long deadline, long[] counts) {
        for (long i = 1; ; i++) {
            boolean faulting = (i & (HEALTHY_PROBES_PER_ROUND - 1)) == 0;
            int outcome;
            try {
                outcome = probe(mapped, faulting ? PROBE_SPAN : 0, dst, kind);
                deliverPendingFaults();
            } catch (InternalError escaped) {
                return faulting ? "a fault escaped the try around the copy"
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
     * One probe copy, the shape of {@link #barrierCopy} but telling where a fault was thrown: by the copy itself
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
                deliverPendingFaults();
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
        String stem = "pagecache-mapped-copy-selftest-" + ProcessHandle.current().pid() + "-"
            + Thread.currentThread().threadId() + "-";
        for (int attempt = 0; ; attempt++) {
            try {
                return Files.createFile(dir.resolve(stem + System.nanoTime() + ".bin"));
            } catch (java.nio.file.FileAlreadyExistsException taken) {
                if (attempt >= MAX_DRAIN_ATTEMPTS) {
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
            deliverPendingFaults();
            deliverPendingFaults();
            return true;
        } catch (InternalError pending) {
            return false;
        }
    }

    /** Gives any error the self-test may have left pending a chance to be thrown here rather than later. */
    private static void settle() {
        for (int i = 0; i < MAX_DRAIN_ATTEMPTS; i++) {
            if (nothingPending()) {
                return;
            }
        }
    }
}
