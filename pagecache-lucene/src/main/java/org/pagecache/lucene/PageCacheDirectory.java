package org.pagecache.lucene;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.lucene.store.DataAccessHint;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.FSLockFactory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexInput;
import org.apache.lucene.store.IndexOutput;
import org.apache.lucene.store.LockFactory;
import org.apache.lucene.store.NIOFSDirectory;
import org.apache.lucene.store.NoLockFactory;
import org.apache.lucene.store.PreloadHint;
import org.apache.lucene.store.ReadOnceHint;
import org.apache.lucene.util.IOUtils;
import org.pagecache.api.PageCache;
import org.pagecache.api.PagedFile;

/**
 * A Lucene {@link org.apache.lucene.store.Directory} whose files are read and written through a {@link PageCache}:
 * a bounded, observable off-heap cache instead of the OS page cache that {@code MMapDirectory} relies on.
 *
 * <p>Listing, deletion (with Lucene's pending deletes), renames, locks and {@code syncMetaData} are those of
 * {@link FSDirectory}. Outputs write into cached pages (the checksum is computed over the heap bytes written);
 * {@link #sync} writes a file's dirty pages back and forces them through the cache. Inputs read through the cache:
 * sequential reads through a small heap buffer, positional reads ({@code RandomAccessInput}) optimistically from
 * the resident page with no pin ({@link org.pagecache.api.PagedReader}); {@code IndexInput.prefetch} starts
 * background page-ins. Read advice from the {@link IOContext}: {@link DataAccessHint#SEQUENTIAL} and read-once
 * contexts read ahead, {@link PreloadHint} pages the whole file in at open.
 *
 * <p>The directory neither owns nor closes the cache: close the directory, then the cache.
 *
 * <p>A file deleted (or renamed away) while this directory still has it open, then created again under the same
 * name, is a different file that the cache, which knows files by path, would confuse with the open one: such a
 * name is read and written without the cache ({@link NIOFSDirectory}'s I/O) until the old file's last handle closes.
 */
public class PageCacheDirectory extends FSDirectory {
    private final PageCache cache;
    private final NIOFSDirectory uncached;
    /** Cache handles this directory holds open, by file name. */
    private final Map<String, Integer> open = new HashMap<>();
    /** Names whose open cached file is no longer the file on disk under that name. */
    private final Set<String> stale = new HashSet<>();

    /**
     * @param path        the index folder (created if missing)
     * @param lockFactory the lock factory, as for any {@link FSDirectory}
     * @param cache       the cache to read and write through; not closed by this directory
     * @throws IOException if the folder cannot be created or resolved
     */
    public PageCacheDirectory(Path path, LockFactory lockFactory, PageCache cache) throws IOException {
        super(path, lockFactory);
        this.cache = Objects.requireNonNull(cache, "cache");
        this.uncached = new NIOFSDirectory(getDirectory(), NoLockFactory.INSTANCE);
    }

    /** A directory with the default file-system lock factory. */
    public PageCacheDirectory(Path path, PageCache cache) throws IOException {
        this(path, FSLockFactory.getDefault(), cache);
    }

    /** @return the cache this directory reads and writes through */
    public PageCache cache() {
        return cache;
    }

    private synchronized boolean acquire(String name) {
        if (stale.contains(name)) {
            return false;
        }
        open.merge(name, 1, Integer::sum);
        return true;
    }

    private synchronized void release(String name) {
        Integer n = open.get(name);
        if (n == null) {
            return;
        }
        if (n <= 1) {
            open.remove(name);
            stale.remove(name);
        } else {
            open.put(name, n - 1);
        }
    }

    private synchronized void markStaleIfOpen(String name) {
        if (open.containsKey(name)) {
            stale.add(name);
        }
    }

    private synchronized boolean isStale(String name) {
        return stale.contains(name);
    }

    /** Opens {@code name} through the cache, counted in {@link #open}; read-write so later writers may share it. */
    private PagedFile openCached(String name) throws IOException {
        Path path = directory.resolve(name);
        try {
            return cache.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (AccessDeniedException e) {
            return cache.open(path, StandardOpenOption.READ);
        }
    }

    @Override
    public IndexInput openInput(String name, IOContext context) throws IOException {
        ensureOpen();
        ensureCanRead(name);
        if (!acquire(name)) {
            return uncached.openInput(name, context);
        }
        PagedFile file = null;
        try {
            file = openCached(name);
            long length = file.size();
            boolean sequential = context.hints().contains(DataAccessHint.SEQUENTIAL)
                    || context.hints().contains(ReadOnceHint.INSTANCE) || context == IOContext.READONCE;
            if (context.hints().contains(PreloadHint.INSTANCE)) {
                file.prefetch(0, length);
            }
            PageCacheIndexInput.Shared shared = new PageCacheIndexInput.Shared(file, () -> release(name), sequential);
            PageCacheIndexInput input = new PageCacheIndexInput(
                    "PageCacheIndexInput(path=\"" + directory.resolve(name) + "\")", shared, 0, length, false);
            file = null;
            return input;
        } catch (IOException | RuntimeException | Error e) {
            if (file != null) {
                IOUtils.closeWhileHandlingException(file);
            }
            release(name);
            throw e;
        }
    }

    @Override
    public IndexOutput createOutput(String name, IOContext context) throws IOException {
        // FSDirectory creates the file (CREATE_NEW, reviving a pending delete); the bytes then go through the cache
        IndexOutput created = super.createOutput(name, context);
        return throughCache(created);
    }

    @Override
    public IndexOutput createTempOutput(String prefix, String suffix, IOContext context) throws IOException {
        return throughCache(super.createTempOutput(prefix, suffix, context));
    }

    private IndexOutput throughCache(IndexOutput created) throws IOException {
        String name = created.getName();
        if (!acquire(name)) {
            return created; // the cache still holds an older file of that name open: write without it
        }
        PagedFile file = null;
        try {
            created.close();
            file = openCached(name);
            PageCacheIndexOutput output = new PageCacheIndexOutput(
                    "PageCacheIndexOutput(path=\"" + directory.resolve(name) + "\")", name, file, () -> release(name));
            file = null;
            return output;
        } catch (IOException | RuntimeException | Error e) {
            if (file != null) {
                IOUtils.closeWhileHandlingException(file);
            }
            release(name);
            throw e;
        }
    }

    /** Writes the file's dirty cached pages back and forces it to stable storage. */
    @Override
    protected void fsync(String name) throws IOException {
        if (!acquire(name)) {
            super.fsync(name);
            return;
        }
        try (PagedFile file = openCached(name)) {
            file.sync();
        } finally {
            release(name);
        }
    }

    @Override
    public void sync(Collection<String> names) throws IOException {
        super.sync(names); // ensureOpen, fsync (through the cache) of each name, then pending deletes
    }

    @Override
    public void rename(String source, String dest) throws IOException {
        ensureOpen();
        if (!isStale(source) && Files.exists(directory.resolve(source))) {
            // pages still dirty in the cache must reach the file before it moves to a name the cache does not know
            if (acquire(source)) {
                try (PagedFile file = openCached(source)) {
                    file.flush();
                } finally {
                    release(source);
                }
            }
        }
        super.rename(source, dest);
        markStaleIfOpen(source);
        markStaleIfOpen(dest);
    }

    @Override
    public void deleteFile(String name) throws IOException {
        super.deleteFile(name);
        markStaleIfOpen(name);
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            super.close();
        } finally {
            uncached.close();
        }
    }

    @Override
    public String toString() {
        return "PageCacheDirectory@" + directory + " lockFactory=" + lockFactory + " cache=" + cache;
    }
}
