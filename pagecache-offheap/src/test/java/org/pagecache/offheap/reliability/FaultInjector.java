package org.pagecache.offheap.reliability;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import org.pagecache.offheap.store.BackingStore;
import org.pagecache.offheap.store.FileChannelStore;
import org.pagecache.offheap.store.StoreFactory;

/**
 * The configuration, the dice and the tallies of fault injection, shared by every {@link FaultyStore} it opens
 * (it is the {@link StoreFactory} given to the cache's builder).
 *
 * <p>Each kind of fault has a rate in {@code [0, 1]}: the probability that one call of the matching store method
 * misbehaves. Decisions come from a seeded generator stepped once per decision, so a single-threaded run is
 * reproducible from its seed. {@link #enabled(boolean)} switches every fault off (for verification) and on again
 * without touching the rates; {@link #target(Predicate)} limits faults to some files.
 *
 * <p>It also keeps, per file, a <em>durable image</em>: the file's bytes as of its last successful
 * {@link BackingStore#force}. Bytes written but not forced are not in it, which models a power loss at any moment:
 * a test compares what {@code sync()} acknowledged with the durable image.
 */
final class FaultInjector implements StoreFactory {

    /** The kinds of injected misbehaviour. */
    enum Kind {
        /** a read returns fewer bytes than asked (at least one) */
        SHORT_READ,
        /** a write writes fewer bytes than asked (at least one) */
        SHORT_WRITE,
        /** a read fails with {@code IOException} after scribbling garbage into the destination */
        READ_ERROR,
        /** a write fails with {@code IOException} before writing anything */
        WRITE_ERROR,
        /** a write writes a prefix of its bytes (a torn write), then fails with {@code IOException} */
        TORN_WRITE,
        /** a force fails with {@code IOException} and makes nothing durable */
        FORCE_ERROR,
        /** a truncate fails with {@code IOException} before truncating */
        TRUNCATE_ERROR,
        /** the next store call of an {@linkplain #arm armed} file throws {@link OutOfMemoryError} */
        OUT_OF_MEMORY,
        /** the next store call of an {@linkplain #arm armed} file throws {@link StackOverflowError} */
        STACK_OVERFLOW,
        /** the next store call of an {@linkplain #arm armed} file throws a {@link RuntimeException} */
        RUNTIME_EXCEPTION
    }

    /** The text every injected {@code Throwable}'s message starts with, so a test can tell it from a real one. */
    static final String INJECTED = "injected ";

    private final long seed;
    private final AtomicLong step = new AtomicLong();
    private final Map<Kind, Double> rates = new EnumMap<>(Kind.class);
    private final Map<Kind, LongAdder> injected = new EnumMap<>(Kind.class);
    private final Map<Path, byte[]> durable = new ConcurrentHashMap<>();
    private final LongAdder forces = new LongAdder();
    private final LongAdder reads = new LongAdder();
    private final LongAdder writes = new LongAdder();
    private final LongAdder opened = new LongAdder();
    private final LongAdder closed = new LongAdder();
    private volatile boolean enabled = true;
    private volatile Predicate<Path> target = p -> true;
    private final Set<Path> suppressed = ConcurrentHashMap.newKeySet();
    private final Map<Path, Kind> armed = new ConcurrentHashMap<>();

    /** @param seed seed of the fault dice */
    FaultInjector(long seed) {
        this.seed = seed;
        for (Kind k : Kind.values()) {
            rates.put(k, 0.0);
            injected.put(k, new LongAdder());
        }
    }

    /** Sets the rate of one kind of fault. */
    synchronized FaultInjector rate(Kind kind, double rate) {
        if (!(rate >= 0.0 && rate <= 1.0)) {
            throw new IllegalArgumentException("rate " + rate + " is not in [0, 1]");
        }
        rates.put(kind, rate);
        return this;
    }

    /** Sets every rate to zero. */
    synchronized FaultInjector clearRates() {
        for (Kind k : Kind.values()) {
            rates.put(k, 0.0);
        }
        return this;
    }

    /** Switches injection on or off; rates are kept. */
    FaultInjector enabled(boolean on) {
        this.enabled = on;
        return this;
    }

    /** Limits injection to files accepted by {@code filter}. */
    FaultInjector target(Predicate<Path> filter) {
        this.target = filter;
        return this;
    }

    /** Switches injection off (or on again) for one file only. */
    FaultInjector suppress(Path file, boolean off) {
        Path key = file.toAbsolutePath().normalize();
        if (off) {
            suppressed.add(key);
        } else {
            suppressed.remove(key);
        }
        return this;
    }

    /**
     * Arms a one-shot {@code Error} or {@code RuntimeException}: the next read, write, force or truncate of
     * {@code file}, by whichever thread makes it (a caller's page-in, the reclaimer's write-back, a sync), throws
     * it instead of doing the I/O. Arming again before it fired replaces the kind.
     *
     * @param kind {@link Kind#OUT_OF_MEMORY}, {@link Kind#STACK_OVERFLOW} or {@link Kind#RUNTIME_EXCEPTION}
     */
    FaultInjector arm(Path file, Kind kind) {
        if (kind != Kind.OUT_OF_MEMORY && kind != Kind.STACK_OVERFLOW && kind != Kind.RUNTIME_EXCEPTION) {
            throw new IllegalArgumentException("kind " + kind + " is not a throwable kind");
        }
        armed.put(file.toAbsolutePath().normalize(), kind);
        return this;
    }

    /** Disarms every armed throwable (before a verification with faults off). */
    FaultInjector disarmAll() {
        armed.clear();
        return this;
    }

    /** Throws what is armed for {@code file}, if anything and injection is on; called first by every store call. */
    void fireArmed(Path file, String where) {
        if (armed.isEmpty() || !enabled || suppressed.contains(file)) {
            return;
        }
        Kind kind = armed.remove(file);
        if (kind == null) {
            return;
        }
        injected.get(kind).increment();
        String message = INJECTED + kind + " in " + where + " of " + file;
        switch (kind) {
            case OUT_OF_MEMORY -> throw new OutOfMemoryError(message);
            case STACK_OVERFLOW -> throw new StackOverflowError(message);
            default -> throw new RuntimeException(message);
        }
    }

    /** @return whether {@code t}, its causes or what they suppressed include a throwable this injector made */
    static boolean isInjected(Throwable t) {
        return isInjected(t, 0);
    }

    private static boolean isInjected(Throwable t, int depth) {
        if (t == null || depth > 8) {
            return false;
        }
        if (t.getMessage() != null && t.getMessage().contains(INJECTED.trim())) {
            return true;
        }
        for (Throwable s : t.getSuppressed()) {
            if (isInjected(s, depth + 1)) {
                return true;
            }
        }
        return t.getCause() != t && isInjected(t.getCause(), depth + 1);
    }

    /** @return faults injected so far of {@code kind} */
    long injected(Kind kind) {
        return injected.get(kind).sum();
    }

    /** @return faults injected so far, by kind */
    Map<Kind, Long> injectedByKind() {
        Map<Kind, Long> m = new EnumMap<>(Kind.class);
        for (Kind k : Kind.values()) {
            m.put(k, injected(k));
        }
        return m;
    }

    /** @return faults injected so far, all kinds */
    long injectedTotal() {
        long n = 0;
        for (Kind k : Kind.values()) {
            n += injected(k);
        }
        return n;
    }

    /** @return successful forces so far (all files) */
    long forces() {
        return forces.sum();
    }

    /** @return store reads and writes issued by the cache */
    long reads() {
        return reads.sum();
    }

    long writes() {
        return writes.sum();
    }

    /** @return stores opened and closed so far */
    long storesOpened() {
        return opened.sum();
    }

    long storesClosed() {
        return closed.sum();
    }

    /**
     * @return the file's content as of its last successful force (a copy), or the content it had when first
     *         opened through this injector if it was never forced; {@code null} if never opened
     */
    byte[] durableImage(Path file) {
        byte[] image = durable.get(file.toAbsolutePath().normalize());
        return image == null ? null : image.clone();
    }

    /** Decides whether to inject a fault of {@code kind} into a call on {@code file}, and counts it if so. */
    boolean roll(Kind kind, Path file) {
        if (!enabled || !target.test(file) || suppressed.contains(file)) {
            return false;
        }
        double rate;
        synchronized (this) {
            rate = rates.get(kind);
        }
        if (rate <= 0.0) {
            return false;
        }
        boolean hit = uniform() < rate;
        if (hit) {
            injected.get(kind).increment();
        }
        return hit;
    }

    /** @return a pseudo-random number in [0, 1) from the seeded sequence */
    double uniform() {
        return (mix(seed + step.incrementAndGet() * 0x9E3779B97F4A7C15L) >>> 11) * 0x1.0p-53;
    }

    /** @return a pseudo-random int in [0, bound) from the seeded sequence */
    int nextInt(int bound) {
        return (int) (uniform() * bound);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override
    public BackingStore open(Path file, Set<OpenOption> options) throws IOException {
        Path key = file.toAbsolutePath().normalize();
        FileChannelStore real = FileChannelStore.open(file, options);
        durable.computeIfAbsent(key, k -> {
            try {
                return readAll(real);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        opened.increment();
        return new FaultyStore(this, key, real);
    }

    void recordDurable(Path key, byte[] content) {
        durable.put(key, content);
        forces.increment();
    }

    void countRead() {
        reads.increment();
    }

    void countWrite() {
        writes.increment();
    }

    void countClose() {
        closed.increment();
    }

    static byte[] readAll(BackingStore store) throws IOException {
        long size = store.size();
        if (size > Integer.MAX_VALUE - 16) {
            throw new IOException("file too large for a durable image: " + size);
        }
        byte[] bytes = new byte[(int) size];
        ByteBuffer dst = ByteBuffer.wrap(bytes);
        while (dst.hasRemaining()) {
            int n = store.read(dst, dst.position());
            if (n < 0) {
                return Arrays.copyOf(bytes, dst.position());
            }
        }
        return bytes;
    }

    @Override
    public String toString() {
        return "FaultInjector[seed=" + seed + ", rates=" + rates + ", injected=" + injectedByKind() + "]";
    }
}
