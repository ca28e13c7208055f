package org.pagecache.offheap.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

/**
 * Opens a file's channel again after an interrupt closed it, and makes sure it is the same file.
 *
 * <p>A {@link FileChannel} is an interruptible channel: when a thread blocked in (or entering) one of its I/O
 * operations is interrupted, the JDK closes the channel for every user. A cache shares one channel per file
 * among all threads, so one cancelled task would break the file for everybody. {@link FileChannelStore} recovers
 * by opening the file again, with this class.
 *
 * <p>The file may have been renamed or deleted since it was opened (POSIX lets an unlinked file live on for its
 * open descriptors), so opening the path again may find another file or none. Two defences: the file's
 * {@linkplain BasicFileAttributes#fileKey() key} (device and inode) recorded at open, checked on whatever is
 * opened again; and an <em>anchor</em>, a second read-only descriptor of the file that is never used for I/O,
 * so no interrupt can ever close it. On Linux, {@code /proc/self/fd/N} of a descriptor is a link to the file
 * itself, renamed or unlinked, and opening it opens that very file: the reopener looks there for a descriptor
 * whose key matches (the anchor at least), and only where {@code /proc/self/fd} does not exist falls back to the
 * path, refusing it if its key no longer matches.
 */
final class ChannelReopener implements AutoCloseable {
    private static final Path PROC_FDS = Path.of("/proc/self/fd");

    private final Path path;
    private final Set<OpenOption> options;
    private final Object fileKey;
    private final FileChannel anchor;
    private final Opener opener;

    /** Opens a path as a channel: {@code FileChannel::open}, or a test's stand-in. */
    @FunctionalInterface
    interface Opener {
        FileChannel open(Path path, Set<? extends OpenOption> options) throws IOException;
    }

    /**
     * @param path    the file as opened
     * @param options the options it was opened with; creating and truncating ones are dropped for re-opening
     */
    ChannelReopener(Path path, Set<? extends OpenOption> options) throws IOException {
        this(path, options, FileChannel::open);
    }

    ChannelReopener(Path path, Set<? extends OpenOption> options, Opener opener) throws IOException {
        this.path = path;
        this.opener = opener;
        Set<OpenOption> again = new HashSet<>(options);
        again.remove(StandardOpenOption.CREATE);
        again.remove(StandardOpenOption.CREATE_NEW);
        again.remove(StandardOpenOption.TRUNCATE_EXISTING);
        again.remove(StandardOpenOption.DELETE_ON_CLOSE);
        again.remove(StandardOpenOption.SPARSE);
        again.remove(StandardOpenOption.APPEND);
        this.options = Set.copyOf(again);
        this.fileKey = key(path);
        this.anchor = FileChannel.open(path, StandardOpenOption.READ);
    }

    /**
     * Opens the file again.
     *
     * @throws IOException if the file cannot be found again as the same file
     */
    FileChannel reopen() throws IOException {
        if (fileKey != null && Files.isDirectory(PROC_FDS)) {
            try (DirectoryStream<Path> fds = Files.newDirectoryStream(PROC_FDS)) {
                for (Path fd : fds) {
                    if (fileKey.equals(key(fd))) {
                        FileChannel opened;
                        try {
                            opened = opener.open(fd, options);
                        } catch (IOException e) {
                            continue; // closed since it was listed (another channel of the file): try the next
                        }
                        if (fileKey.equals(key(fd))) {
                            return opened; // the descriptor was not reused for another file meanwhile
                        }
                        opened.close();
                    }
                }
            }
        }
        Object now = key(path);
        if (fileKey == null || Objects.equals(fileKey, now)) {
            return FileChannel.open(path, options);
        }
        throw new IOException("cannot open " + path + " again after an interrupt closed its channel: the path now"
                + " names another file (or none) and /proc/self/fd cannot reach the original");
    }

    /**
     * @return a {@code /proc/self/fd} link to this file (a descriptor with its key: the anchor at least), or null
     *     where there is none; whoever opens it checks the key of what it opened
     */
    Path procLink() {
        if (fileKey == null || !Files.isDirectory(PROC_FDS)) {
            return null;
        }
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(PROC_FDS)) {
            for (Path fd : fds) {
                if (fileKey.equals(key(fd))) {
                    return fd;
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    private static Object key(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return null;
        }
    }

    @Override
    public void close() throws IOException {
        anchor.close();
    }
}
