package org.pagecache.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.pagecache.offheap.store.FileChannelStore;
import org.pagecache.stress.StressOptions.SourceKind;
import org.pagecache.stress.StressOptions.UsageException;

class StressOptionsTest {

    @Test
    void defaultsAreTheStandardRun() throws Exception {
        StressOptions o = StressOptions.parse();
        assertEquals(Duration.ofSeconds(30), o.duration);
        assertEquals(2, o.writers);
        assertEquals(2, o.readers);
        assertEquals(16L << 20, o.cacheSize);
        assertEquals(4096, o.pageSize);
        assertEquals(32L << 20, o.fileSize);
        assertEquals(4, o.files);
        assertEquals(EnumSet.allOf(SourceKind.class), o.sources);
        assertTrue(o.truncate);
        assertFalse(o.keep);
        assertEquals(null, o.dir);
        assertEquals(null, o.json);
        assertTrue(o.fileSize > o.cacheSize, "each file is larger than the cache");
    }

    @Test
    void everyOptionIsParsed() throws Exception {
        StressOptions o = StressOptions.parse(
                "--duration",
                "1500ms",
                "--writers",
                "3",
                "--readers=0",
                "--cache-size",
                "8MiB",
                "--page-size",
                "16k",
                "--file-size",
                "64m",
                "--files",
                "2",
                "--sources",
                "heap,view",
                "--truncate",
                "off",
                "--source-files",
                "2",
                "--source-size",
                "2m",
                "--seed",
                "0xdeadbeefcafebabe",
                "--dir",
                "/tmp/x",
                "--keep",
                "--json",
                "/tmp/r.json");
        assertEquals(Duration.ofMillis(1500), o.duration);
        assertEquals(3, o.writers);
        assertEquals(0, o.readers);
        assertEquals(8L << 20, o.cacheSize);
        assertEquals(16384, o.pageSize);
        assertEquals(64L << 20, o.fileSize);
        assertEquals(2, o.files);
        assertEquals(EnumSet.of(SourceKind.HEAP, SourceKind.VIEW), o.sources);
        assertFalse(o.truncate);
        assertEquals(2, o.sourceFiles);
        assertEquals(2L << 20, o.sourceSize);
        assertEquals(0xdeadbeefcafebabeL, o.seed);
        assertEquals(Path.of("/tmp/x"), o.dir);
        assertTrue(o.keep);
        assertEquals(Path.of("/tmp/r.json"), o.json);
    }

    @Test
    void laterOptionsWinAndHelpSkipsValidation() throws Exception {
        StressOptions o = StressOptions.parse("--writers", "3", "--writers=5", "--readers", "-0");
        assertEquals(5, o.writers);
        assertEquals(0, o.readers);
        StressOptions help = StressOptions.parse("--page-size", "3000", "--help");
        assertTrue(help.help, "--help is honoured even where validation would refuse the rest");
        assertThrows(
                UsageException.class,
                () -> StressOptions.parse("--help", "--writers", "x"),
                "a malformed value is still refused with --help");
    }

    @Test
    void replayArgumentsReproduceTheWorkload() throws Exception {
        StressOptions o = StressOptions.parse(
                "--duration",
                "7s",
                "--writers",
                "3",
                "--cache-size",
                "3m",
                "--file-size",
                "5m",
                "--sources",
                "mapped-segment,heap",
                "--truncate",
                "off",
                "--seed",
                "-12345",
                "--dir",
                "/tmp/y",
                "--json",
                "/tmp/z.json");
        StressOptions again = StressOptions.parse(o.replayArgs().toArray(new String[0]));
        assertEquals(o.replayArgs(), again.replayArgs());
        assertEquals(-12345L, again.seed);
        assertEquals(Duration.ofSeconds(7), again.duration);
        assertEquals(3L << 20, again.cacheSize);
        assertEquals(EnumSet.of(SourceKind.MAPPED_SEGMENT, SourceKind.HEAP), again.sources);
        assertFalse(again.truncate);
        assertTrue(o.replayCommand().startsWith("scripts/stress.sh "));
        assertTrue(o.replayCommand().contains("--seed " + StressOptions.formatSeed(-12345L)));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "--bogus                       | unknown option --bogus",
                "-v                            | unexpected argument '-v'",
                "stray                         | unexpected argument 'stray'",
                "--writers                     | option --writers needs a value",
                "--writers --readers 1         | option --writers needs a value",
                "--writers abc                 | --writers: 'abc' is not a whole number",
                "--writers 0                   | --writers 0 is out of range 1..256",
                "--readers -1                  | --readers -1 is out of range 0..256",
                "--files 0                     | --files 0 is out of range 1..1024",
                "--cache-size 12q              | --cache-size: '12q' is not a size",
                "--cache-size 0                | --cache-size: '0' must be positive",
                "--cache-size 99999999g        | --cache-size: '99999999g' is too large",
                "--page-size 3000              | --page-size 3000 must be a power of two from 4k to 64k",
                "--page-size 128k              | --page-size 131072 must be a power of two from 4k to 64k",
                "--cache-size 10000            | --cache-size 10000 must be a multiple of the page size 4096",
                "--cache-size 32k              | --cache-size 32768 must hold at least 16 pages",
                "--file-size 5000              | --file-size 5000 must be a multiple of the page size 4096",
                "--file-size 64k               | --file-size 65536 is too small for 2 writers",
                "--sources heap,disk           | --sources: unknown source kind 'disk'",
                "--sources ''                  | --sources: unknown source kind ''",
                "--truncate maybe              | --truncate: 'maybe' must be on or off",
                "--seed 0xZZ                   | --seed: '0xZZ' is not a seed",
                "--duration 0                  | --duration: '0' must be positive",
                "--duration soon               | --duration: 'soon' is not a duration",
                "--duration 30d                | --duration: '30d' is not a duration",
                "--source-size 5000            | --source-size 5000 must be a multiple of 4096",
                "--source-size 64k             | --source-size 65536 must be from 131072",
                "--keep=yes                    | option --keep takes no value",
                "--direct-io=yes               | option --direct-io takes no value",
                "--json=                       | --json needs a non-empty path",
            })
    void badOptionsAreRejectedWithAMessageNamingTheOption(String line, String message) {
        String[] args = line.isBlank() ? new String[0] : line.trim().split("\\s+");
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("''")) {
                args[i] = "";
            }
        }
        UsageException e = assertThrows(UsageException.class, () -> StressOptions.parse(args));
        assertTrue(e.getMessage().startsWith(message), "message was: " + e.getMessage());
    }

    @Test
    void runRejectsABadCommandLineWithStatus2OnStandardError() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = StressRunner.run(
                new String[] {"--writers", "many"},
                FileChannelStore.FACTORY,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                false);
        assertEquals(StressRunner.EXIT_USAGE, status);
        assertEquals("", out.toString(StandardCharsets.UTF_8));
        String text = err.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("--writers: 'many' is not a whole number"), text);
        assertTrue(text.contains("--help"), text);
    }

    @Test
    void helpListsEveryOptionAndExitsZero() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = StressRunner.run(
                new String[] {"--help"},
                FileChannelStore.FACTORY,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                System.err,
                false);
        assertEquals(StressRunner.EXIT_PASSED, status);
        String text = out.toString(StandardCharsets.UTF_8);
        for (String option : new String[] {
            "--duration",
            "--writers",
            "--readers",
            "--cache-size",
            "--page-size",
            "--file-size",
            "--files",
            "--sources",
            "--truncate",
            "--source-files",
            "--source-size",
            "--seed",
            "--dir",
            "--keep",
            "--direct-io",
            "--json",
            "--help",
            "mapped-buffer",
            "mapped-segment",
            "view",
            "heap",
            "Exit status"
        }) {
            assertTrue(text.contains(option), "usage does not mention " + option);
        }
    }
}
