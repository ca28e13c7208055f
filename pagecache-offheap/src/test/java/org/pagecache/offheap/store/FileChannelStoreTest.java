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

    @Test
    void aClosedStoreStaysClosed() throws Exception {
        FileChannelStore store = FileChannelStore.open(dir.resolve("d.bin"), RW);
        store.close();
        assertThrows(ClosedChannelException.class, () -> store.read(ByteBuffer.allocate(1), 0));
    }
}
