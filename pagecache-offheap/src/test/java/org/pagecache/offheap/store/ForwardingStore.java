package org.pagecache.offheap.store;

import java.io.IOException;
import java.nio.ByteBuffer;

/** A store that forwards every call to another one; tests override the calls they count, slow or break. */
public class ForwardingStore implements BackingStore {
    /** The store calls are forwarded to. */
    protected final BackingStore real;

    public ForwardingStore(BackingStore real) {
        this.real = real;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return real.read(dst, position);
    }

    @Override
    public long write(ByteBuffer[] srcs, long position) throws IOException {
        return real.write(srcs, position);
    }

    @Override
    public long size() throws IOException {
        return real.size();
    }

    @Override
    public void truncate(long size) throws IOException {
        real.truncate(size);
    }

    @Override
    public void force(boolean metadata) throws IOException {
        real.force(metadata);
    }

    @Override
    public void close() throws IOException {
        real.close();
    }
}
