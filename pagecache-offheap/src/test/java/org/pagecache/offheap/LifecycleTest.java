package org.pagecache.offheap;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.PageCacheStats;
import org.pagecache.api.PagedFile;
import org.pagecache.api.WriteSource;

/** File identity (what a file is, not its spelling) and the lifecycle of cached files: retained pages. */
class LifecycleTest {
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    private static OffHeapPageCache cache(long capacity) {
        return OffHeapPageCache.builder().pageSize(PAGE).capacity(capacity).build();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String read(PagedFile f, long position, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        f.read(position, b);
        return new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII);
    }

    /** Opens {@code file} again, reads it whole, and checks it equals {@code expected} with one re-open hit and no page-in. */
    private static void assertReadWithoutPageIns(OffHeapPageCache cache, Path file, byte[] expected, String why)
            throws IOException {
        PageCacheStats before = cache.stats();
        try (PagedFile f = cache.open(file, READ)) {
            ByteBuffer back = ByteBuffer.allocate(expected.length);
            assertEquals(expected.length, f.read(0, back));
            assertArrayEquals(expected, back.array());
        }
        assertEquals(before.faults(), cache.stats().faults(), why);
        assertEquals(1, cache.stats().reopenHits() - before.reopenHits(), why + ": a re-open hit");
    }

    private static byte[] pattern(int n, int seed) {
        byte[] data = new byte[n];
        new Random(seed).nextBytes(data);
        return data;
    }

    // ---------------------------------------------------------------- identity (finding 6)

    @Test
    void dotDotThroughASymlinkNamesTheFileTheOsOpens() throws IOException {
        Path deep = Files.createDirectories(dir.resolve("other/deep"));
        Path d = Files.createDirectories(dir.resolve("d"));
        Files.createSymbolicLink(d.resolve("lnk"), deep);
        Path osTarget = dir.resolve("other/f"); // what the OS makes of d/lnk/../f
        Path lexical = d.resolve("f"); // what lexical normalisation makes of it
        try (OffHeapPageCache cache = cache(1 << 20);
                PagedFile f = cache.open(d.resolve("lnk/../f"), CREATE, WRITE)) {
            f.write(0, WriteSource.of(bytes("through the link")));
        }
        assertEquals("through the link", Files.readString(osTarget));
        assertFalse(Files.exists(lexical), "nothing may be written to the lexically normalised path");
    }

    @Test
    void symlinksAndHardLinksGiveOneCoherentCachedFile() throws IOException {
        Path real = dir.resolve("real");
        Files.write(real, new byte[PAGE]);
        Path sym = Files.createSymbolicLink(dir.resolve("sym"), real);
        Path hard = Files.createLink(dir.resolve("hard"), real);
        try (OffHeapPageCache cache = cache(1 << 20);
                PagedFile a = cache.open(real, READ, WRITE);
                PagedFile b = cache.open(sym, READ, WRITE);
                PagedFile c = cache.open(hard, READ, WRITE)) {
            assertEquals(PAGE, a.read(0, ByteBuffer.allocate(PAGE)), "page cached through the first name");
            b.write(10, WriteSource.of(bytes("via symlink")));
            assertEquals("via symlink", read(c, 10, 11), "a write through one name is seen through every name");
            c.write(100, WriteSource.of(bytes("via hard link")));
            assertEquals("via hard link", read(a, 100, 13));
            a.flush();
            b.flush();
            c.flush();
        }
        byte[] disk = Files.readAllBytes(real);
        assertEquals("via symlink", new String(disk, 10, 11, StandardCharsets.US_ASCII));
        assertEquals(
                "via hard link",
                new String(disk, 100, 13, StandardCharsets.US_ASCII),
                "two flushes of two cached copies must not undo each other");
    }

    @Test
    void aPathDeletedWhileOpenAndCreatedAgainIsANewFile() throws IOException {
        Path a = dir.resolve("a");
        try (OffHeapPageCache cache = cache(1 << 20)) {
            PagedFile old = cache.open(a, CREATE, WRITE);
            old.write(0, WriteSource.of(bytes("old contents")));
            old.flush();
            Files.delete(a);
            try (PagedFile fresh = cache.open(a, CREATE, WRITE)) {
                assertTrue(Files.exists(a), "open(CREATE) after a delete creates the file");
                assertEquals(0, fresh.size(), "the new file is empty");
                fresh.write(0, WriteSource.of(bytes("new")));
            }
            assertEquals("new", Files.readString(a), "the new file's writes reach it");
            assertEquals("old contents", read(old, 0, 12), "the unlinked file lives on for its open handle");
            old.write(0, WriteSource.of(bytes("OLD")));
            old.close();
            assertEquals("new", Files.readString(a), "the unlinked file's writes never reach the new one");
        }
    }

    @Test
    void afterAMoveANewFileOfTheOldNameDoesNotWriteIntoTheMovedFile() throws IOException {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        try (OffHeapPageCache cache = cache(1 << 20)) {
            PagedFile moved = cache.open(a, CREATE, WRITE);
            moved.write(0, WriteSource.of(bytes("AAAA")));
            moved.flush();
            Files.move(a, b);
            try (PagedFile fresh = cache.open(a, CREATE, WRITE)) {
                assertEquals(0, fresh.size());
                fresh.write(0, WriteSource.of(bytes("BBBB")));
            }
            try (PagedFile viaB = cache.open(b, READ)) {
                assertEquals("AAAA", read(viaB, 0, 4), "b is the moved file, open through its new name");
            }
            moved.close();
        }
        assertEquals("AAAA", Files.readString(b));
        assertEquals("BBBB", Files.readString(a));
    }

    // ---------------------------------------------------------------- pages outlive handles (issue 12)

    @Test
    void pagesOutliveTheLastHandleAndAreFoundAgainOnReopen() throws IOException {
        Path a = dir.resolve("a");
        byte[] data = pattern(16 * PAGE, 1);
        try (OffHeapPageCache cache = cache(1 << 20)) {
            try (PagedFile f = cache.open(a, CREATE, WRITE)) {
                f.write(0, WriteSource.of(data));
            }
            assertArrayEquals(data, Files.readAllBytes(a), "the last close flushed the dirty pages");
            PageCacheStats before = cache.stats();
            assertEquals(1, before.retainedFiles());
            try (PagedFile f = cache.open(a, READ)) {
                ByteBuffer back = ByteBuffer.allocate(data.length);
                assertEquals(data.length, f.read(0, back));
                assertArrayEquals(data, back.array());
            }
            PageCacheStats after = cache.stats();
            assertEquals(before.faults(), after.faults(), "no page-in: the pages stayed cached");
            assertEquals(1, after.reopenHits() - before.reopenHits());
            assertEquals(16, after.hits() - before.hits());
        }
    }

    @Test
    void retainedFilesHoldNoFileDescriptor() throws IOException {
        Path a = dir.resolve("a");
        try (OffHeapPageCache cache = cache(1 << 20)) {
            long fds = openDescriptorsOn(a);
            try (PagedFile f = cache.open(a, CREATE, WRITE)) {
                f.write(0, WriteSource.of(pattern(PAGE, 2)));
                // an open file holds its channel and the store's anchor (ChannelReopener): two descriptors
                assertEquals(fds + 2, openDescriptorsOn(a));
            }
            assertEquals(1, cache.stats().retainedFiles());
            assertEquals(fds, openDescriptorsOn(a), "a retained file's store is closed");
        }
    }

    private static long openDescriptorsOn(Path file) throws IOException {
        Path target = file.toAbsolutePath();
        long n = 0;
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    if (Files.readSymbolicLink(fd).equals(target)) {
                        n++;
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        return n;
    }

    /** Writes a file through the cache and closes it (retained), then lets {@code change} act as another process. */
    private void assertChangeIsDetected(String what, ChangeByOthers change) throws IOException {
        Path a = dir.resolve("a");
        byte[] data = pattern(4 * PAGE, 3);
        try (OffHeapPageCache cache = cache(1 << 20)) {
            try (PagedFile f = cache.open(a, CREATE, WRITE)) {
                f.write(0, WriteSource.of(data));
            }
            assertEquals(1, cache.stats().retainedFiles());
            byte[] expected = change.apply(a, data);
            try (PagedFile f = cache.open(a, READ)) {
                ByteBuffer back = ByteBuffer.allocate(expected.length + 1);
                f.read(0, back);
                assertEquals(expected.length, back.position(), what + ": size");
                assertArrayEquals(
                        expected,
                        Arrays.copyOf(back.array(), expected.length),
                        what + ": the retained pages must not be served");
            }
            assertEquals(1, cache.stats().reopenDrops(), what + ": counted as a drop");
            assertEquals(0, cache.stats().reopenHits(), what);
        }
    }

    @FunctionalInterface
    private interface ChangeByOthers {
        byte[] apply(Path file, byte[] old) throws IOException;
    }

    @Test
    void discardFreesTheRetainedPagesOfADeletedFileAndNothingElse() throws IOException {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        byte[] data = pattern(16 * PAGE, 6);
        try (OffHeapPageCache cache = cache(1 << 20)) {
            for (Path p : new Path[] {a, b}) {
                try (PagedFile f = cache.open(p, CREATE, WRITE)) {
                    f.write(0, WriteSource.of(data));
                }
            }
            assertEquals(2, cache.stats().retainedFiles());
            long free = cache.stats().freeFrames();
            assertFalse(cache.discard(a), "a still names the retained file: its pages may be found again");
            assertFalse(cache.discard(dir.resolve("never-opened")));
            assertEquals(2, cache.stats().retainedFiles());
            Files.delete(a);
            assertTrue(cache.discard(a));
            assertFalse(cache.discard(a), "nothing left to drop");
            assertEquals(1, cache.stats().retainedFiles());
            assertEquals(free + 16, cache.stats().freeFrames(), "a's 16 frames are free again");
            assertReadWithoutPageIns(cache, b, data, "b kept its pages");
            // an open handle keeps the deleted file's pages and goes on reading them
            try (PagedFile f = cache.open(b, READ)) {
                Files.delete(b);
                assertFalse(cache.discard(b));
                ByteBuffer back = ByteBuffer.allocate(data.length);
                assertEquals(data.length, f.read(0, back));
                assertArrayEquals(data, back.array());
            }
            assertThrows(NullPointerException.class, () -> cache.discard(null));
            cache.close();
            assertThrows(java.nio.channels.ClosedChannelException.class, () -> cache.discard(a));
        }
    }

    /**
     * A file deleted while open and created again: when the old file's last handle closes, its pages are dropped
     * (the path no longer names it: nothing can find them again), and the new file's retained pages stay, found
     * again with no page-in.
     */
    @Test
    void aFileDeletedWhileOpenIsNotRetainedInPlaceOfTheFileThatNowHasItsName() throws IOException {
        Path a = dir.resolve("a");
        byte[] old = pattern(8 * PAGE, 7);
        byte[] fresh = pattern(8 * PAGE, 8);
        try (OffHeapPageCache cache = cache(1 << 20)) {
            PagedFile oldHandle = cache.open(a, CREATE, WRITE);
            oldHandle.write(0, WriteSource.of(old));
            Files.delete(a);
            try (PagedFile f = cache.open(a, CREATE, WRITE)) {
                f.write(0, WriteSource.of(fresh));
            }
            assertEquals(1, cache.stats().retainedFiles(), "the new file is retained");
            long free = cache.stats().freeFrames();
            oldHandle.close();
            assertEquals(1, cache.stats().retainedFiles(), "the deleted file is not");
            assertEquals(free + 8, cache.stats().freeFrames(), "its 8 frames are free");
            assertReadWithoutPageIns(cache, a, fresh, "the new file's pages were found again");
        }
    }

    @Test
    void retainedPagesAreDroppedWhenTheFileWasDeletedAndCreatedAgain() throws IOException {
        assertChangeIsDetected("deleted and re-created (the inode number may be reused)", (file, old) -> {
            Files.delete(file);
            byte[] replacement = pattern(old.length, 4); // the same size
            Files.write(file, replacement);
            return replacement;
        });
    }

    @Test
    void retainedPagesAreDroppedWhenTheFileWasReplacedByARename() throws IOException {
        assertChangeIsDetected("replaced by a rename", (file, old) -> {
            byte[] replacement = pattern(old.length, 5);
            Path tmp = file.resolveSibling("tmp");
            Files.write(tmp, replacement);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return replacement;
        });
    }

    @Test
    void retainedPagesAreDroppedWhenAnotherProcessAppended() throws IOException {
        assertChangeIsDetected("appended", (file, old) -> {
            byte[] tail = pattern(100, 6);
            Files.write(file, tail, java.nio.file.StandardOpenOption.APPEND);
            byte[] all = Arrays.copyOf(old, old.length + tail.length);
            System.arraycopy(tail, 0, all, old.length, tail.length);
            return all;
        });
    }

    @Test
    void retainedPagesAreDroppedWhenAnotherProcessTruncated() throws IOException {
        assertChangeIsDetected("truncated", (file, old) -> {
            try (FileChannel ch = FileChannel.open(file, WRITE)) {
                ch.truncate(PAGE + 10);
            }
            return Arrays.copyOf(old, PAGE + 10);
        });
    }

    @Test
    void retainedPagesAreDroppedWhenModifiedInPlaceWithADifferentMtime() throws IOException {
        assertChangeIsDetected("modified in place", (file, old) -> {
            FileTime mtime = Files.getLastModifiedTime(file);
            byte[] changed = old.clone();
            changed[PAGE + 1] ^= 1;
            try (FileChannel ch = FileChannel.open(file, WRITE)) {
                ch.write(ByteBuffer.wrap(changed, PAGE + 1, 1), PAGE + 1);
            }
            // the file system's clock may not have ticked since the cache's last write-back: make it differ,
            // as any write a tick later does (what is detected is a different mtime)
            Files.setLastModifiedTime(file, FileTime.fromMillis(mtime.toMillis() + 1000));
            return changed;
        });
    }

    @Test
    void aRenamedRetainedFileIsFoundAgainUnderItsNewName() throws IOException {
        Path a = dir.resolve("pending");
        Path b = dir.resolve("committed");
        byte[] data = pattern(4 * PAGE, 7);
        try (OffHeapPageCache cache = cache(1 << 20)) {
            try (PagedFile f = cache.open(a, CREATE, WRITE)) {
                f.write(0, WriteSource.of(data));
            }
            Files.move(a, b, StandardCopyOption.ATOMIC_MOVE);
            long faults = cache.stats().faults();
            try (PagedFile f = cache.open(b, READ)) {
                ByteBuffer back = ByteBuffer.allocate(data.length);
                f.read(0, back);
                assertArrayEquals(data, back.array());
            }
            assertEquals(faults, cache.stats().faults(), "the same file under another name: no page-in");
            assertEquals(1, cache.stats().reopenHits());
        }
    }

    @Test
    void retainedPagesAreEvictedLikeAnyOtherAndReadInAgain() throws IOException {
        Path a = dir.resolve("a");
        Path big = dir.resolve("big");
        byte[] data = pattern(8 * PAGE, 8);
        try (OffHeapPageCache cache = cache(32 * PAGE)) {
            try (PagedFile f = cache.open(a, CREATE, WRITE)) {
                f.write(0, WriteSource.of(data));
            }
            Files.write(big, pattern(128 * PAGE, 9));
            try (PagedFile f = cache.open(big, READ)) {
                for (int p = 0; p < 128; p++) {
                    f.read((long) p * PAGE, ByteBuffer.allocate(PAGE));
                }
            }
            long faults = cache.stats().faults();
            try (PagedFile f = cache.open(a, READ)) {
                ByteBuffer back = ByteBuffer.allocate(data.length);
                f.read(0, back);
                assertArrayEquals(data, back.array());
            }
            assertTrue(cache.stats().faults() > faults, "the retained pages were evicted and are read in again");
        }
    }

    // ---------------------------------------------------------------- read-only handles (finding 7)

    @Test
    void aFileOpenReadOnlyCanAlsoBeOpenedWritable() throws IOException {
        Path a = dir.resolve("a");
        Files.write(a, new byte[PAGE]);
        try (OffHeapPageCache cache = cache(1 << 20);
                PagedFile ro = cache.open(a, READ)) {
            assertEquals(PAGE, ro.read(0, ByteBuffer.allocate(PAGE)));
            try (PagedFile rw = cache.open(a, READ, WRITE)) {
                rw.write(5, WriteSource.of(bytes("upgrade")));
                rw.flush();
            }
            assertEquals("upgrade", read(ro, 5, 7));
            assertEquals("upgrade", new String(Files.readAllBytes(a), 5, 7, StandardCharsets.US_ASCII));
        }
    }

    @Test
    void aReadOnlyHandlesFlushAndSyncWriteBackDirtyPagesOfAnyHandle() throws IOException {
        Path a = dir.resolve("a");
        Files.write(a, new byte[PAGE]);
        try (OffHeapPageCache cache = cache(1 << 20);
                PagedFile ro = cache.open(a, READ);
                PagedFile rw = cache.open(a, READ, WRITE)) {
            rw.write(0, WriteSource.of(bytes("first")));
            ro.flush();
            assertEquals("first", new String(Files.readAllBytes(a), 0, 5, StandardCharsets.US_ASCII));
            rw.write(0, WriteSource.of(bytes("again")));
            ro.sync();
            assertEquals("again", new String(Files.readAllBytes(a), 0, 5, StandardCharsets.US_ASCII));
            assertEquals(0, cache.stats().dirtyFrames());
        }
    }

    // ---------------------------------------------------------------- translation memory (finding 13)

    @Test
    void translationMemoryFollowsWhatIsCachedNotTheFileSize() throws IOException {
        Path sparse = dir.resolve("sparse");
        try (FileChannel ch = FileChannel.open(sparse, CREATE, WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[1]), (64L << 30) - 1); // 64 GiB, all hole
        }
        var memory = java.lang.management.ManagementFactory.getMemoryMXBean();
        try (OffHeapPageCache cache = cache(1 << 20);
                PagedFile f = cache.open(sparse, READ, WRITE)) {
            System.gc();
            long before = memory.getHeapMemoryUsage().getUsed();
            Random random = new Random(13);
            long pages = (64L << 30) / PAGE;
            for (int i = 0; i < 4096; i++) {
                f.read(Math.floorMod(random.nextLong(), pages) * PAGE, ByteBuffer.allocate(1));
            }
            System.gc();
            long grown = memory.getHeapMemoryUsage().getUsed() - before;
            CachedFile file = ((FileHandle) f).file();
            int frames = (1 << 20) / PAGE;
            assertTrue(
                    file.translationLeaves() <= frames,
                    "at most one leaf per cached page: " + file.translationLeaves() + " leaves, " + frames + " frames");
            assertTrue(
                    grown < (8L << 20),
                    "4,096 one-byte reads over 64 GiB through a 1 MiB cache grew the heap by " + grown + " bytes");
            f.truncate(0);
            assertEquals(0, file.translationLeaves(), "truncate frees the translation entries");
        }
    }

    @Test
    void unpinOfAnUnpinnedFrameFailsInsteadOfCorruptingTheSlot() {
        try (var frames = new org.pagecache.offheap.frame.FrameTable(8, PAGE)) {
            frames.bindLocked(0, 7, 0);
            frames.unlock(0, org.pagecache.offheap.frame.FrameTable.UPTODATE, 0);
            long state = frames.state(0);
            assertThrows(IllegalStateException.class, () -> frames.unpin(0));
            assertEquals(state, frames.state(0), "the state word is unchanged");
        }
    }
}
