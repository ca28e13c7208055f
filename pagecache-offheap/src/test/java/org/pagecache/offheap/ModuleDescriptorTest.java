package org.pagecache.offheap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.module.ModuleDescriptor;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.pagecache.api.PageCache;

/**
 * The tests run inside the named module {@code org.pagecache.offheap}, and its descriptor exports the cache and
 * the store SPI only: the engine's internal packages stay encapsulated for modular applications.
 */
class ModuleDescriptorTest {

    @Test
    void theEngineAndTheApiAreNamedModules() {
        assertEquals("org.pagecache.offheap", OffHeapPageCache.class.getModule().getName());
        assertEquals("org.pagecache.api", PageCache.class.getModule().getName());
    }

    @Test
    void exportsTheCacheAndTheStoreSpiOnly() {
        ModuleDescriptor d = OffHeapPageCache.class.getModule().getDescriptor();
        Set<String> exported = d.exports().stream()
                .map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(Set.of("org.pagecache.offheap", "org.pagecache.offheap.store"), exported);
        assertTrue(
                d.exports().stream().noneMatch(ModuleDescriptor.Exports::isQualified),
                d.exports().toString());
        assertTrue(d.opens().isEmpty(), d.opens().toString());
        for (String internal : new String[] {"frame", "reclaim", "write", "jfr"}) {
            assertTrue(d.packages().contains("org.pagecache.offheap." + internal), internal);
        }
    }

    @Test
    void requiresTheApiTransitively() {
        ModuleDescriptor d = OffHeapPageCache.class.getModule().getDescriptor();
        assertTrue(
                d.requires().stream()
                        .anyMatch(r -> r.name().equals("org.pagecache.api")
                                && r.modifiers().contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE)),
                d.requires().toString());
    }
}
