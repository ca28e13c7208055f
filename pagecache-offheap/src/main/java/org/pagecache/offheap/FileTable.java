package org.pagecache.offheap;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.ClosedChannelException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pagecache.api.PagedFile;
import org.pagecache.offheap.frame.FrameTable;
import org.pagecache.offheap.store.BackingStore;
import org.pagecache.offheap.store.StoreFactory;

/**
 * The files of one cache: open and retained files by what they are ({@link FileIdentity#key()}), the retained
 * ones also by the path they were last open by, and the file slots that frames name. Opens, last closes and
 * slot hand-backs go through here.
 *
 * <p>Its monitor is the cache file lock of the lock order (see docs/internals.md): every method that reads or
 * changes the tables holds it; {@link #owner(int)} reads the slot array without it (the reclaimer's look-up of
 * a frame's file, published by the slot's frames themselves).
 */
final class FileTable {
    private static final System.Logger LOG = System.getLogger(FileTable.class.getName());
    /** Attempts of an open whose path keeps naming another file between its look-up and its store's open. */
    private static final int MAX_OPEN_ATTEMPTS = 8;

    private final OffHeapPageCache cache;
    private final StoreFactory storeFactory;
    private final Counters counters;
    private final int pageSize;
    private final long maxPages;
    private final long maxFileSize;
    /** Open and retained files by {@link FileIdentity#key()}. */
    private final Map<Object, CachedFile> files = new HashMap<>();
    /** Files with no handle open whose pages are kept, oldest first. */
    private final Set<CachedFile> retained = new LinkedHashSet<>();
    /** Retained files by the path they were last open by. */
    private final Map<Path, CachedFile> retainedByPath = new HashMap<>();

    private final CachedFile[] slots = new CachedFile[FrameTable.MAX_SLOT + 1];
    private final ArrayDeque<Integer> freeSlots = new ArrayDeque<>();
    private int nextSlot = 1;
    private boolean closed;

    FileTable(OffHeapPageCache cache, StoreFactory storeFactory, Counters counters, int pageSize, long maxPages) {
        this.cache = cache;
        this.storeFactory = storeFactory;
        this.counters = counters;
        this.pageSize = pageSize;
        this.maxPages = maxPages;
        this.maxFileSize = maxPages * pageSize;
    }

    /** @return the file that holds {@code slot}, or null */
    CachedFile owner(int slot) {
        return slots[slot];
    }

    /** @return how many files are retained (no handle open, pages kept) */
    synchronized int retainedCount() {
        return retained.size();
    }

    /**
     * Opens {@code file} (spelled absolute as {@code spelled}), trying again while the file the path names
     * changes between its look-up and its store's open.
     */
    synchronized PagedFile open(Path file, Path spelled, Set<OpenOption> opts, boolean writable) throws IOException {
        for (int attempt = 1; ; attempt++) {
            if (closed) {
                throw new ClosedChannelException();
            }
            PagedFile opened = tryOpen(file, spelled, opts, writable);
            if (opened != null) {
                return opened;
            }
            if (attempt == MAX_OPEN_ATTEMPTS) {
                throw new IOException("open of " + file + ": the file it names kept changing (deleted, renamed or"
                        + " replaced by another process) while it was opened, " + MAX_OPEN_ATTEMPTS + " times");
            }
        }
    }

    /**
     * Drops the retained file last open by {@code spelled} if the path no longer names it (deleted, renamed away
     * or replaced); see {@link org.pagecache.api.PageCache#discard}.
     *
     * @return whether a retained file was dropped
     */
    synchronized boolean discard(Path spelled) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        CachedFile f = retainedByPath.get(spelled);
        if (f == null) {
            return false;
        }
        FileIdentity now = FileIdentity.of(spelled);
        if (now != null && now.key().equals(f.key())) {
            return false; // still there: its pages may be found again on re-open
        }
        counters.reopenDrops.increment();
        dropRetained(f);
        return true;
    }

    /** Refuses every later open; @return the files open or retained now */
    synchronized List<CachedFile> shutDown() {
        closed = true;
        return new ArrayList<>(files.values());
    }

    /** Closes one file for good, under this table's monitor (as a file's close always runs). */
    synchronized void closeFile(CachedFile f) throws IOException {
        f.close(true);
    }

    /**
     * One attempt to open: look the file up by what the path names now; if it is not open, open a store and
     * look at the path again, so a store opened on another file than the one looked up is never used.
     *
     * @return the handle, or null if the path changed meanwhile (the caller tries again)
     */
    private PagedFile tryOpen(Path file, Path spelled, Set<OpenOption> opts, boolean writable) throws IOException {
        FileIdentity before = FileIdentity.of(spelled);
        if (before != null) {
            if (opts.contains(StandardOpenOption.CREATE_NEW)) {
                throw new FileAlreadyExistsException(file.toString());
            }
            CachedFile live = files.get(before.key());
            if (live != null && !live.retained()) {
                return attach(live, file, spelled, opts, writable);
            }
        }
        BackingStore store = openStore(spelled, Set.copyOf(opts));
        boolean kept = false;
        try {
            FileIdentity after = FileIdentity.of(spelled);
            if (after == null || (before != null && !before.key().equals(after.key()))) {
                return null;
            }
            CachedFile replaced = retainedByPath.get(spelled);
            if (replaced != null && !replaced.key().equals(after.key())) {
                // the path was retained naming another file: that file was deleted or replaced since
                LOG.log(Level.DEBUG, () -> "dropping the retained pages of " + file + ": the path names another file");
                counters.reopenDrops.increment();
                dropRetained(replaced);
            }
            CachedFile found = files.get(after.key());
            if (found != null && !found.retained()) {
                return attach(found, file, spelled, opts, writable);
            }
            if (found != null) {
                unretain(found); // under the path it was retained by (reattach may change it)
                if (found.reattach(after, store, spelled, writable)) {
                    kept = true;
                    found.handles = 1;
                    counters.reopenHits.increment();
                    return new FileHandle(found, writable);
                }
                LOG.log(
                        Level.DEBUG,
                        () -> "dropping the retained pages of " + file + ": " + found.retainedDifferences(after));
                counters.reopenDrops.increment();
                dropRetained(found);
            }
            int slot = allocateSlot();
            CachedFile created;
            try {
                created = new CachedFile(cache, spelled, after.key(), store, slot, writable);
            } catch (IOException | RuntimeException e) {
                freeSlots.push(slot);
                throw e;
            }
            kept = true;
            created.handles = 1;
            slots[slot] = created;
            files.put(after.key(), created);
            return new FileHandle(created, writable);
        } finally {
            if (!kept) {
                closeQuietly(store);
            }
        }
    }

    /** A new handle on a file open in this cache, making it writable if it was open read-only. */
    private PagedFile attach(CachedFile cached, Path file, Path spelled, Set<OpenOption> opts, boolean writable)
            throws IOException {
        if (opts.contains(StandardOpenOption.CREATE_NEW)) {
            throw new FileAlreadyExistsException(file.toString());
        }
        if (writable && !cached.writable()) {
            Set<OpenOption> upgrade = new HashSet<>(opts);
            upgrade.remove(StandardOpenOption.CREATE);
            upgrade.remove(StandardOpenOption.TRUNCATE_EXISTING); // the cache truncates, below
            BackingStore store = storeFactory.open(spelled, Set.copyOf(upgrade));
            FileIdentity after;
            try {
                after = FileIdentity.of(spelled);
            } catch (IOException | RuntimeException e) {
                closeQuietly(store);
                throw e;
            }
            if (after == null || !after.key().equals(cached.key())) {
                closeQuietly(store);
                return null;
            }
            cached.upgrade(store);
        }
        if (opts.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
            cached.truncate(0);
        }
        cached.handles++;
        return new FileHandle(cached, writable);
    }

    private static void closeQuietly(BackingStore store) {
        try {
            store.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "closing an unused store failed", e);
        }
    }

    private void unretain(CachedFile f) {
        if (retained.remove(f)) {
            retainedByPath.remove(f.path(), f);
        }
    }

    /** Drops a retained file: its pages, its slot. Under the file lock. */
    private void dropRetained(CachedFile f) {
        unretain(f);
        try {
            f.close(true);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "dropping the retained pages of " + f.path() + " failed", e);
        }
    }

    /**
     * Opens a file's store and refuses a file larger than the cache can address (2^31-1 pages: page indexes are
     * {@code int}s), so no position can wrap to another page.
     */
    private BackingStore openStore(Path key, Set<OpenOption> opts) throws IOException {
        BackingStore store = storeFactory.open(key, opts);
        try {
            long size = store.size();
            if (size > maxFileSize) {
                throw new IOException(key + " is " + size + " bytes: larger than the " + maxFileSize + " bytes ("
                        + maxPages + " pages of " + pageSize + ") a cached file can have");
            }
            return store;
        } catch (IOException | RuntimeException | Error e) {
            try {
                store.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private int allocateSlot() throws IOException {
        Integer free = freeSlots.poll();
        if (free != null) {
            return free;
        }
        if (nextSlot <= FrameTable.MAX_SLOT) {
            return nextSlot++;
        }
        // every slot is taken: retained files give theirs back, oldest first
        while (!retained.isEmpty()) {
            dropRetained(retained.iterator().next());
            free = freeSlots.poll();
            if (free != null) {
                return free;
            }
        }
        throw new IOException("too many open files: at most " + FrameTable.MAX_SLOT + " per cache");
    }

    /** Called by a closing file once none of its frames is bound any more; under the file lock. */
    void releaseSlot(int slot) {
        CachedFile f = slots[slot];
        slots[slot] = null;
        if (f != null) {
            files.remove(f.key(), f);
            unretain(f);
        }
        freeSlots.push(slot);
    }

    /**
     * Called by a closing file some of whose frames are still held by guards: it leaves the file table, but its
     * slot stays taken (the frames still name it, and their guards release into it), never to be reused.
     */
    void retireSlot(CachedFile f) {
        files.remove(f.key(), f);
        unretain(f);
    }

    void logStuckClose(CachedFile f, int frames, String why) {
        LOG.log(
                Level.WARNING,
                "close of " + f.path() + ": " + frames + " page(s) still held when the wait ended (" + why
                        + "); left bound to the closed file, its slot is not reused");
    }

    void closeHandle(FileHandle handle) throws IOException {
        synchronized (this) {
            CachedFile file = handle.file();
            if (file.isClosed()) {
                return;
            }
            if (file.handles == 1) {
                if (file.closeLastHandle()) {
                    retained.add(file);
                    CachedFile previous = retainedByPath.put(file.path(), file);
                    if (previous != null && previous != file) {
                        counters.reopenDrops.increment(); // the path now names this file: the other was replaced
                        dropRetained(previous);
                        retainedByPath.put(file.path(), file);
                    }
                }
            }
            file.handles--;
        }
    }
}
