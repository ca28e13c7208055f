package org.pagecache.offheap.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link BackingStore} on a {@link FileChannel}: positional reads straight into frame memory, and gathering
 * writes. {@code FileChannel} has no positional gathering write, so a write sets the channel's position and
 * gathers under a lock; positional reads do not use the position and never take that lock.
 *
 * <h2>Interrupts</h2>
 * A {@code FileChannel} closes itself for every user when a thread doing I/O on it is interrupted; the cache
 * shares one store per file among all threads, and executors interrupt threads on {@code Future.cancel(true)}.
 * So the store keeps interrupts away from the channel:
 * <ul>
 *   <li>an operation entered with the interrupt flag set clears the flag for the I/O and sets it again after
 *       (an interrupt that arrived during a page-lock wait never reaches the channel);</li>
 *   <li>an interrupt that lands during the I/O still closes the channel: the store then opens the file again
 *       ({@link ChannelReopener}: by descriptor through {@code /proc/self/fd} and a never-used anchor descriptor,
 *       so a renamed or deleted file is found, and by the file's key, so no other file is ever opened) and
 *       retries the operation; threads whose I/O was cut off by that close retry on the new channel too.</li>
 * </ul>
 * Every operation is positional and idempotent, so a retry is safe, provided it starts over: the JDK throws
 * {@link ClosedByInterruptException} to the interrupted thread even when its I/O completed, after the buffer's
 * position moved past the bytes transferred, so a retry puts every buffer's position back first (a read retried
 * from where the cut-off one left its buffer would land the file's bytes that many bytes too far into the page,
 * past the end of the file where zeros belong). The interrupted thread's operation
 * completes and the thread's interrupt flag stays set, for the caller to act on. Only a store closed by
 * {@link #close()} throws {@link ClosedChannelException}. The cost on a page-in is one interrupt-flag check and
 * one volatile read (measured in docs/reliability.md).
 */
public final class FileChannelStore implements BackingStore {

    /** Opens stores on plain {@code FileChannel}s. */
    public static final StoreFactory FACTORY = FileChannelStore::open;

    /** Re-opens allowed per operation before it gives up (an interrupt storm on one thread). */
    private static final int MAX_REOPENS = 16;

    private static final AtomicLong REOPENS = new AtomicLong();

    private final ChannelReopener reopener;
    private final Object positionLock = new Object();
    private final Object reopenLock = new Object();
    private volatile FileChannel channel;
    private volatile boolean closed;

    /**
     * A store on a channel the caller opened: it cannot be re-opened, so an interrupt during its I/O breaks it
     * (use {@link #open} for a store that survives interrupts).
     *
     * @param channel an open channel, now owned by the store
     */
    public FileChannelStore(FileChannel channel) {
        this.channel = channel;
        this.reopener = null;
    }

    /** A store on {@code channel} that opens the file again with {@code reopener} (tests pass a stand-in). */
    FileChannelStore(FileChannel channel, ChannelReopener reopener) {
        this.channel = channel;
        this.reopener = reopener;
    }

    /**
     * @param file    the file
     * @param options open options for {@link FileChannel#open(Path, Set, java.nio.file.attribute.FileAttribute[])}
     * @return a store on the opened channel, which survives interrupts of the threads that use it
     */
    public static FileChannelStore open(Path file, Set<OpenOption> options) throws IOException {
        FileChannel channel = FileChannel.open(file, options);
        try {
            return new FileChannelStore(channel, new ChannelReopener(file, options));
        } catch (IOException | RuntimeException | Error e) {
            channel.close();
            throw e;
        }
    }

    /** @return the channel in use now (tests close it by an interrupt to prove the store recovers) */
    FileChannel channelForTests() {
        return channel;
    }

    /** @return how many times stores of this JVM opened their file again after an interrupt closed it */
    public static long reopens() {
        return REOPENS.get();
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        boolean interrupted = Thread.interrupted();
        int at = dst.position();
        try {
            for (int attempt = 0; ; attempt++) {
                FileChannel ch = channel;
                try {
                    return ch.read(dst, position);
                } catch (ClosedChannelException e) {
                    interrupted |= recover(ch, e, attempt);
                    dst.position(at); // the cut-off read may have completed and moved it: read the same bytes again
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public long write(ByteBuffer[] srcs, long position) throws IOException {
        boolean interrupted = Thread.interrupted();
        int first = srcs.length == 0 ? 0 : srcs[0].position();
        int[] at = srcs.length > 1 ? positions(srcs) : null; // a single buffer (most writes) allocates nothing
        try {
            for (int attempt = 0; ; attempt++) {
                FileChannel ch = channel;
                try {
                    if (srcs.length == 1) {
                        return ch.write(srcs[0], position);
                    }
                    synchronized (positionLock) {
                        ch.position(position);
                        return ch.write(srcs);
                    }
                } catch (ClosedChannelException e) {
                    interrupted |= recover(ch, e, attempt);
                    // the cut-off write may have completed: write it all again
                    if (at == null) {
                        if (srcs.length == 1) {
                            srcs[0].position(first);
                        }
                    } else {
                        for (int i = 0; i < srcs.length; i++) {
                            srcs[i].position(at[i]);
                        }
                    }
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static int[] positions(ByteBuffer[] buffers) {
        int[] at = new int[buffers.length];
        for (int i = 0; i < buffers.length; i++) {
            at[i] = buffers[i].position();
        }
        return at;
    }

    @Override
    public long size() throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            for (int attempt = 0; ; attempt++) {
                FileChannel ch = channel;
                try {
                    return ch.size();
                } catch (ClosedChannelException e) {
                    interrupted |= recover(ch, e, attempt);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void truncate(long size) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            for (int attempt = 0; ; attempt++) {
                FileChannel ch = channel;
                try {
                    if (ch.size() > size) {
                        ch.truncate(size);
                    }
                    return;
                } catch (ClosedChannelException e) {
                    interrupted |= recover(ch, e, attempt);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void force(boolean metadata) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            for (int attempt = 0; ; attempt++) {
                FileChannel ch = channel;
                try {
                    ch.force(metadata);
                    return;
                } catch (ClosedChannelException e) {
                    interrupted |= recover(ch, e, attempt);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * After {@code failed} was found closed: rethrows if the store was closed (or cannot re-open, or gave up),
     * else makes sure a fresh channel is in place for the retry.
     *
     * @return whether this thread's interrupt flag was set (and is now cleared for the retry)
     */
    private boolean recover(FileChannel failed, ClosedChannelException e, int attempt) throws IOException {
        boolean interrupted = Thread.interrupted() || e instanceof ClosedByInterruptException;
        if (closed || reopener == null || attempt >= MAX_REOPENS) {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            throw e;
        }
        try {
            synchronized (reopenLock) {
                if (closed) {
                    throw e;
                }
                if (channel == failed) {
                    FileChannel fresh;
                    try {
                        fresh = reopener.reopen();
                    } catch (IOException reopenFailure) {
                        reopenFailure.addSuppressed(e);
                        throw reopenFailure;
                    }
                    channel = fresh;
                    REOPENS.incrementAndGet();
                    try {
                        failed.close();
                    } catch (IOException ignored) {
                        // it is closed already; this only releases what is left of it
                    }
                }
            }
        } catch (IOException | RuntimeException | Error failure) {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            throw failure;
        }
        return interrupted;
    }

    /** The {@code /proc/self/fd} link of a descriptor of this file (its anchor's), or null without a reopener. */
    @Override
    public Path bypassReadPath() {
        return reopener == null || closed ? null : reopener.procLink();
    }

    @Override
    public void close() throws IOException {
        synchronized (reopenLock) {
            closed = true;
        }
        try {
            channel.close();
        } finally {
            if (reopener != null) {
                reopener.close();
            }
        }
    }
}
