package org.pagecache.api;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Where {@link PagedFile#write(long, WriteSource)} copies from.
 *
 * <p>Sources differ in whether reading them can <em>fault</em>, and the write path treats them accordingly:
 * <table>
 *   <caption>source kinds</caption>
 *   <tr><th>source</th><th>can a read fault?</th><th>how {@code write} copies it</th></tr>
 *   <tr><td>{@code byte[]}, heap or direct (anonymous) {@link ByteBuffer}, heap or native {@link MemorySegment}</td>
 *       <td>no</td><td>directly into the page, under its lock</td></tr>
 *   <tr><td>{@link java.nio.MappedByteBuffer}, mapped {@link MemorySegment} ({@link MemorySegment#isMapped()})</td>
 *       <td>yes: the file may shrink or its disk fail</td><td>into a temporary page first, with a fault barrier,
 *       then into the page under its lock</td></tr>
 *   <tr><td>a native segment declared with {@link #of(MemorySegment, boolean) of(segment, true)}: memory mapped
 *       from a file by other means (an {@code mmap} through the FFM {@link java.lang.foreign.Linker}, another
 *       library's mapping wrapped as a segment)</td>
 *       <td>yes, as the caller says</td><td>as a mapped segment</td></tr>
 *   <tr><td>{@link MappedView}</td><td>yes: a page-in through a cache</td><td>directly from pinned resident
 *       pages when that needs no waiting, else through a temporary page</td></tr>
 * </table>
 *
 * <p>A native segment is not {@link MemorySegment#isMapped()} unless it came from {@code FileChannel.map}, so
 * the cache cannot tell memory mapped from a file through the {@code Linker} (which faults, with an
 * {@link InternalError}, when the file shrinks) from memory allocated by an {@link java.lang.foreign.Arena}
 * (which never does). {@link #of(MemorySegment)} treats such a segment as plain memory, copied directly under the
 * page lock; a caller whose native memory is a file mapping must say so with
 * {@link #of(MemorySegment, boolean) of(segment, true)}, or a truncation of that file lets an
 * {@code InternalError} escape {@code write} (docs/write-path.md, "Native mappings", has the cost of both).
 *
 * <p>A source is a description, not a cursor: the factories capture the range at the time of the call
 * ({@code position..limit} of a buffer) and writing never changes the buffer. A source must stay valid
 * (its arena open) while a write uses it; a freed source is reported as a fault, never a crash.
 *
 * <p>Other libraries' memory (an Agrona {@code DirectBuffer}, a Netty {@code ByteBuf}) can be a source by
 * implementing {@link #length()} and {@link #asSegment()}.
 */
public interface WriteSource {

    /**
     * {@return a source of all of {@code bytes}}
     *
     * @param bytes the whole array
     * @throws NullPointerException if {@code bytes} is null
     */
    static WriteSource of(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        return new SegmentSource(MemorySegment.ofArray(bytes));
    }

    /**
     * {@return a source of {@code bytes[offset, offset + length)}}
     *
     * @param bytes  the array
     * @param offset first byte; {@code 0 <= offset <= bytes.length}
     * @param length number of bytes; {@code 0 <= length <= bytes.length - offset}
     * @throws NullPointerException     if {@code bytes} is null
     * @throws IllegalArgumentException if {@code offset} or {@code length} is out of range, naming which
     */
    static WriteSource of(byte[] bytes, int offset, int length) {
        Objects.requireNonNull(bytes, "bytes");
        if (offset < 0 || offset > bytes.length) {
            throw new IllegalArgumentException(
                    "offset " + offset + " is outside the array of " + bytes.length + " bytes");
        }
        if (length < 0 || length > bytes.length - offset) {
            throw new IllegalArgumentException("length " + length + " at offset " + offset
                    + " runs outside the array of " + bytes.length + " bytes");
        }
        return new SegmentSource(MemorySegment.ofArray(bytes).asSlice(offset, length));
    }

    /**
     * {@return a source of the bytes between the buffer's position and limit at the time of the call}
     *
     * @param buffer a heap, direct or memory-mapped buffer
     * @throws NullPointerException if {@code buffer} is null
     */
    static WriteSource of(ByteBuffer buffer) {
        Objects.requireNonNull(buffer, "buffer");
        return new SegmentSource(MemorySegment.ofBuffer(buffer));
    }

    /**
     * {@return a source of the whole segment}
     *
     * @param segment any segment: heap, native, or mapped (for example {@code FileChannel.map(..., arena)})
     * @throws NullPointerException if {@code segment} is null
     */
    static WriteSource of(MemorySegment segment) {
        Objects.requireNonNull(segment, "segment");
        return new SegmentSource(segment);
    }

    /**
     * A source whose reads may fault, or not, as the caller knows: {@code of(segment, true)} for native memory
     * mapped from a file by other means than {@code FileChannel.map} (an {@code mmap} through the FFM
     * {@link java.lang.foreign.Linker}, another library's mapping), which the cache then copies through a
     * temporary page behind the fault barrier, as it does a mapped segment; {@code of(segment, false)} is
     * {@link #of(MemorySegment)} for a segment that is not {@link MemorySegment#isMapped() mapped}.
     *
     * @param segment  any segment
     * @param mayFault whether reading {@code segment} can fault (its memory is a file mapping)
     * @return a source of the whole segment
     * @throws NullPointerException     if {@code segment} is null
     * @throws IllegalArgumentException if {@code mayFault} is false for a segment that is
     *                                  {@link MemorySegment#isMapped() mapped}: a mapping can always fault
     */
    static WriteSource of(MemorySegment segment, boolean mayFault) {
        Objects.requireNonNull(segment, "segment");
        if (!mayFault && segment.isMapped()) {
            throw new IllegalArgumentException("mayFault is false for a mapped segment (isMapped()): a file mapping"
                    + " can always fault when its file shrinks");
        }
        return new SegmentSource(segment, mayFault);
    }

    /** {@return the number of bytes in this source} */
    long length();

    /**
     * The bytes of this source as a memory segment of {@link #length()} bytes, for sources that are plain
     * memory; {@code null} for sources that are not ({@link MappedView}). A write decides from the segment
     * whether the source can fault: a mapped segment ({@link MemorySegment#isMapped()}) can.
     *
     * @return the segment, or {@code null}
     */
    default MemorySegment asSegment() {
        return null;
    }

    /**
     * Whether reading {@link #asSegment()} can fault, so that a write must copy it through a temporary page
     * behind the fault barrier. The default is what the segment says ({@link MemorySegment#isMapped()}); a source
     * over native memory that is a file mapping the JVM does not know of must return {@code true}
     * (see {@link #of(MemorySegment, boolean)}). Not consulted for sources without a segment.
     *
     * @return {@code true} if a read of this source's segment may fault
     */
    default boolean mayFault() {
        MemorySegment segment = asSegment();
        return segment != null && segment.isMapped();
    }
}
