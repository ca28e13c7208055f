package org.pagecache.offheap.write;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.Locale;
import java.util.Objects;

/**
 * The entry points of the fault barrier, the barrier itself, and the once-per-JVM choice of mechanism: copies
 * bytes out of memory the operating system has mapped from a file ({@code MappedByteBuffer}, a
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
 * The kernel copy is {@link KernelPipeCopy}; the self-test is {@link MappedCopySelfTest}.
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
    /** How many times a faulted copy tries to flush out further pending errors before giving up on it. */
    static final int MAX_DRAIN_ATTEMPTS = 8;

    /** Never locked by anyone: {@code Thread.holdsLock} on it is a native call that does nothing else. */
    private static final Object BARRIER_OBJECT = new Object();

    private static final Object DECISION_LOCK = new Object();
    private static volatile Decision decision;

    private MappedSourceCopy() {}

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
     * @throws IOException if the kernel copy is in use and its pipe cannot be opened or read back, or an interrupt
     *     kept closing it (a failure of the copy, not of the source: the source is not known to have faulted)
     */
    public static boolean copy(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long len)
            throws IOException {
        checkArguments(src, srcOffset, dst, dstOffset, len);
        return decision().barrier
                ? barrierCopy(src, srcOffset, dst, dstOffset, len)
                : KernelPipeCopy.copy(src, srcOffset, dst, dstOffset, len);
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

    /**
     * {@link #copy} through the kernel, whatever the self-test decided. Public for benchmarks and diagnostics.
     *
     * @throws IOException as {@link #copy}
     */
    public static boolean copyThroughKernel(
            MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long len) throws IOException {
        checkArguments(src, srcOffset, dst, dstOffset, len);
        return KernelPipeCopy.copy(src, srcOffset, dst, dstOffset, len);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Argument checks
    // ------------------------------------------------------------------------------------------------------------

    private static void checkArguments(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long len) {
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

    static boolean barrierCopy(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long len) {
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
    // Choosing the mechanism
    // ------------------------------------------------------------------------------------------------------------

    /** The choice made once per JVM. */
    record Decision(boolean barrier, String mechanism, String reason) {}

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
                MappedCopySelfTest.Result result =
                        MappedCopySelfTest.run(MappedCopySelfTest.ProbeKind.BARRIER, Math.max(0, budget) * 1_000_000L);
                Decision d = decideFrom(result, isHotSpotWithC2());
                System.getLogger(MappedSourceCopy.class.getName())
                        .log(
                                d.barrier ? System.Logger.Level.DEBUG : System.Logger.Level.INFO,
                                "copies from OS-mapped sources use {0}: {1}",
                                d.mechanism,
                                d.reason);
                return d;
            }
            default ->
                throw new IllegalArgumentException("system property " + MECHANISM_PROPERTY
                        + " must be auto, barrier or kernel; was '" + property + "'");
        }
    }

    /**
     * The rule: the kernel copy if the self-test saw anything wrong; the barrier if it saw a fault raised in
     * compiled code (left pending by the copy) thrown inside the {@code try}; without that sight (the probe was not
     * compiled within the budget), the barrier on HotSpot with C2 as its top tier, where the truncation-storm tests
     * establish the behaviour, and the kernel copy on any other VM.
     */
    static Decision decideFrom(MappedCopySelfTest.Result result, boolean hotSpotWithC2) {
        if (!result.failure().isEmpty()) {
            return new Decision(false, KERNEL_COPY, "self-test failed: " + result.failure() + " (" + result + ")");
        }
        if (result.compiledFaultsCaughtInside() > 0) {
            return new Decision(true, NATIVE_BARRIER, "self-test passed: " + result);
        }
        if (hotSpotWithC2) {
            return new Decision(
                    true,
                    NATIVE_BARRIER,
                    "self-test passed in interpreted code, compiled probe inconclusive on HotSpot/C2: " + result);
        }
        return new Decision(
                false, KERNEL_COPY, "self-test inconclusive on " + System.getProperty("java.vm.name") + ": " + result);
    }

    static boolean isHotSpotWithC2() {
        String vm = System.getProperty("java.vm.name", "");
        boolean hotSpot = vm.contains("HotSpot") || vm.contains("OpenJDK");
        boolean jvmci = Boolean.getBoolean("jdk.internal.vm.ci.enabled");
        return hotSpot && !jvmci;
    }
}
