package org.pagecache.offheap;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A Linux {@code io_uring} instance through the foreign function API: one submission queue of reads, one
 * completion queue, entered by one thread at a time (the owner of the instance, {@link UringPrefetcher}'s
 * thread). It is only the mechanism (rings, system calls, descriptors); what the reads are for is the caller's.
 *
 * <p>Available on Linux on x86-64 and AArch64 (kernel 5.6 or later, for {@code IORING_OP_READ}), and only where
 * this module may call native code without a warning: {@link #available()} is false unless native access is
 * enabled for the module ({@code --enable-native-access=org.pagecache.offheap}, or {@code ALL-UNNAMED} on the
 * class path), so a cache never prints the JDK's restricted-method warning on its own. Every failure to set up
 * an instance is an {@link IOException} naming the call and its {@code errno}; callers fall back to threads.
 *
 * <p>Memory order: the kernel reads the submission ring's tail and writes the completion ring's tail; this side
 * publishes a submission with a release store of the submission tail (after the entry and its slot are written)
 * and reads completions after an acquire load of the completion tail, releasing the head once they are read.
 */
@SuppressWarnings("restricted") // the whole class is the native mechanism; available() gates its use
final class Uring implements AutoCloseable {
    private static final int SYS_IO_URING_SETUP = 425;
    private static final int SYS_IO_URING_ENTER = 426;
    private static final int IORING_ENTER_GETEVENTS = 1;
    private static final int IORING_FEAT_SINGLE_MMAP = 1;
    private static final byte IORING_OP_READ = 22;
    private static final long IORING_OFF_SQ_RING = 0L;
    private static final long IORING_OFF_CQ_RING = 0x8000000L;
    private static final long IORING_OFF_SQES = 0x10000000L;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_SHARED_POPULATE = 0x01 | 0x8000;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final int EBUSY = 16;
    private static final int SQE_BYTES = 64;
    private static final int CQE_BYTES = 16;
    private static final int PARAMS_BYTES = 120;
    private static final int O_CLOEXEC = 02000000;

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    /** The system calls, or null where they are not available (with the reason in {@link #UNAVAILABLE}). */
    private static final Native NATIVE;

    private static final String UNAVAILABLE;

    static {
        Native n = null;
        String why = null;
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux")) {
            why = "io_uring is Linux only (os.name " + os + ")";
        } else if (!arch.equals("amd64") && !arch.equals("x86_64") && !arch.equals("aarch64")) {
            why = "io_uring system call numbers known for x86-64 and AArch64 only (os.arch " + arch + ")";
        } else if (!Uring.class.getModule().isNativeAccessEnabled()) {
            why = "native access is not enabled for " + describe(Uring.class.getModule()) + " (--enable-native-access="
                    + moduleFlag(Uring.class.getModule()) + ")";
        } else {
            try {
                n = new Native(arch.equals("aarch64") ? 0200000 : 040000);
            } catch (Throwable e) {
                why = "the native calls could not be linked: " + e;
            }
        }
        NATIVE = n;
        UNAVAILABLE = why;
    }

    private static String describe(Module m) {
        return m.isNamed() ? "module " + m.getName() : "the class path (the unnamed module)";
    }

    private static String moduleFlag(Module m) {
        return m.isNamed() ? m.getName() : "ALL-UNNAMED";
    }

    /** @return whether io_uring instances can be set up here (see the class comment) */
    static boolean available() {
        return NATIVE != null;
    }

    /** @return why {@link #available()} is false, or null */
    static String unavailableReason() {
        return UNAVAILABLE;
    }

    private final Arena arena = Arena.ofShared();
    private final int ringFd;
    private final MemorySegment sqRing;
    private final MemorySegment cqRing;
    private final MemorySegment sqes;
    private final int sqMask;
    private final int sqEntries;
    private final int cqMask;
    private final long sqHeadOff;
    private final long sqTailOff;
    private final long sqArrayOff;
    private final long cqHeadOff;
    private final long cqTailOff;
    private final long cqesOff;
    private final MemorySegment errno;
    /** The submission tail as this side knows it (the kernel never moves it). */
    private int sqTail;
    /** Submissions written since the last {@link #enter}. */
    private int toSubmit;

    private boolean closed;

    /**
     * Sets up an instance with room for {@code entries} reads in flight (rounded up to a power of two by the
     * kernel; the completion queue is twice as long).
     */
    Uring(int entries) throws IOException {
        if (NATIVE == null) {
            throw new IOException("io_uring is not available: " + UNAVAILABLE);
        }
        if (entries < 1 || entries > 4096) {
            throw new IllegalArgumentException("io_uring entries " + entries + " not in [1, 4096]");
        }
        errno = arena.allocate(Linker.Option.captureStateLayout());
        MemorySegment params = arena.allocate(PARAMS_BYTES, 8);
        int fd;
        try {
            fd = (int) (long) NATIVE.syscall3.invokeExact(errno, (long) SYS_IO_URING_SETUP, (long) entries, params);
        } catch (Throwable e) {
            arena.close();
            throw new IOException("io_uring_setup failed: " + e, e);
        }
        if (fd < 0) {
            int err = errno();
            arena.close();
            throw new IOException("io_uring_setup(" + entries + ") failed: errno " + err);
        }
        ringFd = fd;
        try {
            int sqN = params.get(ValueLayout.JAVA_INT, 0);
            int cqN = params.get(ValueLayout.JAVA_INT, 4);
            int features = params.get(ValueLayout.JAVA_INT, 20);
            long sqOff = 40;
            long cqOff = 80;
            sqHeadOff = Integer.toUnsignedLong(params.get(ValueLayout.JAVA_INT, sqOff));
            sqTailOff = Integer.toUnsignedLong(params.get(ValueLayout.JAVA_INT, sqOff + 4));
            long sqMaskOff = Integer.toUnsignedLong(params.get(ValueLayout.JAVA_INT, sqOff + 8));
            sqArrayOff = Integer.toUnsignedLong(params.get(ValueLayout.JAVA_INT, sqOff + 24));
            cqHeadOff = Integer.toUnsignedLong(params.get(ValueLayout.JAVA_INT, cqOff));
            cqTailOff = Integer.toUnsignedLong(params.get(ValueLayout.JAVA_INT, cqOff + 4));
            long cqMaskOff = Integer.toUnsignedLong(params.get(ValueLayout.JAVA_INT, cqOff + 8));
            cqesOff = Integer.toUnsignedLong(params.get(ValueLayout.JAVA_INT, cqOff + 20));
            long sqSize = sqArrayOff + 4L * sqN;
            long cqSize = cqesOff + (long) CQE_BYTES * cqN;
            if ((features & IORING_FEAT_SINGLE_MMAP) != 0) {
                long size = Math.max(sqSize, cqSize);
                sqRing = map(size, IORING_OFF_SQ_RING);
                cqRing = sqRing;
            } else {
                sqRing = map(sqSize, IORING_OFF_SQ_RING);
                cqRing = map(cqSize, IORING_OFF_CQ_RING);
            }
            sqes = map((long) SQE_BYTES * sqN, IORING_OFF_SQES);
            sqEntries = sqN;
            sqMask = sqRing.get(ValueLayout.JAVA_INT, sqMaskOff);
            cqMask = cqRing.get(ValueLayout.JAVA_INT, cqMaskOff);
            sqTail = (int) INT.getAcquire(sqRing, sqTailOff);
        } catch (IOException | RuntimeException | Error e) {
            closeQuietly();
            throw e;
        }
    }

    private MemorySegment map(long size, long offset) throws IOException {
        MemorySegment m;
        try {
            m = (MemorySegment) NATIVE.mmap.invokeExact(
                    errno, MemorySegment.NULL, size, PROT_READ_WRITE, MAP_SHARED_POPULATE, ringFd, offset);
        } catch (Throwable e) {
            throw new IOException("mmap of the io_uring rings failed: " + e, e);
        }
        if (m.address() == -1L) {
            throw new IOException(
                    "mmap of the io_uring rings (" + size + " bytes at " + offset + ") failed: errno " + errno());
        }
        MemorySegment ring = m.reinterpret(size, arena, seg -> {
            try {
                int r = (int) NATIVE.munmap.invokeExact(MemorySegment.ofAddress(seg.address()), size);
            } catch (Throwable ignored) {
                // nothing left to do at unmap
            }
        });
        return ring;
    }

    private int errno() {
        return errno.get(
                ValueLayout.JAVA_INT,
                Linker.Option.captureStateLayout().byteOffset(MemoryLayout.PathElement.groupElement("errno")));
    }

    /** @return how many submissions fit before {@link #enter} must take some (the queue's length) */
    int capacity() {
        return sqEntries;
    }

    /** @return submissions queued and not yet given to the kernel */
    int pending() {
        return toSubmit;
    }

    /**
     * Queues a read of {@code length} bytes at {@code position} of {@code fd} into native memory at
     * {@code address}; {@code tag} comes back with its completion. At most {@link #capacity()} may be queued
     * between two {@link #enter} calls, and at most the completion queue's length in flight.
     */
    void queueRead(int fd, long address, int length, long position, long tag) {
        if (toSubmit >= sqEntries) {
            throw new IllegalStateException("io_uring submission queue full (" + sqEntries + " entries)");
        }
        int index = sqTail & sqMask;
        long e = (long) index * SQE_BYTES;
        sqes.asSlice(e, SQE_BYTES).fill((byte) 0);
        sqes.set(ValueLayout.JAVA_BYTE, e, IORING_OP_READ);
        sqes.set(ValueLayout.JAVA_INT, e + 4, fd);
        sqes.set(ValueLayout.JAVA_LONG, e + 8, position);
        sqes.set(ValueLayout.JAVA_LONG, e + 16, address);
        sqes.set(ValueLayout.JAVA_INT, e + 24, length);
        sqes.set(ValueLayout.JAVA_LONG, e + 32, tag);
        sqRing.set(ValueLayout.JAVA_INT, sqArrayOff + 4L * index, index);
        sqTail++;
        INT.setRelease(sqRing, sqTailOff, sqTail);
        toSubmit++;
    }

    /**
     * Gives the queued submissions to the kernel and, if {@code waitFor > 0}, waits until that many completions
     * are ready (an interrupted wait returns early: the caller reaps what is there and calls again).
     */
    void enter(int waitFor) throws IOException {
        int flags = waitFor > 0 ? IORING_ENTER_GETEVENTS : 0;
        for (; ; ) {
            int r;
            try {
                r = (int) (long) NATIVE.enter.invokeExact(
                        errno,
                        (long) SYS_IO_URING_ENTER,
                        (long) ringFd,
                        (long) toSubmit,
                        (long) waitFor,
                        (long) flags,
                        MemorySegment.NULL,
                        0L);
            } catch (Throwable e) {
                throw new IOException("io_uring_enter failed: " + e, e);
            }
            if (r >= 0) {
                toSubmit -= Math.min(r, toSubmit);
                return;
            }
            int err = errno();
            if (err == EINTR) {
                return;
            }
            if (err == EAGAIN || err == EBUSY) {
                if (waitFor == 0) {
                    return; // the kernel takes them on a later call, once completions are reaped
                }
                continue;
            }
            throw new IOException("io_uring_enter failed: errno " + err);
        }
    }

    /** One completion: what {@link #reap} hands out. */
    @FunctionalInterface
    interface Completion {
        void complete(long tag, int result);
    }

    /**
     * Hands every ready completion to {@code c} (its tag and the read's result: bytes read, or a negative
     * {@code errno}), then frees their slots.
     *
     * @return how many were handed out
     */
    int reap(Completion c) {
        int head = (int) INT.getAcquire(cqRing, cqHeadOff);
        int tail = (int) INT.getAcquire(cqRing, cqTailOff);
        int n = 0;
        while (head != tail) {
            long e = cqesOff + (long) (head & cqMask) * CQE_BYTES;
            long tag = cqRing.get(ValueLayout.JAVA_LONG, e);
            int res = cqRing.get(ValueLayout.JAVA_INT, e + 8);
            head++;
            INT.setRelease(cqRing, cqHeadOff, head);
            n++;
            c.complete(tag, res);
        }
        return n;
    }

    /**
     * Opens {@code path} read-only (close-on-exec, and {@code O_DIRECT} if {@code direct}) for reads through
     * this mechanism.
     *
     * @return the descriptor
     */
    static int openForRead(Path path, boolean direct) throws IOException {
        if (NATIVE == null) {
            throw new IOException("io_uring is not available: " + UNAVAILABLE);
        }
        try (Arena a = Arena.ofConfined()) {
            byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
            MemorySegment cName = a.allocate(name.length + 1L);
            MemorySegment.copy(name, 0, cName, ValueLayout.JAVA_BYTE, 0, name.length);
            MemorySegment err = a.allocate(Linker.Option.captureStateLayout());
            int flags = O_CLOEXEC | (direct ? NATIVE.oDirect : 0);
            int fd = (int) NATIVE.open.invokeExact(err, cName, flags, 0);
            if (fd < 0) {
                int e = err.get(
                        ValueLayout.JAVA_INT,
                        Linker.Option.captureStateLayout().byteOffset(MemoryLayout.PathElement.groupElement("errno")));
                throw new IOException("open(" + path + (direct ? ", O_DIRECT" : "") + ") failed: errno " + e);
            }
            return fd;
        } catch (IOException e) {
            throw e;
        } catch (Throwable e) {
            throw new IOException("open(" + path + ") failed: " + e, e);
        }
    }

    /** Closes a descriptor of {@link #openForRead}. */
    static void closeFd(int fd) {
        if (NATIVE == null || fd < 0) {
            return;
        }
        try {
            int r = (int) NATIVE.close.invokeExact(fd);
        } catch (Throwable ignored) {
            // the descriptor is gone either way
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            closeQuietly();
        }
    }

    private void closeQuietly() {
        arena.close(); // unmaps the rings
        closeFd(ringFd);
    }

    /** The linked calls. */
    private static final class Native {
        final MethodHandle syscall3;
        final MethodHandle enter;
        final MethodHandle mmap;
        final MethodHandle munmap;
        final MethodHandle open;
        final MethodHandle close;
        final int oDirect;

        Native(int oDirect) {
            this.oDirect = oDirect;
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            Linker.Option errno = Linker.Option.captureCallState("errno");
            MemorySegment syscall = libc.find("syscall").orElseThrow();
            syscall3 = linker.downcallHandle(
                    syscall,
                    FunctionDescriptor.of(
                            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
                    errno,
                    Linker.Option.firstVariadicArg(1));
            enter = linker.downcallHandle(
                    syscall,
                    FunctionDescriptor.of(
                            ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_LONG,
                            ValueLayout.ADDRESS,
                            ValueLayout.JAVA_LONG),
                    errno,
                    Linker.Option.firstVariadicArg(1));
            mmap = linker.downcallHandle(
                    libc.find("mmap").orElseThrow(),
                    FunctionDescriptor.of(
                            ValueLayout.ADDRESS,
                            ValueLayout.ADDRESS,
                            ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_LONG),
                    errno);
            munmap = linker.downcallHandle(
                    libc.find("munmap").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            open = linker.downcallHandle(
                    libc.find("open").orElseThrow(),
                    FunctionDescriptor.of(
                            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
                    errno,
                    Linker.Option.firstVariadicArg(2));
            close = linker.downcallHandle(
                    libc.find("close").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        }
    }
}
