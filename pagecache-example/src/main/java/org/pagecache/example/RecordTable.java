package org.pagecache.example;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongConsumer;
import org.pagecache.api.PageCache;
import org.pagecache.api.PageGuard;
import org.pagecache.api.PagedFile;
import org.pagecache.api.SourceFaultException;
import org.pagecache.api.WriteSource;

/**
 * A table of records keyed by {@code long}, each with a value of up to {@code valueSize} bytes, kept as a hash
 * table in one file and read and updated in place through a {@link PageCache}: a small storage engine.
 *
 * <h2>File layout</h2>
 * Page 0 is the header. Pages {@code 1..B} are the home pages of the {@code B} buckets; a key lives in the chain
 * that starts at page {@code 1 + hash(key) mod B}. When a chain is full, a new overflow page (past every page in
 * use) is linked to its end. Every offset, and the drawing of the header, bucket pages and slots, is in
 * {@link RecordLayout}.
 * The index is the file itself, so it survives a reopen as it is: {@link #open} reads the header and walks each
 * chain once, to check it and count the records.
 *
 * <h2>Concurrency</h2>
 * Every method except {@link #close()} may be called from any number of threads.
 * <ul>
 *   <li><b>Readers</b> ({@link #get}) take no lock. They pin each page of the key's chain with
 *       {@link PagedFile#pinForRead} and read it in place, optimistically: take a stamp, read, and retry if a
 *       writer changed the page meanwhile ({@link PageGuard#validate}). What is read before a successful
 *       validation may be torn, so it is used (as a length, a page number) only after it.</li>
 *   <li><b>Writers</b> ({@link #put}, {@link #delete}) lock the key's home page with {@link PagedFile#lockForWrite}:
 *       that write guard is the bucket lock. Only its holder changes the bucket's chain, so writers of different
 *       buckets run in parallel and writers of one bucket take turns. While holding it a writer locks at most one
 *       more page, an overflow page of its own chain, which always has a higher page index (the cache's lock order:
 *       ascending, one lock held while waiting), and it never reads anything that can fault (a mapped file, a
 *       {@link org.pagecache.api.MappedView}) under a lock.</li>
 *   <li><b>Records never move</b> and chains only grow, so a reader walking a chain page by page, validating each
 *       page on its own, finds every record that was there for the whole walk.</li>
 *   <li><b>Imports</b> ({@link #importRecords}) never read the caller's mapped file themselves: the cache copies it,
 *       through its fault-safe write path, into a staging file; the records are checked and inserted from there.</li>
 * </ul>
 *
 * <h2>Durability</h2>
 * {@link #put}, {@link #delete} and {@link #importRecords} change cached pages. {@link #flush()} writes dirty pages
 * back to the file; {@link #commit()} ({@link PagedFile#sync()}) also forces them to stable storage: every change
 * made before it survives a crash. There is no write-ahead log, so a crash between commits may leave some pages
 * newer than others; a production engine logs its changes (or writes pages out of place) before it commits.
 */
public final class RecordTable implements AutoCloseable {
    /** Bytes of the mapped input handed to the cache per {@link PagedFile#write} call: whole pages of any size. */
    private static final long STAGE_SLICE = 1 << 20;
    /** Bytes of staged input read per {@link PagedFile#read} call while checking and inserting. */
    private static final int BATCH_BYTES = 64 << 10;

    private final PageCache cache;
    private final PagedFile file;
    private final Path path;
    private final int buckets;
    private final int valueSize;
    private final RecordLayout layout;
    private final int slotSize;
    private final int slotsPerPage;
    /** The next overflow page to hand out; every page below it is in use or was once. */
    private final AtomicLong nextPage;

    private final AtomicLong records = new AtomicLong();

    private RecordTable(PageCache cache, PagedFile file, Path path, int buckets, int valueSize) throws IOException {
        this.cache = cache;
        this.file = file;
        this.path = path;
        this.buckets = buckets;
        this.valueSize = valueSize;
        this.layout = new RecordLayout(cache.pageSize(), valueSize);
        this.slotSize = layout.slotSize;
        this.slotsPerPage = layout.slotsPerPage;
        long pages = (file.size() + cache.pageSize() - 1) / cache.pageSize();
        this.nextPage = new AtomicLong(Math.max(pages, 1L + buckets));
    }

    /**
     * @param valueSize the largest value of a table
     * @return the size of one record in a table's pages and in an import file
     */
    public static int slotSize(int valueSize) {
        return RecordLayout.slotSize(valueSize);
    }

    /**
     * Creates a table file and opens it.
     *
     * @param cache     the cache to work through; its page size is the table's
     * @param path      the file; it must not exist
     * @param buckets   home pages; about {@code records / recordsPerPage / 0.7} keeps chains one page long
     * @param valueSize the largest value in bytes; a record must fit in a page
     * @return the open table
     * @throws IOException if the file exists or cannot be written
     */
    public static RecordTable create(PageCache cache, Path path, int buckets, int valueSize) throws IOException {
        Objects.requireNonNull(cache, "cache");
        Objects.requireNonNull(path, "path");
        if (buckets < 1 || buckets > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException("buckets " + buckets + " is not between 1 and " + Integer.MAX_VALUE / 2);
        }
        if (!RecordLayout.fits(cache.pageSize(), valueSize)) {
            throw new IllegalArgumentException(
                    "valueSize " + valueSize + " does not fit a record into a page of " + cache.pageSize() + " bytes");
        }
        PagedFile file = cache.open(path, CREATE_NEW, READ, WRITE);
        try {
            try (PageGuard header = file.lockForWrite(0)) {
                MemorySegment m = header.memory();
                RecordLayout.writeHeader(m, cache.pageSize(), buckets, valueSize);
            }
            // Closing a write guard on the last home page grows the file over every home page; the pages in between
            // read as zeros, which is an empty bucket.
            file.lockForWrite(buckets).close();
            file.sync();
            return new RecordTable(cache, file, path, buckets, valueSize);
        } catch (IOException | RuntimeException e) {
            closeQuietly(file, e);
            throw e;
        }
    }

    /**
     * Opens an existing table: reads its header, then walks every chain to check it and count the records.
     *
     * @param cache the cache to work through; its page size must be the one the table was created with
     * @param path  the table's file
     * @return the open table
     * @throws IOException if the file is not a table, was made with another page size, or is damaged
     */
    public static RecordTable open(PageCache cache, Path path) throws IOException {
        Objects.requireNonNull(cache, "cache");
        Objects.requireNonNull(path, "path");
        PagedFile file = cache.open(path, READ, WRITE);
        try {
            if (file.size() < cache.pageSize()) {
                throw new IOException(
                        path + " is not a record table: " + file.size() + " bytes, less than a header page");
            }
            int[] header;
            try (PageGuard page = file.pinForRead(0)) {
                header = readStable(page, RecordLayout::readHeader);
            }
            if (header == null) {
                throw new IOException(path + " is not a record table: wrong magic number");
            }
            if (header[0] != cache.pageSize()) {
                throw new IOException(path + " was created with " + header[0]
                        + "-byte pages; open it with a cache of that " + "page size, not " + cache.pageSize());
            }
            if (header[1] < 1
                    || file.size() < (header[1] + 1L) * cache.pageSize()
                    || !RecordLayout.fits(cache.pageSize(), header[2])) {
                throw new IOException(path + " is damaged: header says " + header[1] + " buckets of values up to "
                        + header[2] + " bytes, file has " + file.size() + " bytes");
            }
            RecordTable table = new RecordTable(cache, file, path, header[1], header[2]);
            table.records.set(table.countRecords());
            return table;
        } catch (IOException | RuntimeException e) {
            closeQuietly(file, e);
            throw e;
        }
    }

    /**
     * Reads a record in place: pins each page of the key's chain and copies the value out optimistically.
     *
     * @param key the key
     * @return a copy of the value, or {@code null} if the table has no record with this key
     * @throws IOException if a page-in fails or the chain is damaged
     */
    public byte[] get(long key) throws IOException {
        byte[] value = new byte[valueSize];
        long home = homePage(key);
        long page = home;
        for (long hops = 0; page != RecordLayout.NO_PAGE; hops++) {
            checkChainLength(hops, home);
            try (PageGuard guard = file.pinForRead(page)) {
                MemorySegment m = guard.memory();
                long stamp;
                int slot;
                int length = 0;
                long next;
                do { // optimistic read: retry if a writer got in
                    stamp = guard.readStamp();
                    slot = findKey(m, key);
                    if (slot >= 0) {
                        long at = slotOffset(slot);
                        length = RecordLayout.valueLength(m, at);
                        layout.readValue(m, at, value);
                    }
                    next = RecordLayout.next(m);
                } while (!guard.validate(stamp));
                if (slot >= 0) { // only now are length and value one instant's
                    if (length < 0 || length > valueSize) {
                        throw damaged("page " + page + " slot " + slot + " has a value length of " + length);
                    }
                    return Arrays.copyOf(value, length);
                }
                page = checkNext(page, next);
            }
        }
        return null;
    }

    /**
     * Inserts a record, or replaces the value of the record with this key, in place.
     *
     * @param key   the key
     * @param value at most {@link #valueSize()} bytes
     * @return {@code true} if the record is new, {@code false} if it replaced one
     * @throws IOException if a page-in fails or the chain is damaged
     */
    public boolean put(long key, byte[] value) throws IOException {
        Objects.requireNonNull(value, "value");
        if (value.length > valueSize) {
            throw new IllegalArgumentException(
                    "value of " + value.length + " bytes is longer than the table's valueSize " + valueSize);
        }
        try (PageGuard bucket = file.lockForWrite(homePage(key))) { // the bucket lock
            Location at = locate(bucket, key);
            if (at.keyPage() != RecordLayout.NO_PAGE) {
                change(bucket, at.keyPage(), m -> store(m, at.keySlot(), key, value));
                return false;
            }
            if (at.freePage() != RecordLayout.NO_PAGE) {
                change(bucket, at.freePage(), m -> store(m, at.freeSlot(), key, value));
            } else {
                // The chain is full: format a new page past the end of the file, then link it to the chain's tail
                // (in that order, so a failure on the way leaves no link to an unformatted page).
                long fresh = nextPage.getAndIncrement();
                try (PageGuard overflow = file.lockForWrite(fresh)) {
                    overflow.memory().fill((byte) 0); // it may hold a page that a crash left unlinked
                    store(overflow.memory(), 0, key, value);
                }
                change(bucket, at.tailPage(), m -> RecordLayout.setNext(m, fresh));
            }
            records.incrementAndGet();
            return true;
        }
    }

    /**
     * Deletes the record with this key: marks its slot free, in place.
     *
     * @param key the key
     * @return {@code true} if there was such a record
     * @throws IOException if a page-in fails or the chain is damaged
     */
    public boolean delete(long key) throws IOException {
        try (PageGuard bucket = file.lockForWrite(homePage(key))) {
            Location at = locate(bucket, key);
            if (at.keyPage() == RecordLayout.NO_PAGE) {
                return false;
            }
            change(bucket, at.keyPage(), m -> layout.clear(m, slotOffset(at.keySlot())));
            records.decrementAndGet();
            return true;
        }
    }

    /**
     * {@link #importRecords(Path, LongConsumer)} without progress reports.
     *
     * @param input the file to import
     * @return the number of records imported
     * @throws IOException as {@link #importRecords(Path, LongConsumer)}
     */
    public long importRecords(Path input) throws IOException {
        return importRecords(input, staged -> {});
    }

    /**
     * Imports every record of an import file (see {@link ImportFile}): all of them, or none if the input faults or
     * holds a malformed record. Records with a key already in the table replace it; a key repeated in the input
     * ends with its last value.
     *
     * <p>The input is mapped ({@link FileChannel#map(FileChannel.MapMode, long, long, Arena)}) and copied by the
     * cache into a staging file next to the table, slice by slice, with {@link PagedFile#write(long, WriteSource)}:
     * the write path that survives a mapped source that shrinks or fails under it. Only when every byte is staged
     * are the records checked and inserted, from the staging file's cached pages, which cannot fault. (A file cut
     * inside a large kernel folio may read as zeros past the cut instead of faulting; a zero record has no
     * {@code live} flag, so such an input is rejected as malformed: it too imports nothing.)
     *
     * @param input    the file to import; its size must be a multiple of {@link #slotSize(int)}
     * @param progress told the number of input bytes staged so far, after each slice
     * @return the number of records imported
     * @throws ImportFaultException     if reading the mapped input faulted (it shrank, or its disk failed): nothing
     *                                  was imported
     * @throws IllegalArgumentException if the input's size or one of its records is malformed: nothing was imported
     * @throws IOException              if the input cannot be read, or a page-in fails while inserting
     */
    public long importRecords(Path input, LongConsumer progress) throws IOException {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(progress, "progress");
        Path staging = Files.createTempFile(path.toAbsolutePath().getParent(), path.getFileName() + ".", ".import");
        try (FileChannel channel = FileChannel.open(input, READ);
                Arena arena = Arena.ofConfined();
                PagedFile stage = cache.open(staging, READ, WRITE)) {
            long size = channel.size();
            if (size % slotSize != 0) {
                throw new IllegalArgumentException("input " + input + " has " + size + " bytes, not a whole number of "
                        + slotSize + "-byte records");
            }
            MemorySegment mapped =
                    size == 0 ? MemorySegment.NULL : channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            try {
                for (long staged = 0; staged < size; ) { // 1. the cache copies the mapped input, fault-safe
                    long length = Math.min(STAGE_SLICE, size - staged);
                    long written;
                    try {
                        written = stage.write(staged, WriteSource.of(mapped.asSlice(staged, length)));
                    } catch (SourceFaultException e) {
                        throw new ImportFaultException(input, staged, e);
                    }
                    if (written < length) { // a short write: the source faulted part way
                        throw new ImportFaultException(input, staged + written, null);
                    }
                    staged += length;
                    progress.accept(staged);
                }
                long count = size / slotSize;
                forEachStaged(
                        stage, count, (index, record) -> checkRecord(input, index, record)); // 2. all well-formed?
                forEachStaged(stage, count, (index, record) -> { // 3. insert
                    byte[] value = new byte[record.getInt(RecordLayout.SLOT_LENGTH)];
                    record.get(RecordLayout.SLOT_HEADER, value);
                    put(record.getLong(RecordLayout.SLOT_KEY), value);
                });
                return count;
            } finally {
                stage.truncate(0); // drop the staged pages: nothing to write back
            }
        } finally {
            Files.deleteIfExists(staging);
        }
    }

    /** Writes every dirty page of the table back to its file (not yet forced to stable storage). */
    public void flush() throws IOException {
        file.flush();
    }

    /** Makes every change made before the call durable: {@link PagedFile#sync()}. */
    public void commit() throws IOException {
        file.sync();
    }

    /** @return the number of records */
    public long count() {
        return records.get();
    }

    /** @return the largest value the table holds, in bytes */
    public int valueSize() {
        return valueSize;
    }

    /** @return the number of buckets (home pages) */
    public int buckets() {
        return buckets;
    }

    /** @return records per page */
    public int recordsPerPage() {
        return slotsPerPage;
    }

    /** @return pages in the file: header, home pages and overflow pages */
    public long pages() {
        return nextPage.get();
    }

    /** Commits and closes the table. Call it once no other thread uses the table. */
    @Override
    public void close() throws IOException {
        try {
            file.sync();
        } finally {
            file.close();
        }
    }

    @Override
    public String toString() {
        return "RecordTable[" + path + ", " + count() + " records, " + buckets + " buckets, " + pages() + " pages]";
    }

    // ------------------------------------------------------------------------------------------------ chains

    /** Where a key is in its chain, or where it could go. Pages are {@link RecordLayout#NO_PAGE} when there is none. */
    private record Location(long keyPage, int keySlot, long freePage, int freeSlot, long tailPage) {}

    /** What one bucket page holds for a key: its slot or -1, the first free slot or -1, the next page. */
    private record PageScan(int keySlot, int freeSlot, long next) {}

    /** Walks the chain of the locked bucket, reading its overflow pages through read guards. */
    private Location locate(PageGuard bucket, long key) throws IOException {
        long freePage = RecordLayout.NO_PAGE;
        int freeSlot = -1;
        long page = bucket.pageIndex();
        for (long hops = 0; ; hops++) {
            checkChainLength(hops, bucket.pageIndex());
            PageScan scan;
            if (page == bucket.pageIndex()) {
                scan = scan(bucket.memory(), key);
            } else {
                // Only the bucket lock's holder changes this page, so nothing can change under this read; the
                // optimistic loop is the habit that keeps the code right if that ever stops being true.
                try (PageGuard guard = file.pinForRead(page)) {
                    scan = readStable(guard, m -> scan(m, key));
                }
            }
            if (scan.keySlot() >= 0) {
                return new Location(page, scan.keySlot(), RecordLayout.NO_PAGE, -1, page);
            }
            if (freePage == RecordLayout.NO_PAGE && scan.freeSlot() >= 0) {
                freePage = page;
                freeSlot = scan.freeSlot();
            }
            if (scan.next() == RecordLayout.NO_PAGE) {
                return new Location(RecordLayout.NO_PAGE, -1, freePage, freeSlot, page);
            }
            page = checkNext(page, scan.next());
        }
    }

    /** Changes a page of the locked bucket's chain: the bucket page itself, or an overflow page locked for it. */
    private void change(PageGuard bucket, long page, Consumer<MemorySegment> update) throws IOException {
        if (page == bucket.pageIndex()) {
            update.accept(bucket.memory());
            return;
        }
        try (PageGuard guard = file.lockForWrite(page)) {
            update.accept(guard.memory());
        }
    }

    private PageScan scan(MemorySegment page, long key) {
        int freeSlot = -1;
        for (int slot = 0; slot < slotsPerPage; slot++) {
            long at = slotOffset(slot);
            if (!RecordLayout.isLive(page, at)) {
                freeSlot = freeSlot < 0 ? slot : freeSlot;
            } else if (RecordLayout.key(page, at) == key) {
                return new PageScan(slot, freeSlot, RecordLayout.next(page));
            }
        }
        return new PageScan(-1, freeSlot, RecordLayout.next(page));
    }

    private int findKey(MemorySegment page, long key) {
        for (int slot = 0; slot < slotsPerPage; slot++) {
            long at = slotOffset(slot);
            if (RecordLayout.isLive(page, at) && RecordLayout.key(page, at) == key) {
                return slot;
            }
        }
        return -1;
    }

    private void store(MemorySegment page, int slot, long key, byte[] value) {
        layout.write(page, slotOffset(slot), key, value);
    }

    /** What {@link #countRecords()} reads from a page. */
    private record PageCount(int live, long next) {}

    /** Walks every chain once with read guards: checks the links and counts the live records. */
    private long countRecords() throws IOException {
        long live = 0;
        for (long home = 1; home <= buckets; home++) {
            long page = home;
            for (long hops = 0; page != RecordLayout.NO_PAGE; hops++) {
                checkChainLength(hops, home);
                PageCount count;
                try (PageGuard guard = file.pinForRead(page)) {
                    count = readStable(guard, m -> {
                        int n = 0;
                        for (int slot = 0; slot < slotsPerPage; slot++) {
                            n += RecordLayout.isLive(m, slotOffset(slot)) ? 1 : 0;
                        }
                        return new PageCount(n, RecordLayout.next(m));
                    });
                }
                live += count.live();
                page = checkNext(page, count.next());
            }
        }
        return live;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /**
     * Reads a pinned page optimistically: runs {@code reader} until no writer changed the page meanwhile. The
     * reader must only read within the page and may see torn data; its result counts only once validated.
     */
    private static <T> T readStable(PageGuard guard, Function<MemorySegment, T> reader) {
        long stamp;
        T result;
        do {
            stamp = guard.readStamp();
            result = reader.apply(guard.memory());
        } while (!guard.validate(stamp));
        return result;
    }

    /** A visitor of staged records: index in the input, and the record's bytes (little-endian). */
    private interface StagedRecord {
        void accept(long index, ByteBuffer record) throws IOException;
    }

    private void forEachStaged(PagedFile stage, long count, StagedRecord visitor) throws IOException {
        int perBatch = Math.max(1, BATCH_BYTES / slotSize);
        ByteBuffer batch = ByteBuffer.allocate(perBatch * slotSize).order(ByteOrder.LITTLE_ENDIAN);
        for (long first = 0; first < count; first += perBatch) {
            int n = (int) Math.min(perBatch, count - first);
            batch.clear().limit(n * slotSize);
            while (batch.hasRemaining()) {
                if (stage.read(first * slotSize + batch.position(), batch) < 0) {
                    throw new IOException(
                            "staged input ended early at record " + (first + batch.position() / slotSize));
                }
            }
            for (int i = 0; i < n; i++) {
                visitor.accept(first + i, batch.slice(i * slotSize, slotSize).order(ByteOrder.LITTLE_ENDIAN));
            }
        }
    }

    private void checkRecord(Path input, long index, ByteBuffer record) {
        int flags = record.getInt(RecordLayout.SLOT_FLAGS);
        int length = record.getInt(RecordLayout.SLOT_LENGTH);
        if (flags != RecordLayout.LIVE || length < 0 || length > valueSize) {
            throw new IllegalArgumentException("input " + input + " record " + index + " (byte " + index * slotSize
                    + ") is malformed: flags " + flags + ", value length " + length + " (at most " + valueSize + ")");
        }
    }

    private long homePage(long key) {
        // MurmurHash3's 64-bit finalizer spreads keys that differ in a few bits over every bucket.
        long h = key;
        h = (h ^ (h >>> 33)) * 0xff51afd7ed558ccdL;
        h = (h ^ (h >>> 33)) * 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return 1 + Long.remainderUnsigned(h, buckets);
    }

    private long slotOffset(int slot) {
        return layout.slotOffset(slot);
    }

    private long checkNext(long page, long next) throws IOException {
        if (next != RecordLayout.NO_PAGE && (next <= buckets || next >= nextPage.get())) {
            throw damaged("page " + page + " links to page " + next + ", outside the overflow pages " + (buckets + 1)
                    + ".." + (nextPage.get() - 1));
        }
        return next;
    }

    private void checkChainLength(long hops, long home) throws IOException {
        if (hops > nextPage.get()) {
            throw damaged("the chain of bucket page " + home + " is longer than the file: it loops");
        }
    }

    private IOException damaged(String what) {
        return new IOException(path + " is damaged: " + what);
    }

    private static void closeQuietly(PagedFile file, Exception cause) {
        try {
            file.close();
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
    }
}
