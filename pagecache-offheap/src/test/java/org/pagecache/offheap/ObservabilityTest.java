package org.pagecache.offheap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.PageCacheStats;
import org.pagecache.api.PagedFile;
import org.pagecache.api.SourceFaultException;
import org.pagecache.api.WriteSource;

class ObservabilityTest {
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    @Test
    void mxBeanIsRegisteredWithTheStatsAndUnregisteredOnClose() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name;
        try (OffHeapPageCache cache = OffHeapPageCache.builder()
                        .capacity(64 * PAGE)
                        .registerMXBean("test-cache")
                        .build();
                PagedFile f = cache.open(dir.resolve("m"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            name = cache.mxBeanName();
            assertEquals(new ObjectName("org.pagecache:type=PageCache,name=\"test-cache\""), name);
            f.write(0, WriteSource.of(new byte[3 * PAGE]));
            f.read(0, ByteBuffer.allocate(10));
            PageCacheStats stats = cache.stats();
            assertTrue(server.isRegistered(name));
            assertEquals(64L, server.getAttribute(name, "Frames"));
            assertEquals(stats.directCopies(), server.getAttribute(name, "DirectCopies"));
            assertEquals(stats.hits(), server.getAttribute(name, "Hits"));
            assertEquals(3L, server.getAttribute(name, "DirtyFrames"));
            assertEquals(PAGE, server.getAttribute(name, "PageSize"));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> OffHeapPageCache.builder()
                            .capacity(64 * PAGE)
                            .registerMXBean("test-cache")
                            .build(),
                    "a second cache cannot take the same name");
        }
        assertFalse(server.isRegistered(name));
    }

    @Test
    void flightRecorderEventsArePublishedWithTheirFields() throws Exception {
        Path source = dir.resolve("src");
        Files.write(source, new byte[4 * PAGE]);
        Path jfr = dir.resolve("rec.jfr");
        try (Recording recording = new Recording()) {
            for (String e : List.of(
                    "org.pagecache.PageIn",
                    "org.pagecache.EvictionBatch",
                    "org.pagecache.WritebackBatch",
                    "org.pagecache.SourceFault")) {
                recording.enable(e).withThreshold(java.time.Duration.ZERO);
            }
            recording.start();
            try (OffHeapPageCache cache =
                            OffHeapPageCache.builder().capacity(16 * PAGE).build();
                    PagedFile f = cache.open(dir.resolve("j"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    Arena arena = Arena.ofShared();
                    FileChannel ch = FileChannel.open(source, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                for (int p = 0; p < 64; p++) {
                    f.write((long) p * PAGE + 1, WriteSource.of(new byte[PAGE - 2])); // 64 pages in 16 frames: evicts
                }
                f.sync();
                java.nio.ByteBuffer back = java.nio.ByteBuffer.allocate(PAGE);
                for (int p = 0; p < 64; p++) {
                    back.clear();
                    f.read((long) p * PAGE, back); // most pages were evicted: page-ins
                }
                MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, 4 * PAGE, arena);
                ch.truncate(0);
                assertThrows(SourceFaultException.class, () -> f.write(0, WriteSource.of(mapped)));
            }
            recording.stop();
            recording.dump(jfr);
        }
        Map<String, List<RecordedEvent>> events = RecordingFile.readAllEvents(jfr).stream()
                .collect(Collectors.groupingBy(e -> e.getEventType().getName()));
        assertTrue(events.containsKey("org.pagecache.PageIn"), events.keySet().toString());
        RecordedEvent pageIn = events.get("org.pagecache.PageIn").getFirst();
        assertTrue(pageIn.getString("file").endsWith("j"));
        assertTrue(pageIn.getLong("pageIndex") >= 0);
        RecordedEvent writeback = events.get("org.pagecache.WritebackBatch").getFirst();
        assertTrue(writeback.getInt("pages") >= 1 && writeback.getBoolean("succeeded"));
        assertTrue(writeback.getLong("bytes") > 0);
        assertTrue(events.get("org.pagecache.EvictionBatch").stream()
                        .mapToInt(e -> e.getInt("evicted"))
                        .sum()
                > 0);
        RecordedEvent fault = events.get("org.pagecache.SourceFault").getFirst();
        assertEquals("mapped", fault.getString("sourceKind"));
        assertEquals(0, fault.getLong("bytesWritten"));
        assertEquals(0, fault.getLong("position"));
    }
}
