package org.pagecache.offheap.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real store survives an interrupt that closed its channel, even when the file was renamed or deleted and
 * another file took its name, and never opens that other file.
 */
class FileChannelStoreTest {
    private static final Set<OpenOption> RW =
            Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE);

    @TempDir
    Path dir;

    /** Closes the store's current channel the way the JDK does: an I/O on it by an interrupted thread. */
    private static void closeByInterrupt(FileChannelStore store) throws Exception {
        FileChannel channel = store.channelForTests();
        Thread t = new Thread(() -> {
            Thread.currentThread().interrupt();
            assertThrows(ClosedByInterruptException.class, () -> channel.read(ByteBuffer.allocate(1), 0));
        });
        t.start();
        t.join(10_000);
        assertTrue(!channel.isOpen(), "the interrupt closed the channel");
    }

    /**
     * A descriptor of the file listed in {@code /proc/self/fd} can be closed (by another channel of the same
     * file) before the reopener opens it: the reopener goes on to the next one (at least its anchor) instead of
     * failing with {@code NoSuchFileException}, as a long harness run once saw.
     */
    @Test
    void reopenGoesOnWhenAListedDescriptorClosesBeforeItIsOpened() throws Exception {
        Path file = dir.resolve("r.bin");
        Files.write(file, new byte[] {7, 8, 9});
        java.util.concurrent.atomic.AtomicInteger vanished = new java.util.concurrent.atomic.AtomicInteger();
        ChannelReopener.Opener closesFirst = (p, o) -> {
            if (p.startsWith("/proc/self/fd") && vanished.getAndIncrement() == 0) {
                throw new java.nio.file.NoSuchFileException(p.toString()); // closed since it was listed
            }
            return FileChannel.open(p, o);
        };
        try (FileChannel own = FileChannel.open(file, StandardOpenOption.READ);
                ChannelReopener reopener = new ChannelReopener(file, Set.of(StandardOpenOption.READ), closesFirst);
                FileChannel again = reopener.reopen()) {
            assertTrue(vanished.get() >= 2, "one descriptor vanished, another was opened: " + vanished.get());
            ByteBuffer dst = ByteBuffer.allocate(3);
            assertEquals(3, again.read(dst, 0));
            assertArrayEquals(new byte[] {7, 8, 9}, dst.array());
            assertTrue(own.isOpen());
        }
    }

    @Test
    void storeKeepsWorkingAfterAnInterruptClosedItsChannel() throws Exception {
        Path file = dir.resolve("a.bin");
        try (FileChannelStore store = FileChannelStore.open(file, RW)) {
            store.write(new ByteBuffer[] {ByteBuffer.wrap(new byte[] {1, 2, 3})}, 0);
            closeByInterrupt(store);
            ByteBuffer dst = ByteBuffer.allocate(3);
            assertEquals(3, store.read(dst, 0));
            assertArrayEquals(new byte[] {1, 2, 3}, dst.array());
            store.write(new ByteBuffer[] {ByteBuffer.wrap(new byte[] {4}), ByteBuffer.wrap(new byte[] {5})}, 3);
            store.force(true);
            assertEquals(5, store.size());
        }
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, Files.readAllBytes(file));
    }

    @Test
    void storeReopensTheSameFileAfterItWasRenamedAndItsNameReused() throws Exception {
        Path file = dir.resolve("b.bin");
        Path moved = dir.resolve("b-moved.bin");
        try (FileChannelStore store = FileChannelStore.open(file, RW)) {
            store.write(new ByteBuffer[] {ByteBuffer.wrap(new byte[] {7, 7})}, 0);
            Files.move(file, moved);
            Files.write(file, new byte[] {9, 9, 9, 9});
            closeByInterrupt(store);
            store.write(new ByteBuffer[] {ByteBuffer.wrap(new byte[] {8})}, 2);
            assertEquals(3, store.size(), "the store reopened the renamed file, not the new one of that name");
        }
        assertArrayEquals(new byte[] {7, 7, 8}, Files.readAllBytes(moved));
        assertArrayEquals(new byte[] {9, 9, 9, 9}, Files.readAllBytes(file), "the new file was not touched");
    }

    @Test
    void storeReopensAnUnlinkedFileThroughItsAnchor() throws Exception {
        Path file = dir.resolve("c.bin");
        try (FileChannelStore store = FileChannelStore.open(file, RW)) {
            store.write(new ByteBuffer[] {ByteBuffer.wrap(new byte[] {3, 1, 4})}, 0);
            Files.delete(file);
            closeByInterrupt(store);
            ByteBuffer dst = ByteBuffer.allocate(3);
            assertEquals(3, store.read(dst, 0));
            assertArrayEquals(new byte[] {3, 1, 4}, dst.array());
        }
        assertTrue(!Files.exists(file), "nothing was re-created under the old name");
    }

    /** A store whose channel cuts off its first I/O after completing it; its reopener opens real channels. */
    private static FileChannelStore cutOffOnce(Path file, CutOffChannel[] channel) throws Exception {
        channel[0] = new CutOffChannel(FileChannel.open(file, RW));
        return new FileChannelStore(channel[0], new ChannelReopener(file, RW));
    }

    /**
     * A read cut off by an interrupt after it completed (the JDK moved the buffer past the bytes, then threw) is
     * retried into the same bytes: retried from where the buffer was left, the tail page of a file read its
     * bytes a second time past the end of the file, where the page must hold zeros.
     */
    @Test
    void aReadCutOffAfterItCompletedIsReadAgainIntoTheSameBytes() throws Exception {
        Path file = dir.resolve("cut-read.bin");
        Files.write(file, new byte[] {1, 2, 3, 4, 5});
        CutOffChannel[] channel = new CutOffChannel[1];
        try (FileChannelStore store = cutOffOnce(file, channel)) {
            ByteBuffer page = ByteBuffer.allocateDirect(16);
            page.position(2); // a view that starts inside a larger buffer
            int n = store.read(page, 0);
            assertTrue(channel[0].cut(), "the first read was cut off");
            assertTrue(Thread.interrupted(), "the interrupt is kept for the caller");
            assertEquals(5, n, "the retry reports the bytes of the file");
            assertEquals(7, page.position(), "the buffer moved past the file's bytes once");
            byte[] got = new byte[16];
            page.get(0, got);
            assertArrayEquals(new byte[] {0, 0, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0}, got);
        } finally {
            Thread.interrupted();
        }
    }

    /** A write cut off after it completed is written again whole, single buffer or gathering. */
    @Test
    void aWriteCutOffAfterItCompletedIsWrittenAgainWhole() throws Exception {
        for (int buffers : new int[] {1, 3}) {
            Path file = dir.resolve("cut-write-" + buffers + ".bin");
            Files.write(file, new byte[8]);
            CutOffChannel[] channel = new CutOffChannel[1];
            ByteBuffer[] srcs = new ByteBuffer[buffers];
            for (int i = 0; i < buffers; i++) {
                srcs[i] = ByteBuffer.wrap(new byte[] {9, (byte) (10 + i), (byte) (20 + i)});
                srcs[i].position(1); // only the last two bytes of each are written
            }
            try (FileChannelStore store = cutOffOnce(file, channel)) {
                long n = store.write(srcs, 4);
                assertTrue(channel[0].cut(), "the first write was cut off");
                assertTrue(Thread.interrupted(), "the interrupt is kept for the caller");
                assertEquals(2L * buffers, n, buffers + " buffer(s): the retry reports every byte written");
                for (ByteBuffer b : srcs) {
                    assertEquals(0, b.remaining(), "every buffer is consumed");
                }
            } finally {
                Thread.interrupted();
            }
            byte[] expected = new byte[Math.max(8, 4 + 2 * buffers)];
            for (int i = 0; i < buffers; i++) {
                expected[4 + 2 * i] = (byte) (10 + i);
                expected[5 + 2 * i] = (byte) (20 + i);
            }
            assertArrayEquals(expected, Files.readAllBytes(file), buffers + " buffer(s)");
        }
    }

    @Test
    void aClosedStoreStaysClosed() throws Exception {
        FileChannelStore store = FileChannelStore.open(dir.resolve("d.bin"), RW);
        store.close();
        assertThrows(ClosedChannelException.class, () -> store.read(ByteBuffer.allocate(1), 0));
    }
}
