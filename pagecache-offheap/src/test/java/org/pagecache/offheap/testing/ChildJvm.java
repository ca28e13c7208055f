package org.pagecache.offheap.testing;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The class path of a JVM that a test starts to run the engine and test classes in a process of its own (crash
 * and native-memory tests). The tests themselves run inside the module {@code org.pagecache.offheap}: the engine
 * and its dependencies are on the module path, the test classes are patched into the module, and neither is on
 * the test JVM's class path; the child gets all of them on its class path.
 */
public final class ChildJvm {
    private ChildJvm() {}

    /** @return the {@code java} launcher of the running JDK */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** @return a class path with the test classes, the engine, and every dependency of both */
    public static String classPath() {
        List<String> entries = new ArrayList<>();
        add(entries, System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        add(entries, System.getProperty("jdk.module.path"));
        for (String dir : new String[] {"test-classes", "classes"}) {
            // surefire's own layout: target/test-classes (patched into the module) and target/classes
            Path p = Path.of("target", dir).toAbsolutePath();
            if (p.toFile().isDirectory() && !entries.contains(p.toString())) {
                entries.add(0, p.toString());
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    private static void add(List<String> entries, String path) {
        if (path == null || path.isEmpty()) {
            return;
        }
        for (String e : path.split(File.pathSeparator)) {
            if (!e.isEmpty() && !entries.contains(e)) {
                entries.add(e);
            }
        }
    }
}
