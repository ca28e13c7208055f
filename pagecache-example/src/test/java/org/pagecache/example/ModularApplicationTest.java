package org.pagecache.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ResolvedModule;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.api.PageCache;
import org.pagecache.offheap.OffHeapPageCache;

/** The example is a modular application: it requires the cache's module, and its demo runs with {@code java -m}. */
class ModularApplicationTest {
    private static final List<String> MODULES = List.of(
            "org.pagecache.example", "org.pagecache.offheap", "org.pagecache.api", "org.agrona", "org.jctools.core");

    @TempDir
    Path dir;

    @Test
    void theExampleAndTheLibraryAreNamedModules() {
        assertEquals("org.pagecache.example", Demo.class.getModule().getName());
        assertEquals("org.pagecache.offheap", OffHeapPageCache.class.getModule().getName());
        assertEquals("org.pagecache.api", PageCache.class.getModule().getName());
        ModuleDescriptor example = Demo.class.getModule().getDescriptor();
        assertTrue(
                example.requires().stream().anyMatch(r -> r.name().equals("org.pagecache.offheap")),
                example.requires().toString());
        // the API comes with the engine (requires transitive): the example reads it without requiring it
        assertTrue(Demo.class.getModule().canRead(PageCache.class.getModule()));
    }

    @Test
    void theDemoRunsOnTheModulePathAlone() throws Exception {
        List<String> modulePath = new ArrayList<>();
        for (String name : MODULES) {
            ResolvedModule module = Demo.class
                    .getModule()
                    .getLayer()
                    .configuration()
                    .findModule(name)
                    .orElseThrow(() -> new AssertionError("module " + name + " is not resolved"));
            modulePath.add(Path.of(module.reference().location().orElseThrow()).toString());
        }
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(
                        java.toString(),
                        "--module-path",
                        String.join(File.pathSeparator, modulePath),
                        "-m",
                        "org.pagecache.example/org.pagecache.example.Demo",
                        dir.resolve("demo").toString(),
                        "2000")
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        boolean exited = p.waitFor(120, TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly();
        }
        String stdout = Files.readString(out, StandardCharsets.UTF_8);
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertTrue(exited, "the demo did not finish in 120 s:\n" + stdout + stderr);
        assertEquals(0, p.exitValue(), stdout + stderr);
        assertTrue(stdout.contains("reopen    table.db with a new cache: 1,960 records"), stdout);
        assertTrue(stdout.endsWith("ok" + System.lineSeparator()), stdout);
        // no JVM flag is needed and none is asked for: the JVM prints no warning
        assertFalse(stderr.contains("WARNING"), stderr);
    }
}
