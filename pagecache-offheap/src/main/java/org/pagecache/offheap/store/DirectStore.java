package org.pagecache.offheap.store;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;

/**
 * A {@link BackingStore} with direct I/O ({@code O_DIRECT}): page-ins and write-backs go between frame memory
 * and the device without passing through the OS page cache, so no page is cached twice.
 *
 * <p>Direct I/O takes only transfers whose file position, length and memory address are multiples of the file
 * system's block size. Frames are aligned to the page size and the cache opens a file for direct I/O only if its
 * page size is a multiple of the block size, so every full-page read and write qualifies. What does not is routed to a second,
 * buffered descriptor of the same file:
 * <ul>
 *   <li>the tail page of a file whose size is not a multiple of the block size (write-back clips it at the end
 *       of the file), and the read that continues a short read at the end of the file;</li>
 *   <li>the one-byte write that extends a file on {@code truncate} to a larger size.</li>
 * </ul>
 * A gathering write of a run whose last page is clipped goes out in two parts: the aligned pages directly, the
 * clipped tail buffered. Linux keeps the two descriptors coherent (a direct read writes back and waits for
 * buffered data of its range first; a direct write invalidates it), and {@code fsync} of either descriptor makes
 * the whole file durable; {@link #force} uses the buffered one, which also carries the size.
 *
 * <p>Where the file system refuses {@code O_DIRECT} (ramfs, for one), {@link #open} fails with an
 * {@link IOException} that says so, and removes the file if this call created it (Linux creates a file before
 * it refuses the flag).
 */
public final class DirectStore implements BackingStore {

    private final BackingStore direct;
    private final BackingStore buffered;
    private final long blockSize;

    private DirectStore(BackingStore direct, BackingStore buffered, long blockSize) {
        this.direct = direct;
        this.buffered = buffered;
        this.blockSize = blockSize;
    }

    /**
     * Opens {@code file} twice: with {@code ExtendedOpenOption.DIRECT} ({@link DirectIo}) for aligned transfers, and buffered for
     * the rest.
     *
     * @param file     the file
     * @param options  the open options; {@code DIRECT} among them or not, it is used for the direct descriptor only
     * @param opener   opens one descriptor (the interrupt-safe {@link FileChannelStore#open} in production)
     * @return the store
     * @throws IOException if the file system refuses direct I/O
     */
    public static DirectStore open(Path file, Set<OpenOption> options, StoreFactory opener) throws IOException {
        boolean existed = Files.exists(file, LinkOption.NOFOLLOW_LINKS);
        Set<OpenOption> bufferedOptions = new HashSet<>(options);
        bufferedOptions.removeIf(DirectIo::isDirect);
        BackingStore buffered = opener.open(file, Set.copyOf(bufferedOptions));
        try {
            long blockSize = blockSize(file);
            Set<OpenOption> directOptions = new HashSet<>(bufferedOptions);
            // The buffered descriptor has created or truncated the file already; the direct one only opens it.
            directOptions.remove(StandardOpenOption.CREATE);
            directOptions.remove(StandardOpenOption.CREATE_NEW);
            directOptions.remove(StandardOpenOption.TRUNCATE_EXISTING);
            directOptions.add(DirectIo.option());
            BackingStore direct;
            try {
                direct = opener.open(file, Set.copyOf(directOptions));
            } catch (IOException e) {
                IOException refused = new IOException(
                        file + ": the file system (" + fileStoreType(file) + ") refuses direct I/O (O_DIRECT): "
                                + e.getMessage(),
                        e);
                throw refused;
            }
            return new DirectStore(direct, buffered, blockSize);
        } catch (IOException | RuntimeException | Error e) {
            try {
                buffered.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (!existed) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /**
     * @param file a file, or a file about to be created (its directory is asked then)
     * @return the block size that direct transfers of {@code file} must be aligned to
     */
    public static long blockSize(Path file) throws IOException {
        Path probe = file;
        while (probe != null && !Files.exists(probe)) {
            probe = probe.toAbsolutePath().getParent();
        }
        if (probe == null) {
            throw new IOException(file + ": no existing directory to ask for its block size");
        }
        long size = Files.getFileStore(probe).getBlockSize();
        if (size <= 0 || Long.bitCount(size) != 1) {
            throw new IOException(file + ": the file system reports a block size of " + size + " bytes");
        }
        return size;
    }

    private static String fileStoreType(Path file) {
        try {
            FileStore store = Files.getFileStore(file);
            return store.type();
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** @return the block size that direct transfers are aligned to */
    public long blockSize() {
        return blockSize;
    }

    private boolean aligned(long value) {
        return value % blockSize == 0;
    }

    private boolean aligned(ByteBuffer buffer) {
        if (!aligned(buffer.remaining())) {
            return false;
        }
        if (!buffer.isDirect()) {
            return true; // the JDK moves heap buffers through an aligned temporary buffer
        }
        return aligned(MemorySegment.ofBuffer(buffer).address());
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        if (aligned(position) && aligned(dst)) {
            return direct.read(dst, position);
        }
        return buffered.read(dst, position);
    }

    @Override
    public long write(ByteBuffer[] srcs, long position) throws IOException {
        if (srcs.length == 0) {
            return 0;
        }
        if (!aligned(position)) {
            return buffered.write(srcs, position);
        }
        int alignedPrefix = 0;
        while (alignedPrefix < srcs.length && aligned(srcs[alignedPrefix])) {
            alignedPrefix++;
        }
        if (alignedPrefix == srcs.length) {
            return direct.write(srcs, position);
        }
        if (alignedPrefix == 0) {
            return buffered.write(srcs, position);
        }
        long expected = 0;
        ByteBuffer[] head = new ByteBuffer[alignedPrefix];
        for (int i = 0; i < alignedPrefix; i++) {
            head[i] = srcs[i];
            expected += srcs[i].remaining();
        }
        long written = direct.write(head, position);
        if (written < expected) {
            return written; // short: the caller loops, and the rest is no longer position-aligned
        }
        ByteBuffer[] tail = new ByteBuffer[srcs.length - alignedPrefix];
        System.arraycopy(srcs, alignedPrefix, tail, 0, tail.length);
        return written + buffered.write(tail, position + written);
    }

    @Override
    public java.nio.file.Path bypassReadPath() {
        return direct.bypassReadPath() == null ? null : buffered.bypassReadPath();
    }

    @Override
    public boolean bypassReadsDirect() {
        return true;
    }

    @Override
    public long size() throws IOException {
        return buffered.size();
    }

    @Override
    public void truncate(long size) throws IOException {
        buffered.truncate(size);
    }

    @Override
    public void force(boolean metadata) throws IOException {
        buffered.force(metadata);
    }

    @Override
    public void close() throws IOException {
        try {
            direct.close();
        } finally {
            buffered.close();
        }
    }
}
