package org.pagecache.offheap.reliability;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * Where the reliability tests report what they did (operations, seeds, faults, kills, bytes verified): standard
 * output (kept by the build in the test report) and one line per record appended to
 * {@code target/reliability-figures.log}, the source of the figures in {@code docs/reliability.md}.
 */
final class Figures {

    private static final Path LOG = Path.of("target", "reliability-figures.log");

    private Figures() {}

    static synchronized void report(String test, String line) {
        String record = Instant.now() + " " + test + ": " + line;
        System.out.println(record);
        try {
            Files.createDirectories(LOG.getParent());
            Files.writeString(
                    LOG,
                    record + System.lineSeparator(),
                    StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.out.println("(could not append to " + LOG.toAbsolutePath() + ": " + e + ")");
        }
    }
}
