package org.pagecache.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo that {@code scripts/example.sh} runs completes its checks and prints every step. */
class DemoTest {
    @TempDir
    Path dir;

    @Test
    void theDemoRunsEveryStepAndPassesItsChecks() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Demo.run(dir, 5_000, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        for (String step : new String[] {
            "create ",
            "write ",
            "import    5,000 records",
            "update ",
            "delete    100 records",
            "commit    4,900 records",
            "fault ",
            "reopen    table.db with a new cache: 4,900 records",
            "stats "
        }) {
            assertTrue(out.contains(step), "missing \"" + step + "\" in:\n" + out);
        }
        assertTrue(out.endsWith("ok" + System.lineSeparator()), out);
    }

    @Test
    void theDemoFailsLoudlyWhenATableIsNotWhatItWrote() throws Exception {
        // A table already in the directory: the demo refuses to create over it instead of reporting success.
        Files.write(dir.resolve("table.db"), new byte[0], StandardOpenOption.CREATE);
        assertThrows(
                java.nio.file.FileAlreadyExistsException.class,
                () -> Demo.run(dir, 5_000, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)));
        assertEquals(0, Files.size(dir.resolve("table.db")));
    }
}
