package org.pagecache.offheap.reliability;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.pagecache.offheap.store.BackingStore;
import org.pagecache.offheap.store.FileChannelStore;

/**
 * A {@link BackingStore} in front of a real {@link FileChannelStore} that misbehaves as its {@link FaultInjector}
 * decides: short reads and writes (legal, the cache must loop), reads that fail after scribbling garbage into the
 * destination, writes that fail before writing or after writing a prefix, and failing force and truncate.
 *
 * <p>A successful {@link #force} records the file's whole content as its durable image; writes and a force are
 * serialised by a read-write lock so that no write can slip into the image between the real force and the
 * snapshot (a write that did would make the image look more durable than the disk is).
 */
final class FaultyStore implements BackingStore {

    private final FaultInjector faults;
    private final Path file;
    private final FileChannelStore real;
    private final ReentrantReadWriteLock forceLock = new ReentrantReadWriteLock();

    FaultyStore(FaultInjector faults, Path file, FileChannelStore real) {
        this.faults = faults;
        this.file = file;
        this.real = real;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        faults.countRead();
        faults.fireArmed(file, "read at " + position);
        if (dst.remaining() > 0 && faults.roll(FaultInjector.Kind.READ_ERROR, file)) {
            // A failing device may have transferred part of the data, or junk, before the error.
            ByteBuffer junk = dst.duplicate();
            while (junk.hasRemaining()) {
                junk.put((byte) (0xA5 ^ junk.position()));
            }
            throw new IOException("injected read error at " + position + " of " + file);
        }
        if (dst.remaining() > 1 && faults.roll(FaultInjector.Kind.SHORT_READ, file)) {
            int want = 1 + faults.nextInt(dst.remaining() - 1);
            ByteBuffer part = dst.duplicate();
            part.limit(part.position() + want);
            int n = real.read(part, position);
            if (n > 0) {
                dst.position(dst.position() + n);
            }
            return n;
        }
        return real.read(dst, position);
    }

    @Override
    public long write(ByteBuffer[] srcs, long position) throws IOException {
        faults.countWrite();
        faults.fireArmed(file, "write at " + position);
        forceLock.readLock().lock();
        try {
            long total = 0;
            for (ByteBuffer b : srcs) {
                total += b.remaining();
            }
            if (total > 0 && faults.roll(FaultInjector.Kind.WRITE_ERROR, file)) {
                throw new IOException("injected write error at " + position + " of " + file);
            }
            if (total > 1 && faults.roll(FaultInjector.Kind.TORN_WRITE, file)) {
                long prefix = 1 + (long) (faults.uniform() * (total - 1));
                writePrefix(srcs, position, prefix);
                throw new IOException("injected write error after a torn write of " + prefix + " bytes at " + position
                        + " of " + file);
            }
            if (total > 1 && faults.roll(FaultInjector.Kind.SHORT_WRITE, file)) {
                long want = 1 + (long) (faults.uniform() * (total - 1));
                return writePrefix(srcs, position, want);
            }
            return real.write(srcs, position);
        } finally {
            forceLock.readLock().unlock();
        }
    }

    /** Writes the first {@code count} bytes of {@code srcs} and advances the buffers by what was written. */
    private long writePrefix(ByteBuffer[] srcs, long position, long count) throws IOException {
        ByteBuffer[] parts = new ByteBuffer[srcs.length];
        long left = count;
        int used = 0;
        for (ByteBuffer b : srcs) {
            if (left == 0) {
                break;
            }
            ByteBuffer d = b.duplicate();
            int take = (int) Math.min(left, d.remaining());
            d.limit(d.position() + take);
            parts[used++] = d;
            left -= take;
        }
        ByteBuffer[] trimmed = java.util.Arrays.copyOf(parts, used);
        long written = real.write(trimmed, position);
        long advance = written;
        for (ByteBuffer b : srcs) {
            int step = (int) Math.min(advance, b.remaining());
            b.position(b.position() + step);
            advance -= step;
            if (advance == 0) {
                break;
            }
        }
        return written;
    }

    @Override
    public long size() throws IOException {
        return real.size();
    }

    @Override
    public void truncate(long size) throws IOException {
        faults.fireArmed(file, "truncate to " + size);
        if (faults.roll(FaultInjector.Kind.TRUNCATE_ERROR, file)) {
            throw new IOException("injected truncate error (to " + size + ") of " + file);
        }
        real.truncate(size);
    }

    @Override
    public void force(boolean metadata) throws IOException {
        faults.fireArmed(file, "force");
        forceLock.writeLock().lock();
        try {
            if (faults.roll(FaultInjector.Kind.FORCE_ERROR, file)) {
                throw new IOException("injected force error of " + file);
            }
            real.force(metadata);
            faults.recordDurable(file, FaultInjector.readAll(real));
        } finally {
            forceLock.writeLock().unlock();
        }
    }

    @Override
    public void close() throws IOException {
        faults.countClose();
        real.close();
    }
}
