package org.pagecache.offheap.write;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.Pipe;
import org.jctools.queues.atomic.MpmcAtomicArrayQueue;

/**
 * The kernel copy ({@value MappedSourceCopy#KERNEL_COPY}): the mapped slice is written to a non-blocking pipe,
 * where {@code write(2)} reads it with {@code copy_from_user} (which fails synchronously with {@code EFAULT} or a
 * short count when a page cannot be read), and read back into the destination. The JVM never touches the mapped
 * memory, so no asynchronous {@link InternalError} can exist. Two system calls per chunk of
 * {@value #PIPE_CHUNK} bytes, about 1 µs. Pipes are pooled and reused only when left empty.
 *
 * <p>NIO channels close themselves when the calling thread is interrupted: the copy clears the interrupt for its
 * duration, restarts on a fresh pipe if one closed anyway, and restores the interrupt afterwards, so an interrupt
 * is never mistaken for a source fault and never lost.
 */
final class KernelPipeCopy {

    /** Bytes per write into the pipe: at most PIPE_BUF (4096 on Linux), so an empty pipe always takes it whole. */
    static final int PIPE_CHUNK = 4096;
    /** How many times the kernel copy restarts after an interrupt closed its pipe. */
    static final int MAX_INTERRUPTED_ATTEMPTS = 16;
    /** How many empty reads of bytes already in the pipe are tolerated before the pipe is declared broken. */
    private static final int MAX_EMPTY_READS = 1024;

    private KernelPipeCopy() {}

    /**
     * Copies {@code len} bytes from {@code src} at {@code srcOffset} into {@code dst} at {@code dstOffset} through
     * a pipe; the arguments were checked by {@link MappedSourceCopy}.
     *
     * @return {@code true} when {@code dst} holds the source's bytes, {@code false} when the source faulted or was
     *     closed
     * @throws IOException if a pipe cannot be opened or read back, or interrupts closed it
     *     {@value #MAX_INTERRUPTED_ATTEMPTS} times in a row
     */
    static boolean copy(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long len)
            throws IOException {
        if (!src.scope().isAlive()) {
            return false;
        }
        // NIO channels close themselves when the calling thread is interrupted; clear the interrupt for the copy
        // and restore it afterwards, so that an interrupt is never mistaken for a source fault.
        boolean interrupted = Thread.interrupted();
        try {
            for (int attempt = 0; ; attempt++) {
                try {
                    return copyOnce(src, srcOffset, dst, dstOffset, len);
                } catch (ClosedByInterruptException interruptedCopy) {
                    interrupted |= Thread.interrupted();
                    if (attempt + 1 >= MAX_INTERRUPTED_ATTEMPTS) {
                        throw new IOException("kernel copy interrupted " + (attempt + 1) + " times", interruptedCopy);
                    }
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static boolean copyOnce(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long len)
            throws IOException {
        KernelPipe pipe = KernelPipe.acquire();
        boolean clean = false;
        try {
            for (long done = 0; done < len; ) {
                int chunk = (int) Math.min(PIPE_CHUNK, len - done);
                ByteBuffer from = src.asSlice(srcOffset + done, chunk).asByteBuffer();
                int written;
                try {
                    written = pipe.sink.write(from);
                } catch (ClosedByInterruptException interruptedCopy) {
                    throw interruptedCopy;
                } catch (IOException fault) {
                    // EFAULT ("Bad address"): the kernel hit a page it could not read
                    return false;
                }
                if (written != chunk) {
                    // an empty pipe takes up to PIPE_BUF bytes whole: a short count means the source faulted
                    return false;
                }
                ByteBuffer to = dst.asSlice(dstOffset + done, chunk).asByteBuffer();
                int emptyReads = 0;
                while (to.hasRemaining()) {
                    int read = pipe.source.read(to);
                    if (read <= 0 && ++emptyReads > MAX_EMPTY_READS) {
                        throw new IOException(
                                "pipe returned " + to.position() + " of " + chunk + " bytes written into it");
                    }
                }
                done += chunk;
            }
            clean = true;
            return true;
        } catch (ClosedByInterruptException interruptedCopy) {
            throw interruptedCopy;
        } catch (IOException readBack) {
            throw new IOException("reading back from the kernel-copy pipe failed", readBack);
        } catch (IllegalStateException closed) {
            return false;
        } finally {
            if (clean) {
                pipe.release();
            } else {
                pipe.close(); // may hold part of a faulted write: never reuse it
            }
        }
    }

    /** A non-blocking pipe used to let the kernel copy bytes; pooled, reused only when left empty. */
    private static final class KernelPipe {
        private static final MpmcAtomicArrayQueue<KernelPipe> POOL =
                new MpmcAtomicArrayQueue<>(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()));

        final Pipe.SinkChannel sink;
        final Pipe.SourceChannel source;

        private KernelPipe(Pipe pipe) throws IOException {
            this.sink = pipe.sink();
            this.source = pipe.source();
            sink.configureBlocking(false);
            source.configureBlocking(false);
        }

        static KernelPipe acquire() throws IOException {
            KernelPipe pipe = POOL.poll();
            if (pipe != null) {
                return pipe;
            }
            try {
                return new KernelPipe(Pipe.open());
            } catch (IOException e) {
                throw new IOException("cannot open a pipe for the kernel copy", e);
            }
        }

        void release() {
            if (!POOL.offer(this)) {
                close();
            }
        }

        void close() {
            try {
                sink.close();
            } catch (IOException ignored) {
                // nothing was promised about this pipe
            }
            try {
                source.close();
            } catch (IOException ignored) {
                // as above
            }
        }
    }
}
