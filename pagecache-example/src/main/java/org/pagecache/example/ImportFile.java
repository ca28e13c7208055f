package org.pagecache.example;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * Writes an input file for {@link RecordTable#importRecords}: records laid out exactly like the slots of a table
 * with the same {@code valueSize} (flags, value length, key, value, zero padding; little-endian), one after the
 * other. Plain {@link FileChannel} I/O: this is the producer side, outside the cache.
 */
public final class ImportFile implements AutoCloseable {
    private final FileChannel channel;
    private final int valueSize;
    private final int recordSize;
    private final ByteBuffer buffer;
    private long records;

    private ImportFile(FileChannel channel, int valueSize) {
        this.channel = channel;
        this.valueSize = valueSize;
        this.recordSize = RecordTable.slotSize(valueSize);
        this.buffer = ByteBuffer.allocate(Math.max(1, (64 << 10) / recordSize) * recordSize)
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * @param path      the file to write; replaced if it exists
     * @param valueSize the {@link RecordTable#valueSize()} of the table it is for
     * @return a writer; close it to finish the file
     * @throws IOException if the file cannot be created
     */
    public static ImportFile create(Path path, int valueSize) throws IOException {
        Objects.requireNonNull(path, "path");
        if (valueSize < 1) {
            throw new IllegalArgumentException("valueSize " + valueSize + " is less than 1");
        }
        return new ImportFile(
                FileChannel.open(
                        path,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING),
                valueSize);
    }

    /**
     * Appends a record.
     *
     * @param key   the key
     * @param value at most {@code valueSize} bytes
     * @throws IOException if the file cannot be written
     */
    public void add(long key, byte[] value) throws IOException {
        Objects.requireNonNull(value, "value");
        if (value.length > valueSize) {
            throw new IllegalArgumentException(
                    "value of " + value.length + " bytes is longer than valueSize " + valueSize);
        }
        if (buffer.remaining() < recordSize) {
            drain();
        }
        int at = buffer.position();
        buffer.putInt(at + RecordLayout.SLOT_FLAGS, RecordLayout.LIVE)
                .putInt(at + RecordLayout.SLOT_LENGTH, value.length)
                .putLong(at + RecordLayout.SLOT_KEY, key)
                .put(at + RecordLayout.SLOT_HEADER, value)
                .put(
                        at + RecordLayout.SLOT_HEADER + value.length,
                        new byte[recordSize - RecordLayout.SLOT_HEADER - value.length])
                .position(at + recordSize);
        records++;
    }

    /** @return records added so far */
    public long records() {
        return records;
    }

    private void drain() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        buffer.clear();
    }

    /** Writes what is buffered and closes the file. */
    @Override
    public void close() throws IOException {
        try (channel) {
            drain();
        }
    }
}
