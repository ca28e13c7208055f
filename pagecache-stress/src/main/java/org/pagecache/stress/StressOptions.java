package org.pagecache.stress;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine;

/**
 * The options of a stress run, parsed from the command line (with picocli). Every option has a default, so a run with no
 * arguments is the standard 30-second run. {@link #parse} rejects unknown options, missing or malformed values
 * and impossible combinations with a {@link UsageException} whose message names the option.
 */
final class StressOptions {

    /** Pages per writer region: a writer owns whole regions of this many pages in every file. */
    static final int REGION_PAGES = 16;
    /** The alignment of source truncation points: the smallest page size of the operating system's mappings. */
    static final int OS_PAGE = 4096;

    static final int MIN_PAGE_SIZE = 4096;
    static final int MAX_PAGE_SIZE = 65536;
    static final int MIN_CACHE_PAGES = 16;
    static final int MAX_THREADS = 256;
    static final int MAX_FILES = 1024;
    static final int MAX_SOURCE_FILES = 64;

    /** The kinds of memory a writer copies from. */
    enum SourceKind {
        /** A slice of a {@code MappedByteBuffer} of a source file. */
        MAPPED_BUFFER("mapped-buffer", true),
        /** A slice of a {@code MemorySegment} mapped with {@code FileChannel.map(..., Arena)}. */
        MAPPED_SEGMENT("mapped-segment", true),
        /** A {@code MappedView} of another cached file. */
        VIEW("view", false),
        /** A heap array, heap buffer or direct buffer. */
        HEAP("heap", false);

        final String optionName;
        /** Whether the source is a mapped file that the truncator shrinks, so that a write from it may fault. */
        final boolean truncatable;

        SourceKind(String optionName, boolean truncatable) {
            this.optionName = optionName;
            this.truncatable = truncatable;
        }

        static SourceKind byName(String name) {
            for (SourceKind kind : values()) {
                if (kind.optionName.equals(name)) {
                    return kind;
                }
            }
            return null;
        }
    }

    Duration duration = Duration.ofSeconds(30);
    int writers = 2;
    int readers = 2;
    long cacheSize = 16L << 20;
    int pageSize = 4096;
    long fileSize = 32L << 20;
    int files = 4;
    EnumSet<SourceKind> sources = EnumSet.allOf(SourceKind.class);
    boolean truncate = true;
    int sourceFiles = 4;
    long sourceSize = 4L << 20;
    long seed = ThreadLocalRandom.current().nextLong();
    Path dir;
    boolean keep;
    boolean directIo;
    Path json;
    boolean help;

    /** @return the usage text printed by {@code --help} */
    static String usage() {
        return """
                Usage: stress.sh [options]
                       java -jar pagecache-stress.jar [options]

                Stress-tests the pagecache off-heap page cache: writer threads copy from memory-mapped source
                files, mapped segments, views of other cached files and heap buffers into cached files larger
                than the cache, while reader threads verify what they read, a thread truncates and re-extends
                the mapped source files, and the reclaimer evicts under pressure. Every byte is checked against
                a model: live, at the end through the cache, and after close() straight from the files.

                Options (sizes take k, m, g suffixes (KiB, MiB, GiB); durations take ms, s, m, h, default s):
                  --duration D        how long the workload runs                       (default 30s)
                  --writers N         writer threads, 1..256                            (default 2)
                  --readers N         verifying reader threads, 0..256                  (default 2)
                  --cache-size SIZE   bytes of page frames in the cache                 (default 16m)
                  --page-size SIZE    page size: a power of two, 4k..64k                (default 4k)
                  --file-size SIZE    size of each cached file, a multiple of the page   (default 32m)
                  --files N           number of cached files, 1..1024                   (default 4)
                  --sources LIST      comma list of mapped-buffer,mapped-segment,view,heap
                                      (default all four)
                  --truncate on|off   truncate and re-extend the mapped source files    (default on)
                  --source-files N    number of mapped source files, 1..64              (default 4)
                  --source-size SIZE  size of each source file, a multiple of 4k        (default 4m)
                  --seed S            seed of the workload, decimal or 0x-hex           (default random)
                  --dir DIR           directory for the files (created if missing)      (default a new temp dir)
                  --keep              keep the files at the end (a failed run always keeps them)
                  --direct-io         open the cached files with direct I/O (O_DIRECT); the file system
                                      must take it and the page size be a multiple of its block size
                  --json FILE         also write a JSON report to FILE
                  --help              print this text and exit

                Exit status: 0 verification passed; 1 verification failed (data lost or corrupted, an
                unexpected error, or a hang); 2 bad command line; 3 the run could not be set up.
                """;
    }

    /**
     * Parses command-line arguments with picocli: {@code --name value} or {@code --name=value}; later options
     * win. Each value is converted by the option's setter in {@link Command}, so that every message names the
     * option the way {@link #usage()} spells it.
     *
     * @param args the arguments
     * @return the options, validated
     * @throws UsageException naming the offending option
     */
    static StressOptions parse(String... args) throws UsageException {
        StressOptions o = new StressOptions();
        CommandLine line = new CommandLine(new Command(o))
                .setOverwrittenOptionsAllowed(true)
                .setUnmatchedOptionsArePositionalParams(false)
                .setPosixClusteredShortOptionsAllowed(false);
        try {
            line.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            throw usageError(e);
        }
        if (!o.help) {
            o.validate();
        }
        return o;
    }

    /** A picocli failure as the message of the option it concerns. */
    private static UsageException usageError(CommandLine.ParameterException e) {
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof UsageException usage) {
                return usage;
            }
        }
        if (e instanceof CommandLine.MissingParameterException missing
                && !missing.getMissing().isEmpty()
                && missing.getMissing().get(0) instanceof CommandLine.Model.OptionSpec option) {
            return new UsageException("option " + option.longestName() + " needs a value");
        }
        if (e instanceof CommandLine.UnmatchedArgumentException unmatched
                && !unmatched.getUnmatched().isEmpty()) {
            String arg = unmatched.getUnmatched().get(0);
            if (arg.startsWith("--") && arg.length() > 2) {
                String name = arg.indexOf('=') >= 0 ? arg.substring(0, arg.indexOf('=')) : arg;
                if (name.equals("--keep") || name.equals("--help") || name.equals("--direct-io")) {
                    return new UsageException("option " + name + " takes no value");
                }
                return new UsageException("unknown option " + name + " (see --help)");
            }
            return new UsageException("unexpected argument '" + arg + "': options start with -- (see --help)");
        }
        // picocli's words for a value given to a flag: "option '--keep' should be specified without 'yes' parameter"
        String message = String.valueOf(e.getMessage());
        for (String flag : new String[] {"--keep", "--help", "--direct-io"}) {
            if (message.startsWith("option '" + flag + "' should be specified without")) {
                return new UsageException("option " + flag + " takes no value");
            }
        }
        return new UsageException(message + " (see --help)");
    }

    /**
     * The options as picocli sees them. Every value option is a setter taking the raw string, converted by this
     * class's own parsers so that messages and units stay those of {@link #usage()}; picocli's generated help is
     * not used ({@code --help} prints {@link #usage()}).
     */
    @CommandLine.Command(name = "stress", mixinStandardHelpOptions = false)
    static final class Command {
        private final StressOptions o;

        Command(StressOptions o) {
            this.o = o;
        }

        @CommandLine.Option(names = "--help", arity = "0")
        void help(boolean on) {
            o.help = true;
        }

        @CommandLine.Option(names = "--keep", arity = "0")
        void keep(boolean on) {
            o.keep = true;
        }

        @CommandLine.Option(names = "--direct-io", arity = "0")
        void directIo(boolean on) {
            o.directIo = true;
        }

        @CommandLine.Option(names = "--duration", arity = "1")
        void duration(String value) {
            o.duration = convert(() -> parseDuration("--duration", value));
        }

        @CommandLine.Option(names = "--writers", arity = "1")
        void writers(String value) {
            o.writers = convert(() -> parseInt("--writers", value, 1, MAX_THREADS));
        }

        @CommandLine.Option(names = "--readers", arity = "1")
        void readers(String value) {
            o.readers = convert(() -> parseInt("--readers", value, 0, MAX_THREADS));
        }

        @CommandLine.Option(names = "--cache-size", arity = "1")
        void cacheSize(String value) {
            o.cacheSize = convert(() -> parseSize("--cache-size", value));
        }

        @CommandLine.Option(names = "--page-size", arity = "1")
        void pageSize(String value) {
            o.pageSize = (int) Math.min(Integer.MAX_VALUE, convert(() -> parseSize("--page-size", value)));
        }

        @CommandLine.Option(names = "--file-size", arity = "1")
        void fileSize(String value) {
            o.fileSize = convert(() -> parseSize("--file-size", value));
        }

        @CommandLine.Option(names = "--files", arity = "1")
        void files(String value) {
            o.files = convert(() -> parseInt("--files", value, 1, MAX_FILES));
        }

        @CommandLine.Option(names = "--sources", arity = "1")
        void sources(String value) {
            o.sources = convert(() -> parseSources("--sources", value));
        }

        @CommandLine.Option(names = "--truncate", arity = "1")
        void truncate(String value) {
            o.truncate = convert(() -> parseOnOff("--truncate", value));
        }

        @CommandLine.Option(names = "--source-files", arity = "1")
        void sourceFiles(String value) {
            o.sourceFiles = convert(() -> parseInt("--source-files", value, 1, MAX_SOURCE_FILES));
        }

        @CommandLine.Option(names = "--source-size", arity = "1")
        void sourceSize(String value) {
            o.sourceSize = convert(() -> parseSize("--source-size", value));
        }

        @CommandLine.Option(names = "--seed", arity = "1")
        void seed(String value) {
            o.seed = convert(() -> parseSeed("--seed", value));
        }

        @CommandLine.Option(names = "--dir", arity = "1")
        void dir(String value) {
            o.dir = convert(() -> parsePath("--dir", value));
        }

        @CommandLine.Option(names = "--json", arity = "1")
        void json(String value) {
            o.json = convert(() -> parsePath("--json", value));
        }
    }

    /** A conversion by one of the parsers below. */
    @FunctionalInterface
    private interface Conversion<T> {
        T convert() throws UsageException;
    }

    /** Runs a conversion; picocli passes the {@link UsageException} on as the cause of its own. */
    private static <T> T convert(Conversion<T> conversion) {
        try {
            return conversion.convert();
        } catch (UsageException e) {
            throw new ConversionFailure(e);
        }
    }

    /** Carries a {@link UsageException} out of a picocli setter. */
    private static final class ConversionFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ConversionFailure(UsageException cause) {
            super(cause.getMessage(), cause);
        }
    }

    private void validate() throws UsageException {
        if (Integer.bitCount(pageSize) != 1 || pageSize < MIN_PAGE_SIZE || pageSize > MAX_PAGE_SIZE) {
            throw new UsageException("--page-size " + pageSize + " must be a power of two from 4k to 64k");
        }
        if (cacheSize % pageSize != 0) {
            throw new UsageException("--cache-size " + cacheSize + " must be a multiple of the page size " + pageSize);
        }
        if (cacheSize / pageSize < MIN_CACHE_PAGES) {
            throw new UsageException("--cache-size " + cacheSize + " must hold at least " + MIN_CACHE_PAGES + " pages ("
                    + (long) MIN_CACHE_PAGES * pageSize + " bytes)");
        }
        if (fileSize % pageSize != 0) {
            throw new UsageException("--file-size " + fileSize + " must be a multiple of the page size " + pageSize);
        }
        long minFile = (long) writers * regionBytes();
        if (fileSize < minFile) {
            throw new UsageException("--file-size " + fileSize + " is too small for " + writers
                    + " writers: each writer owns regions of " + REGION_PAGES + " pages (" + regionBytes()
                    + " bytes) in every file, so a file needs at least " + minFile + " bytes");
        }
        if (fileSize / pageSize > Integer.MAX_VALUE) {
            throw new UsageException("--file-size " + fileSize + " has more than 2^31 pages");
        }
        if (sourceSize % OS_PAGE != 0) {
            throw new UsageException("--source-size " + sourceSize + " must be a multiple of " + OS_PAGE);
        }
        if (sourceSize < 2L * regionBytes() || sourceSize > Integer.MAX_VALUE - OS_PAGE) {
            throw new UsageException("--source-size " + sourceSize + " must be from " + 2L * regionBytes()
                    + " (two writer regions) to " + (Integer.MAX_VALUE - OS_PAGE) + " bytes");
        }
        if (duration.isZero() || duration.isNegative()) {
            throw new UsageException("--duration must be positive");
        }
    }

    /** @return the options the cached files are opened with: read, write, and direct I/O if asked for */
    java.nio.file.OpenOption[] cachedFileOptions() {
        return directIo
                ? new java.nio.file.OpenOption[] {
                    java.nio.file.StandardOpenOption.READ,
                    java.nio.file.StandardOpenOption.WRITE,
                    org.pagecache.offheap.store.DirectIo.option()
                }
                : new java.nio.file.OpenOption[] {
                    java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE
                };
    }

    /** @return bytes in one writer region */
    int regionBytes() {
        return REGION_PAGES * pageSize;
    }

    /** @return whether any mapped source kind is enabled, so that truncation can make writes fault */
    boolean mappedSources() {
        return sources.contains(SourceKind.MAPPED_BUFFER) || sources.contains(SourceKind.MAPPED_SEGMENT);
    }

    /** @return the enabled source kinds as their option names, in declaration order */
    List<String> sourceNames() {
        List<String> names = new ArrayList<>();
        for (SourceKind kind : sources) {
            names.add(kind.optionName);
        }
        return Collections.unmodifiableList(names);
    }

    /** @return the options that reproduce this workload (everything except where the output goes) */
    List<String> replayArgs() {
        List<String> a = new ArrayList<>();
        a.add("--duration");
        a.add(formatDuration(duration));
        a.add("--writers");
        a.add(Integer.toString(writers));
        a.add("--readers");
        a.add(Integer.toString(readers));
        a.add("--cache-size");
        a.add(formatSizeArg(cacheSize));
        a.add("--page-size");
        a.add(formatSizeArg(pageSize));
        a.add("--file-size");
        a.add(formatSizeArg(fileSize));
        a.add("--files");
        a.add(Integer.toString(files));
        a.add("--sources");
        a.add(String.join(",", sourceNames()));
        a.add("--truncate");
        a.add(truncate ? "on" : "off");
        a.add("--source-files");
        a.add(Integer.toString(sourceFiles));
        a.add("--source-size");
        a.add(formatSizeArg(sourceSize));
        a.add("--seed");
        a.add(formatSeed(seed));
        return a;
    }

    /** @return a shell command that replays this workload with the same seed */
    String replayCommand() {
        return "scripts/stress.sh " + String.join(" ", replayArgs());
    }

    static String formatSeed(long seed) {
        return "0x" + Long.toHexString(seed);
    }

    static String formatDuration(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? (ms / 1000) + "s" : ms + "ms";
    }

    static String formatSizeArg(long bytes) {
        if (bytes != 0 && bytes % (1L << 30) == 0) {
            return (bytes >> 30) + "g";
        }
        if (bytes != 0 && bytes % (1L << 20) == 0) {
            return (bytes >> 20) + "m";
        }
        if (bytes != 0 && bytes % (1L << 10) == 0) {
            return (bytes >> 10) + "k";
        }
        return Long.toString(bytes);
    }

    static int parseInt(String option, String value, int min, int max) throws UsageException {
        int n;
        try {
            n = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(option + ": '" + value + "' is not a whole number");
        }
        if (n < min || n > max) {
            throw new UsageException(option + " " + n + " is out of range " + min + ".." + max);
        }
        return n;
    }

    /** Parses {@code 4096}, {@code 4k}, {@code 16m}, {@code 1g}, {@code 16MiB}, {@code 16MB} (all binary units). */
    static long parseSize(String option, String value) throws UsageException {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.endsWith("ib")) {
            v = v.substring(0, v.length() - 2);
        } else if (v.endsWith("b")) {
            v = v.substring(0, v.length() - 1);
        }
        int shift = 0;
        if (!v.isEmpty()) {
            switch (v.charAt(v.length() - 1)) {
                case 'k' -> shift = 10;
                case 'm' -> shift = 20;
                case 'g' -> shift = 30;
                default -> shift = 0;
            }
        }
        if (shift != 0) {
            v = v.substring(0, v.length() - 1);
        }
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new UsageException(option + ": '" + value + "' is not a size (examples: 4096, 4k, 16m, 1g)");
        }
        if (n <= 0) {
            throw new UsageException(option + ": '" + value + "' must be positive");
        }
        if (n > (Long.MAX_VALUE >> shift) || (n << shift) > (1L << 50)) {
            throw new UsageException(option + ": '" + value + "' is too large");
        }
        return n << shift;
    }

    /** Parses {@code 30}, {@code 30s}, {@code 500ms}, {@code 2m}, {@code 1h}; a bare number is seconds. */
    static Duration parseDuration(String option, String value) throws UsageException {
        String v = value.trim().toLowerCase(Locale.ROOT);
        long unitMillis = 1000;
        if (v.endsWith("ms")) {
            unitMillis = 1;
            v = v.substring(0, v.length() - 2);
        } else if (v.endsWith("s")) {
            v = v.substring(0, v.length() - 1);
        } else if (v.endsWith("m")) {
            unitMillis = 60_000;
            v = v.substring(0, v.length() - 1);
        } else if (v.endsWith("h")) {
            unitMillis = 3_600_000;
            v = v.substring(0, v.length() - 1);
        }
        if (!v.matches("[0-9]+(\\.[0-9]+)?")) {
            throw new UsageException(option + ": '" + value + "' is not a duration (examples: 30s, 500ms, 2m)");
        }
        double n = Double.parseDouble(v);
        if (!(n > 0) || Double.isInfinite(n)) {
            throw new UsageException(option + ": '" + value + "' must be positive");
        }
        double millis = n * unitMillis;
        if (millis < 1 || millis > 7 * 24 * 3_600_000.0) {
            throw new UsageException(option + ": '" + value + "' must be from 1ms to 7 days");
        }
        return Duration.ofMillis(Math.round(millis));
    }

    static EnumSet<SourceKind> parseSources(String option, String value) throws UsageException {
        EnumSet<SourceKind> set = EnumSet.noneOf(SourceKind.class);
        for (String part : value.split(",", -1)) {
            String name = part.trim().toLowerCase(Locale.ROOT);
            SourceKind kind = SourceKind.byName(name);
            if (kind == null) {
                throw new UsageException(option + ": unknown source kind '" + part.trim()
                        + "' (choose from mapped-buffer, mapped-segment, view, heap)");
            }
            set.add(kind);
        }
        return set;
    }

    static boolean parseOnOff(String option, String value) throws UsageException {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new UsageException(option + ": '" + value + "' must be on or off");
        };
    }

    static long parseSeed(String option, String value) throws UsageException {
        String v = value.trim().toLowerCase(Locale.ROOT);
        try {
            if (v.startsWith("0x")) {
                return Long.parseUnsignedLong(v.substring(2), 16);
            }
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new UsageException(option + ": '" + value + "' is not a seed (a decimal or 0x-hex 64-bit number)");
        }
    }

    static Path parsePath(String option, String value) throws UsageException {
        if (value.isBlank()) {
            throw new UsageException(option + " needs a non-empty path");
        }
        try {
            return Path.of(value);
        } catch (RuntimeException e) {
            throw new UsageException(option + ": '" + value + "' is not a valid path: " + e.getMessage());
        }
    }

    /** A bad command line: the message names the option and says what is wrong. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
