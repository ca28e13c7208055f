package org.pagecache.offheap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;

/**
 * What a file is, as opposed to how it is spelled: the key the cache files it under, and the attributes that
 * tell whether a file seen again is still the one whose pages the cache kept.
 *
 * <p>The key is {@link BasicFileAttributes#fileKey()} (device and inode on POSIX systems), so a symlink, a hard
 * link or {@code dir/lnk/../f} name one cached file; where the file system has no file key, the real path
 * ({@link Path#toRealPath}). Inode numbers are reused at once after a delete (ext4 does), so the key alone does
 * not tell a new file from the old: {@link #sameContentAs} also compares the birth time (statx), the size and the
 * last-modified time.
 *
 * @param key          device and inode (or the real path)
 * @param creationTime birth time, or the last-modified time where the file system has none
 * @param size         bytes
 * @param modified     last-modified time
 */
record FileIdentity(Object key, FileTime creationTime, long size, FileTime modified) {

    /**
     * @return the identity of the file {@code path} names now (following symlinks), or null if it does not exist
     */
    static FileIdentity of(Path path) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return null;
        }
        Object key = a.fileKey();
        if (key == null) {
            try {
                key = path.toRealPath();
            } catch (NoSuchFileException e) {
                return null;
            }
        }
        return new FileIdentity(key, a.creationTime(), a.size(), a.lastModifiedTime());
    }

    /** @return whether {@code other} is this file unchanged: same key, birth time, size and last-modified time */
    boolean sameContentAs(FileIdentity other) {
        return other != null
                && key.equals(other.key)
                && creationTime.equals(other.creationTime)
                && size == other.size
                && modified.equals(other.modified);
    }

    /** @return what differs from {@code now}, for the log */
    String differences(FileIdentity now) {
        if (now == null) {
            return "deleted";
        }
        StringBuilder sb = new StringBuilder();
        if (!key.equals(now.key)) {
            sb.append("file key ").append(key).append(" -> ").append(now.key).append("; ");
        }
        if (!creationTime.equals(now.creationTime)) {
            sb.append("birth time ")
                    .append(creationTime)
                    .append(" -> ")
                    .append(now.creationTime)
                    .append("; ");
        }
        if (size != now.size) {
            sb.append("size ").append(size).append(" -> ").append(now.size).append("; ");
        }
        if (!modified.equals(now.modified)) {
            sb.append("modified ")
                    .append(modified)
                    .append(" -> ")
                    .append(now.modified)
                    .append("; ");
        }
        return sb.toString();
    }
}
