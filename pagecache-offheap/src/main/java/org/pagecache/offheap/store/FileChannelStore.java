package org.pagecache.offheap.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Set;

/**
 * A {@link BackingStore} on a {@link FileChannel}: positional reads straight into frame memory, and gathering
 * writes. {@code FileChannel} has no positional gathering write, so a write sets the channel's position and
 * gathers under a lock; positional reads do not use the position and never take that lock.
 */
public final class FileChannelStore implements BackingStore {

    /** Opens stores on plain {@code FileChannel}s. */
    public static final StoreFactory FACTORY = FileChannelStore::open;

    private final FileChannel channel;
    private final Object positionLock = new Object();

    /** @param channel an open channel, now owned by the store */
    public FileChannelStore(FileChannel channel) {
        this.channel = channel;
    }

    /**
     * @param file    the file
     * @param options open options for {@link FileChannel#open(Path, Set, java.nio.file.attribute.FileAttribute[])}
     * @return a store on the opened channel
     */
    public static FileChannelStore open(Path file, Set<OpenOption> options) throws IOException {
        return new FileChannelStore(FileChannel.open(file, options));
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return channel.read(dst, position);
    }

    @Override
    public long write(ByteBuffer[] srcs, long position) throws IOException {
        if (srcs.length == 1) {
            return channel.write(srcs[0], position);
        }
        synchronized (positionLock) {
            channel.position(position);
            return channel.write(srcs);
        }
    }

    @Override
    public long size() throws IOException {
        return channel.size();
    }

    @Override
    public void truncate(long size) throws IOException {
        if (channel.size() > size) {
            channel.truncate(size);
        }
    }

    @Override
    public void force(boolean metadata) throws IOException {
        channel.force(metadata);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
