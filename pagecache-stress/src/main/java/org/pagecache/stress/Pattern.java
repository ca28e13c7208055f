package org.pagecache.stress;

/**
 * The deterministic content every byte of the run is drawn from: a <em>stream</em> (a source file, a heap
 * buffer, or the initial content of a cached file) and an offset in it give one byte, never zero. So a zero
 * byte anywhere in a cached file is corruption, and content from the wrong stream or the wrong offset (a lost
 * or misplaced write) differs from the expected bytes at all but about one in 255 positions.
 *
 * <p>Bytes are generated eight at a time from a SplitMix64 hash of the stream and the offset's 8-byte block.
 */
final class Pattern {

    private static final long KIND_SHIFT = 40;
    private static final long KIND_INITIAL = 1;
    private static final long KIND_SOURCE = 2;
    private static final long KIND_HEAP = 3;
    private static final int BYTE_MASK = 0xFF;
    /** What a zero byte of the hash becomes, so that no stream contains a zero byte. */
    private static final int ZERO_REPLACEMENT = 0xA5;

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private Pattern() {}

    /** @return the stream of the initial content of cached file {@code file} (offset = position in the file) */
    static long initialStream(int file) {
        return (KIND_INITIAL << KIND_SHIFT) | file;
    }

    /** @return the stream of mapped source file {@code source} (offset = position in the source file) */
    static long sourceStream(int source) {
        return (KIND_SOURCE << KIND_SHIFT) | source;
    }

    /** @return the stream of heap buffer {@code buffer} */
    static long heapStream(int buffer) {
        return (KIND_HEAP << KIND_SHIFT) | buffer;
    }

    /** @return a short name of a stream for failure messages */
    static String describe(long stream) {
        long kind = stream >>> KIND_SHIFT;
        long index = stream & ((1L << KIND_SHIFT) - 1);
        if (kind == KIND_INITIAL) {
            return "initial(file " + index + ")";
        }
        if (kind == KIND_SOURCE) {
            return "source " + index;
        }
        if (kind == KIND_HEAP) {
            return "heap " + index;
        }
        return "stream " + Long.toHexString(stream);
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** @return the byte of {@code stream} at {@code offset} (never zero) */
    static byte at(long stream, long offset) {
        long h = mix(mix(stream * GOLDEN) + (offset >>> 3));
        return nonZero((int) (h >>> ((offset & 7) << 3)) & BYTE_MASK);
    }

    /** Fills {@code dst[off, off + len)} with bytes {@code [offset, offset + len)} of {@code stream}. */
    static void fill(byte[] dst, int off, int len, long stream, long offset) {
        long streamHash = mix(stream * GOLDEN);
        int i = 0;
        while (i < len) {
            long o = offset + i;
            long h = mix(streamHash + (o >>> 3));
            int start = (int) (o & 7);
            int n = Math.min(8 - start, len - i);
            for (int j = 0; j < n; j++) {
                dst[off + i + j] = nonZero((int) (h >>> ((start + j) << 3)) & BYTE_MASK);
            }
            i += n;
        }
    }

    private static byte nonZero(int b) {
        return (byte) (b == 0 ? ZERO_REPLACEMENT : b);
    }
}
