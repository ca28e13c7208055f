package org.pagecache.offheap.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.MappedView;
import org.pagecache.api.PageCache;
import org.pagecache.api.PagedFile;
import org.pagecache.api.WriteSource;
import org.pagecache.offheap.OffHeapPageCache;

/**
 * Every public method of {@link PageCache}, {@link PagedFile}, {@link MappedView}, {@link WriteSource} and the
 * cache builder, with each kind of invalid argument or state: the call must throw the documented exception, naming
 * the argument where there is one, and change nothing: the file's size and bytes (through the cache and on disk),
 * its dirty pages and the caller's buffer stay as they were. {@code docs/reliability.md} has the table.
 */
class BadInputTest {

    private static final int PAGE = 4096;
    private static final int CONTENT = 2 * PAGE + 1234;

    @TempDir
    Path root;

    /** A call on the fixture. */
    @FunctionalInterface
    interface Call {
        Object run(Fixture fx) throws Exception;
    }

    /**
     * @param method   the method, as in the docs table
     * @param input    the bad argument or state
     * @param call     the call
     * @param expected exception types accepted (the first is the documented one)
     * @param names    text the message must contain (the argument's name), or {@code null}
     */
    record Row(String method, String input, Call call, List<Class<?>> expected, String names) {}

    /** A cache with a file of known content, synced, and every kind of handle and view on it. */
    static final class Fixture implements AutoCloseable {
        final Path dir;
        final Path file;
        final Path deadFile;
        final byte[] content;
        final byte[] deadContent;
        final PageCache cache;
        final PagedFile f;
        final PagedFile ro;
        final PagedFile closed;
        final PageCache deadCache;
        final PagedFile dead;
        final MappedView view;
        final MappedView closedView;
        final MappedView viewOfClosed;
        final MappedView viewOfGone;
        final ByteBuffer buffer = ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});

        Fixture(Path dir) throws IOException {
            this.dir = Files.createDirectories(dir);
            this.file = dir.resolve("data.bin");
            this.deadFile = dir.resolve("dead.bin");
            Random r = new Random(dir.hashCode());
            content = new byte[CONTENT];
            r.nextBytes(content);
            deadContent = new byte[PAGE + 17];
            r.nextBytes(deadContent);
            cache = cache();
            f = cache.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            assertEquals(CONTENT, f.write(0, WriteSource.of(content)));
            f.sync();
            ro = cache.open(file, StandardOpenOption.READ);
            closed = cache.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            PagedFile doomed = cache.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            viewOfClosed = doomed.map(0, 100);
            doomed.close();
            closed.close();
            PagedFile gone = cache.open(
                    dir.resolve("gone.bin"),
                    StandardOpenOption.CREATE,
                    StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            assertEquals(200, gone.write(0, WriteSource.of(new byte[200])));
            viewOfGone = gone.map(0, 100);
            gone.close();
            view = f.map(PAGE - 10, 100);
            closedView = f.map(0, 100);
            closedView.close();
            deadCache = cache();
            dead = deadCache.open(
                    deadFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            assertEquals(deadContent.length, dead.write(0, WriteSource.of(deadContent)));
            deadCache.close();
        }

        static PageCache cache() {
            return OffHeapPageCache.builder()
                    .pageSize(PAGE)
                    .capacity(16L * PAGE)
                    .tempPages(2)
                    .frameWaitTimeout(Duration.ofSeconds(5))
                    .build();
        }

        /** Checks that nothing observable changed. */
        void assertUnchanged(String what) throws IOException {
            assertArrayEquals(content, Files.readAllBytes(file), what + ": the file on disk changed");
            assertArrayEquals(deadContent, Files.readAllBytes(deadFile), what + ": the closed cache's file changed");
            assertEquals(CONTENT, f.size(), what + ": the size changed");
            byte[] through = new byte[CONTENT];
            ByteBuffer dst = ByteBuffer.wrap(through);
            while (dst.hasRemaining() && f.read(dst.position(), dst) >= 0) {
                // until full
            }
            assertArrayEquals(content, through, what + ": the bytes seen through the cache changed");
            assertEquals(0, cache.stats().dirtyFrames(), what + ": a page was dirtied");
            assertEquals(0, buffer.position(), what + ": the caller's buffer position moved");
            assertEquals(8, buffer.limit(), what + ": the caller's buffer limit moved");
            assertArrayEquals(
                    new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, buffer.array(), what + ": the caller's buffer changed");
            assertFalse(Files.exists(dir.resolve("missing.bin")), what + ": a file was created");
        }

        @Override
        public void close() throws IOException {
            view.close();
            cache.close();
        }
    }

    private static Row row(String method, String input, String names, Call call, Class<?>... expected) {
        return new Row(method, input, call, List.of(expected), names);
    }

    private static final Class<IllegalArgumentException> IAE = IllegalArgumentException.class;
    private static final Class<NullPointerException> NPE = NullPointerException.class;
    private static final Class<ClosedChannelException> CLOSED = ClosedChannelException.class;
    private static final Class<IllegalStateException> ISE = IllegalStateException.class;
    private static final Class<NonWritableChannelException> READ_ONLY = NonWritableChannelException.class;

    static List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        WriteSource one = WriteSource.of(new byte[] {42});
        WriteSource page = WriteSource.of(new byte[PAGE]);
        // ---- PageCache
        rows.add(row("PageCache.open", "file null", "file", fx -> fx.cache.open(null), NPE));
        rows.add(row(
                "PageCache.open",
                "options array null",
                "options",
                fx -> fx.cache.open(fx.file, (OpenOption[]) null),
                NPE));
        rows.add(row(
                "PageCache.open",
                "an option null",
                "option",
                fx -> fx.cache.open(fx.file, StandardOpenOption.READ, null),
                NPE));
        rows.add(row(
                "PageCache.open",
                "APPEND",
                "APPEND",
                fx -> fx.cache.open(
                        fx.file, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.APPEND),
                IAE));
        rows.add(row(
                "PageCache.open",
                "DELETE_ON_CLOSE",
                "DELETE_ON_CLOSE",
                fx -> fx.cache.open(fx.file, StandardOpenOption.READ, StandardOpenOption.DELETE_ON_CLOSE),
                IAE));
        rows.add(row(
                "PageCache.open",
                "missing file, no CREATE",
                null,
                fx -> fx.cache.open(fx.dir.resolve("missing.bin"), StandardOpenOption.READ, StandardOpenOption.WRITE),
                NoSuchFileException.class));
        rows.add(row(
                "PageCache.open",
                "closed cache",
                null,
                fx -> fx.deadCache.open(fx.file, StandardOpenOption.READ),
                CLOSED));
        // ---- builder
        rows.add(row(
                "builder.pageSize",
                "0",
                "pageSize",
                fx -> OffHeapPageCache.builder().pageSize(0).build(),
                IAE));
        rows.add(row(
                "builder.pageSize",
                "-4096",
                "pageSize",
                fx -> OffHeapPageCache.builder().pageSize(-4096).build(),
                IAE));
        rows.add(row(
                "builder.pageSize",
                "5000 (not a power of two)",
                "pageSize",
                fx -> OffHeapPageCache.builder().pageSize(5000).build(),
                IAE));
        rows.add(row(
                "builder.pageSize",
                "2048 (below 4 KiB)",
                "pageSize",
                fx -> OffHeapPageCache.builder().pageSize(2048).build(),
                IAE));
        rows.add(row(
                "builder.pageSize",
                "128 KiB (above 64 KiB)",
                "pageSize",
                fx -> OffHeapPageCache.builder().pageSize(128 * 1024).build(),
                IAE));
        rows.add(row(
                "builder.capacity",
                "0",
                "capacity",
                fx -> OffHeapPageCache.builder().pageSize(PAGE).capacity(0).build(),
                IAE));
        rows.add(row(
                "builder.capacity",
                "-1",
                "capacity",
                fx -> OffHeapPageCache.builder().pageSize(PAGE).capacity(-1).build(),
                IAE));
        rows.add(row(
                "builder.capacity",
                "less than one page",
                "capacity",
                fx -> OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(PAGE - 1)
                        .build(),
                IAE));
        rows.add(row(
                "builder.capacity",
                "Long.MAX_VALUE",
                "capacity",
                fx -> OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(Long.MAX_VALUE)
                        .build(),
                IAE,
                OutOfMemoryError.class));
        rows.add(row(
                "builder.tempPages",
                "-1",
                "tempPages",
                fx -> OffHeapPageCache.builder()
                        .pageSize(PAGE)
                        .capacity(16L * PAGE)
                        .tempPages(-1)
                        .build(),
                IAE));
        rows.add(row(
                "builder.storeFactory",
                "null",
                "factory",
                fx -> OffHeapPageCache.builder().storeFactory(null).build(),
                NPE));
        rows.add(row(
                "builder.frameWaitTimeout",
                "null",
                "timeout",
                fx -> OffHeapPageCache.builder().frameWaitTimeout(null).build(),
                NPE));
        rows.add(row(
                "builder.frameWaitTimeout",
                "negative",
                "frameWaitTimeout",
                fx -> OffHeapPageCache.builder()
                        .frameWaitTimeout(Duration.ofMillis(-1))
                        .build(),
                IAE));
        // ---- PagedFile.read
        rows.add(row("PagedFile.read", "position -1", "position", fx -> fx.f.read(-1, ByteBuffer.allocate(8)), IAE));
        rows.add(row(
                "PagedFile.read",
                "position Long.MIN_VALUE",
                "position",
                fx -> fx.f.read(Long.MIN_VALUE, ByteBuffer.allocate(8)),
                IAE));
        rows.add(row("PagedFile.read", "dst null", "dst", fx -> fx.f.read(0, null), NPE));
        rows.add(row(
                "PagedFile.read",
                "dst read-only",
                "dst",
                fx -> fx.f.read(0, ByteBuffer.allocate(8).asReadOnlyBuffer()),
                IAE));
        rows.add(row("PagedFile.read", "closed file", null, fx -> fx.closed.read(0, ByteBuffer.allocate(8)), CLOSED));
        rows.add(row(
                "PagedFile.read",
                "file of a closed cache",
                null,
                fx -> fx.dead.read(0, ByteBuffer.allocate(8)),
                CLOSED));
        // ---- PagedFile.write(long, WriteSource)
        rows.add(row("PagedFile.write(WriteSource)", "position -1", "position", fx -> fx.f.write(-1, one), IAE));
        rows.add(row(
                "PagedFile.write(WriteSource)",
                "position Long.MIN_VALUE",
                "position",
                fx -> fx.f.write(Long.MIN_VALUE, one),
                IAE));
        rows.add(row(
                "PagedFile.write(WriteSource)",
                "position + length overflows",
                "position",
                fx -> fx.f.write(Long.MAX_VALUE - 100, page),
                IAE));
        rows.add(row(
                "PagedFile.write(WriteSource)",
                "position Long.MAX_VALUE",
                "position",
                fx -> fx.f.write(Long.MAX_VALUE, one),
                IAE));
        rows.add(row(
                "PagedFile.write(WriteSource)",
                "position 2^62 (past any file size)",
                "position",
                fx -> fx.f.write(1L << 62, one),
                IAE,
                IOException.class));
        rows.add(row("PagedFile.write(WriteSource)", "src null", "src", fx -> fx.f.write(0, (WriteSource) null), NPE));
        rows.add(row("PagedFile.write(WriteSource)", "read-only file", null, fx -> fx.ro.write(0, one), READ_ONLY));
        rows.add(row("PagedFile.write(WriteSource)", "closed file", null, fx -> fx.closed.write(0, one), CLOSED));
        rows.add(row(
                "PagedFile.write(WriteSource)", "file of a closed cache", null, fx -> fx.dead.write(0, one), CLOSED));
        rows.add(row(
                "PagedFile.write(WriteSource)",
                "closed view as source",
                null,
                fx -> fx.f.write(0, fx.closedView),
                ISE));
        rows.add(row(
                "PagedFile.write(WriteSource)",
                "view from a closed handle (file still open) as source",
                null,
                fx -> fx.f.write(0, fx.viewOfClosed),
                CLOSED,
                org.pagecache.api.SourceFaultException.class));
        rows.add(row(
                "PagedFile.write(WriteSource)",
                "view of a file closed in the cache as source",
                null,
                fx -> fx.f.write(0, fx.viewOfGone),
                CLOSED,
                org.pagecache.api.SourceFaultException.class));
        // ---- PagedFile.write(long, ByteBuffer)
        rows.add(row("PagedFile.write(ByteBuffer)", "position -1", "position", fx -> fx.f.write(-1, fx.buffer), IAE));
        rows.add(row(
                "PagedFile.write(ByteBuffer)",
                "position + length overflows",
                "position",
                fx -> fx.f.write(Long.MAX_VALUE - 3, fx.buffer),
                IAE));
        rows.add(row("PagedFile.write(ByteBuffer)", "src null", "src", fx -> fx.f.write(0, (ByteBuffer) null), NPE));
        rows.add(
                row("PagedFile.write(ByteBuffer)", "read-only file", null, fx -> fx.ro.write(0, fx.buffer), READ_ONLY));
        rows.add(row("PagedFile.write(ByteBuffer)", "closed file", null, fx -> fx.closed.write(0, fx.buffer), CLOSED));
        rows.add(row(
                "PagedFile.write(ByteBuffer)",
                "file of a closed cache",
                null,
                fx -> fx.dead.write(0, fx.buffer),
                CLOSED));
        // ---- PagedFile.map
        rows.add(row("PagedFile.map", "position -1", "position", fx -> fx.f.map(-1, 10), IAE));
        rows.add(row("PagedFile.map", "length -1", "length", fx -> fx.f.map(0, -1), IAE));
        rows.add(row(
                "PagedFile.map", "position + length overflows", "length", fx -> fx.f.map(Long.MAX_VALUE - 5, 10), IAE));
        rows.add(row("PagedFile.map", "closed file", null, fx -> fx.closed.map(0, 10), CLOSED));
        rows.add(row("PagedFile.map", "file of a closed cache", null, fx -> fx.dead.map(0, 10), CLOSED));
        // ---- PagedFile.truncate
        rows.add(row(
                "PagedFile.truncate",
                "size -1",
                "size",
                fx -> {
                    fx.f.truncate(-1);
                    return null;
                },
                IAE));
        rows.add(row(
                "PagedFile.truncate",
                "size Long.MIN_VALUE",
                "size",
                fx -> {
                    fx.f.truncate(Long.MIN_VALUE);
                    return null;
                },
                IAE));
        rows.add(row(
                "PagedFile.truncate",
                "read-only file",
                null,
                fx -> {
                    fx.ro.truncate(0);
                    return null;
                },
                READ_ONLY));
        rows.add(row(
                "PagedFile.truncate",
                "closed file",
                null,
                fx -> {
                    fx.closed.truncate(0);
                    return null;
                },
                CLOSED));
        rows.add(row(
                "PagedFile.truncate",
                "file of a closed cache",
                null,
                fx -> {
                    fx.dead.truncate(0);
                    return null;
                },
                CLOSED));
        // ---- PagedFile.size / flush / sync
        for (String state : new String[] {"closed file", "file of a closed cache"}) {
            rows.add(row("PagedFile.size", state, null, fx -> pick(fx, state).size(), CLOSED));
            rows.add(row(
                    "PagedFile.flush",
                    state,
                    null,
                    fx -> {
                        pick(fx, state).flush();
                        return null;
                    },
                    CLOSED));
            rows.add(row(
                    "PagedFile.sync",
                    state,
                    null,
                    fx -> {
                        pick(fx, state).sync();
                        return null;
                    },
                    CLOSED));
        }
        // ---- MappedView
        rows.add(row("MappedView.read", "offset -1", "offset", fx -> fx.view.read(-1, ByteBuffer.allocate(8)), IAE));
        rows.add(row("MappedView.read", "dst null", "dst", fx -> fx.view.read(0, null), NPE));
        rows.add(row(
                "MappedView.read",
                "dst read-only",
                "dst",
                fx -> fx.view.read(0, ByteBuffer.allocate(8).asReadOnlyBuffer()),
                IAE));
        rows.add(row("MappedView.read", "closed view", null, fx -> fx.closedView.read(0, ByteBuffer.allocate(8)), ISE));
        rows.add(row("MappedView.position", "closed view", null, fx -> fx.closedView.position(), ISE));
        rows.add(row("MappedView.length", "closed view", null, fx -> fx.closedView.length(), ISE));
        rows.add(row(
                "MappedView.read",
                "view from a closed handle (file still open)",
                null,
                fx -> fx.viewOfClosed.read(0, ByteBuffer.allocate(8)),
                CLOSED));
        rows.add(row(
                "MappedView.read",
                "view of a file closed in the cache",
                null,
                fx -> fx.viewOfGone.read(0, ByteBuffer.allocate(8)),
                CLOSED));
        // ---- WriteSource
        rows.add(row("WriteSource.of(byte[])", "null", "bytes", fx -> WriteSource.of((byte[]) null), NPE));
        rows.add(row("WriteSource.of(byte[],int,int)", "bytes null", "bytes", fx -> WriteSource.of(null, 0, 0), NPE));
        rows.add(row(
                "WriteSource.of(byte[],int,int)",
                "offset -1",
                "offset",
                fx -> WriteSource.of(new byte[10], -1, 1),
                IAE));
        rows.add(row(
                "WriteSource.of(byte[],int,int)",
                "offset past the end",
                "offset",
                fx -> WriteSource.of(new byte[10], 11, 0),
                IAE));
        rows.add(row(
                "WriteSource.of(byte[],int,int)",
                "length -1",
                "length",
                fx -> WriteSource.of(new byte[10], 0, -1),
                IAE));
        rows.add(row(
                "WriteSource.of(byte[],int,int)",
                "length past the end",
                "length",
                fx -> WriteSource.of(new byte[10], 5, 6),
                IAE));
        rows.add(row(
                "WriteSource.of(byte[],int,int)",
                "offset + length overflows",
                "length",
                fx -> WriteSource.of(new byte[10], 1, Integer.MAX_VALUE),
                IAE));
        rows.add(row("WriteSource.of(ByteBuffer)", "null", "buffer", fx -> WriteSource.of((ByteBuffer) null), NPE));
        rows.add(row(
                "WriteSource.of(MemorySegment)", "null", "segment", fx -> WriteSource.of((MemorySegment) null), NPE));
        return rows;
    }

    private static PagedFile pick(Fixture fx, String state) {
        return state.startsWith("closed") ? fx.closed : fx.dead;
    }

    @TestFactory
    Stream<DynamicTest> everyBadInputGetsAClearExceptionAndChangesNothing() {
        List<Row> rows = rows();
        return rows.stream().map(row -> DynamicTest.dynamicTest(row.method() + ": " + row.input(), () -> check(row)));
    }

    private void check(Row row) throws Exception {
        String what = row.method() + " with " + row.input();
        Path dir = root.resolve(Integer.toHexString(what.hashCode()));
        try (Fixture fx = new Fixture(dir)) {
            Throwable thrown = null;
            Object returned = null;
            try {
                returned = row.call().run(fx);
            } catch (Throwable t) {
                thrown = t;
            }
            if (returned instanceof AutoCloseable c) {
                c.close();
            }
            if (thrown == null) {
                fail(what + ": expected " + row.expected().getFirst().getSimpleName() + " but the call returned "
                        + returned);
            }
            Throwable t = thrown;
            if (row.expected().stream().noneMatch(c -> c.isInstance(t))) {
                throw new AssertionError(
                        what + ": expected " + row.expected().getFirst().getName() + " but got "
                                + t.getClass().getName(),
                        t);
            }
            if (row.names() != null) {
                assertTrue(
                        t.getMessage() != null && t.getMessage().contains(row.names()),
                        what + ": the message \"" + t.getMessage() + "\" does not name the argument \"" + row.names()
                                + "\"");
            }
            fx.assertUnchanged(what);
            Figures.report(
                    "badInput",
                    "| `" + row.method() + "` | " + row.input() + " | `"
                            + t.getClass().getSimpleName() + "` | "
                            + (t.getMessage() == null ? "" : t.getMessage().replace('|', '/')) + " |");
        }
    }

    /** Operations that are valid at the edges: they succeed and change nothing. */
    @TestFactory
    Stream<DynamicTest> edgeCasesThatAreNotErrorsChangeNothing() {
        List<Row> rows = new ArrayList<>();
        rows.add(row(
                "PagedFile.read",
                "position at the end",
                null,
                fx -> assertReturns(-1, fx.f.read(CONTENT, ByteBuffer.allocate(8)))));
        rows.add(row(
                "PagedFile.read",
                "position Long.MAX_VALUE",
                null,
                fx -> assertReturns(-1, fx.f.read(Long.MAX_VALUE, ByteBuffer.allocate(8)))));
        rows.add(row(
                "PagedFile.read", "empty dst", null, fx -> assertReturns(0, fx.f.read(0, ByteBuffer.allocate(0)))));
        rows.add(row(
                "PagedFile.write(WriteSource)",
                "empty source",
                null,
                fx -> assertReturns(0L, fx.f.write(10, WriteSource.of(new byte[0])))));
        rows.add(row(
                "PagedFile.write(WriteSource)",
                "empty source past the end",
                null,
                fx -> assertReturns(0L, fx.f.write(CONTENT + 5000, WriteSource.of(new byte[0])))));
        rows.add(row("PagedFile.truncate", "size at or past the end", null, fx -> {
            fx.f.truncate(CONTENT);
            fx.f.truncate(CONTENT + 100_000);
            return null;
        }));
        rows.add(row("PagedFile.map", "length 0", null, fx -> {
            try (MappedView v = fx.f.map(5, 0)) {
                assertReturns(0L, v.length());
                assertReturns(-1, v.read(0, ByteBuffer.allocate(4)));
            }
            return null;
        }));
        rows.add(row("PagedFile.map", "past the end", null, fx -> {
            try (MappedView v = fx.f.map(CONTENT + 10, 100)) {
                assertReturns(-1, v.read(0, ByteBuffer.allocate(4)));
            }
            return null;
        }));
        rows.add(row(
                "MappedView.read",
                "offset past the view",
                null,
                fx -> assertReturns(-1, fx.view.read(100, ByteBuffer.allocate(4)))));
        rows.add(row("PagedFile.close", "twice", null, fx -> {
            fx.closed.close();
            fx.dead.close();
            return null;
        }));
        rows.add(row("MappedView.close", "twice", null, fx -> {
            fx.closedView.close();
            return null;
        }));
        rows.add(row("PageCache.close", "twice", null, fx -> {
            fx.deadCache.close();
            return null;
        }));
        rows.add(row("PagedFile.flush/sync", "read-only file", null, fx -> {
            fx.ro.flush();
            fx.ro.sync();
            return null;
        }));
        return rows.stream()
                .map(row -> DynamicTest.dynamicTest(row.method() + ": " + row.input(), () -> {
                    String what = row.method() + " with " + row.input();
                    try (Fixture fx = new Fixture(root.resolve("edge-" + Integer.toHexString(what.hashCode())))) {
                        row.call().run(fx);
                        fx.assertUnchanged(what);
                        Figures.report(
                                "badInput",
                                "| `" + row.method() + "` | " + row.input() + " | (accepted) | no change |");
                    }
                }));
    }

    private static Object assertReturns(Object expected, Object actual) {
        assertEquals(expected, actual);
        return null;
    }
}
