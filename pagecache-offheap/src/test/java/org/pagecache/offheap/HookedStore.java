package org.pagecache.offheap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.pagecache.offheap.store.BackingStore;
import org.pagecache.offheap.store.FileChannelStore;
import org.pagecache.offheap.store.ForwardingStore;
import org.pagecache.offheap.store.StoreFactory;

/** A real file store that counts reads and writes and lets a test hold reads up. */
final class HookedStore extends ForwardingStore {
    /** Called before every read, with the file and position; may block. */
    interface ReadHook {
        void beforeRead(Path file, long position) throws IOException;
    }

    private final Path file;
    private final ReadHook hook;
    final AtomicInteger reads;
    final AtomicInteger writes = new AtomicInteger();

    HookedStore(Path file, BackingStore delegate, ReadHook hook, AtomicInteger reads) {
        super(delegate);
        this.file = file;
        this.hook = hook;
        this.reads = reads;
    }

    static StoreFactory factory(ReadHook hook, AtomicInteger reads) {
        return (Path file, Set<OpenOption> options) ->
                new HookedStore(file, FileChannelStore.open(file, options), hook, reads);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        reads.incrementAndGet();
        hook.beforeRead(file, position);
        return real.read(dst, position);
    }

    @Override
    public long write(ByteBuffer[] srcs, long position) throws IOException {
        writes.incrementAndGet();
        return real.write(srcs, position);
    }
}
