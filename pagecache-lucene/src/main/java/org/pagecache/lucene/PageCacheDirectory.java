package org.pagecache.lucene;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.Objects;
import org.apache.lucene.store.DataAccessHint;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.FSLockFactory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexInput;
import org.apache.lucene.store.IndexOutput;
import org.apache.lucene.store.LockFactory;
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
 * <p>The cache knows files by what they are (device and inode), not by name: a file deleted or renamed away while
 * an input still reads it, then created again under the same name, is a new file with its own pages, and the
 * open input keeps reading the old one. A file's pages outlive its last handle (until evicted), so a segment
 * written, closed and opened again to read is read from the pages written.
 */
public class PageCacheDirectory extends FSDirectory {
    private final PageCache cache;
    /** Options added to every open of a file through the cache (for example direct I/O). */
    private final OpenOption[] fileOptions;

    /**
     * @param path        the index folder (created if missing)
     * @param lockFactory the lock factory, as for any {@link FSDirectory}
     * @param cache       the cache to read and write through; not closed by this directory
     * @throws IOException if the folder cannot be created or resolved
     */
    public PageCacheDirectory(Path path, LockFactory lockFactory, PageCache cache) throws IOException {
        this(path, lockFactory, cache, new OpenOption[0]);
    }

    /**
     * A directory whose files are opened through the cache with {@code fileOptions} added, for example
     * {@code com.sun.nio.file.ExtendedOpenOption.DIRECT}: the cache then reads and writes the index files with
     * direct I/O, and the OS page cache holds none of them.
     *
     * @param fileOptions options the cache's {@code open} accepts beyond the standard ones; the directory chooses
     *                    {@code READ}, {@code WRITE} and creation itself, so a {@link StandardOpenOption} or a
     *                    {@link LinkOption} is refused
     * @throws IllegalArgumentException if an option is a standard one (nothing is created then)
     */
    public PageCacheDirectory(Path path, LockFactory lockFactory, PageCache cache, OpenOption... fileOptions)
            throws IOException {
        this(checked(fileOptions), path, lockFactory, cache);
    }

    private PageCacheDirectory(OpenOption[] fileOptions, Path path, LockFactory lockFactory, PageCache cache)
            throws IOException {
        super(path, lockFactory);
        this.cache = Objects.requireNonNull(cache, "cache");
        this.fileOptions = fileOptions;
    }

    private static OpenOption[] checked(OpenOption[] fileOptions) {
        Objects.requireNonNull(fileOptions, "fileOptions");
        OpenOption[] copy = fileOptions.clone();
        for (OpenOption o : copy) {
            Objects.requireNonNull(o, "fileOptions contains null");
            if (o instanceof StandardOpenOption || o instanceof LinkOption) {
                throw new IllegalArgumentException("fileOptions: " + o + " is chosen by the directory itself;"
                        + " pass only options beyond the standard ones (for example direct I/O)");
            }
        }
        return copy;
    }

    /** A directory with the default file-system lock factory. */
    public PageCacheDirectory(Path path, PageCache cache) throws IOException {
        this(path, FSLockFactory.getDefault(), cache);
    }

    /** @return the cache this directory reads and writes through */
    public PageCache cache() {
        return cache;
    }

    /** Opens {@code name} through the cache, read-write (read-only if the file is not writable). */
    private PagedFile openCached(String name) throws IOException {
        Path path = directory.resolve(name);
        try {
            return cache.open(path, options(StandardOpenOption.READ, StandardOpenOption.WRITE));
        } catch (AccessDeniedException e) {
            return cache.open(path, options(StandardOpenOption.READ));
        }
    }

    private OpenOption[] options(OpenOption... standard) {
        if (fileOptions.length == 0) {
            return standard;
        }
        OpenOption[] all = java.util.Arrays.copyOf(standard, standard.length + fileOptions.length);
        System.arraycopy(fileOptions, 0, all, standard.length, fileOptions.length);
        return all;
    }

    @Override
    public IndexInput openInput(String name, IOContext context) throws IOException {
        ensureOpen();
        ensureCanRead(name);
        PagedFile file = null;
        try {
            file = openCached(name);
            long length = file.size();
            boolean sequential = context.hints().contains(DataAccessHint.SEQUENTIAL)
                    || context.hints().contains(ReadOnceHint.INSTANCE)
                    || context == IOContext.READONCE;
            if (context.hints().contains(PreloadHint.INSTANCE)) {
                file.prefetch(0, length);
            }
            PageCacheIndexInput.Shared shared = new PageCacheIndexInput.Shared(file, cache.pageSize(), sequential);
            PageCacheIndexInput input = new PageCacheIndexInput(
                    "PageCacheIndexInput(path=\"" + directory.resolve(name) + "\")", shared, 0, length, false);
            file = null;
            return input;
        } catch (IOException | RuntimeException | Error e) {
            if (file != null) {
                IOUtils.closeWhileHandlingException(file);
            }
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
        PagedFile file = null;
        try {
            created.close();
            file = openCached(name);
            PageCacheIndexOutput output = new PageCacheIndexOutput(
                    "PageCacheIndexOutput(path=\"" + directory.resolve(name) + "\")", name, file);
            file = null;
            return output;
        } catch (IOException | RuntimeException | Error e) {
            if (file != null) {
                IOUtils.closeWhileHandlingException(file);
            }
            throw e;
        }
    }

    /** Writes the file's dirty cached pages back and forces it to stable storage. */
    @Override
    protected void fsync(String name) throws IOException {
        try (PagedFile file = openCached(name)) {
            file.sync();
        }
    }

    /**
     * Deletes the file as {@code FSDirectory} does, then tells the cache ({@link PageCache#discard}), so the pages
     * it kept of the file (merged-away segments are closed, then deleted) are freed at once instead of taking
     * frames until they are evicted. An input still open on the file keeps its pages and goes on reading them.
     * The file is deleted once {@code FSDirectory} returns: a failure of the advice after it (the path could not
     * be examined) is not the delete's, and is not reported as one (the pages are then evicted as before).
     */
    @Override
    public void deleteFile(String name) throws IOException {
        super.deleteFile(name);
        try {
            cache.discard(directory.resolve(name));
        } catch (IOException e) {
            // advice only: Lucene would take an exception here for a failed delete and retry one that happened
        }
    }

    @Override
    public void sync(Collection<String> names) throws IOException {
        super.sync(names); // ensureOpen, fsync (through the cache) of each name, then pending deletes
    }

    @Override
    public String toString() {
        return "PageCacheDirectory@" + directory + " lockFactory=" + lockFactory + " cache=" + cache;
    }
}
