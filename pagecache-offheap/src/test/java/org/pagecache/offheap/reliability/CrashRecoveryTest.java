package org.pagecache.offheap.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pagecache.offheap.testing.ChildJvm;

/**
 * Kills a child JVM running {@link CrashWorkload} with SIGKILL at random moments, again and again on the same files,
 * and checks after every kill that every byte the child reported as synced is in the files. Bytes of the one batch
 * that may have been in flight may hold the synced value or any value that batch wrote there, nothing else.
 *
 * <p>A process kill loses what the cache had not written to the OS; it does not lose what the OS had not yet put on
 * the platter (that is a power loss, modelled by {@link FaultInjector}'s durable images). So this test proves that
 * {@code sync()} returns only after every completed write left the process, and that the cache never writes a torn
 * or stale page over synced data, before or during a crash.
 *
 * <p>What the child acknowledged is read from its stdout to the end of the pipe, after the kill: the pipe keeps every
 * line the child printed, so the parent sees all of them however far its reader lags behind. The kill therefore goes
 * through {@link ProcessHandle#destroyForcibly()}, which only sends the signal; {@link Process#destroyForcibly()}
 * also closes the parent's end of the pipe and would throw away the unread lines, making the model older than the
 * files. A failed read of that output fails the round instead of being taken for the end of the output.
 *
 * <p>{@code -Dpagecache.crash.kills=N} (20 by default) and {@code -Dpagecache.crash.seed=N}.
 */
@Tag("slow") // left out of the fast tier (scripts/test-fast.sh)
class CrashRecoveryTest {

    private static final int FILES = 2;
    private static final int PAGE = 4096;
    private static final int FILE_BYTES = 64 * PAGE;
    private static final int FRAMES = 16;

    @TempDir
    Path dir;

    @Test
    void everySyncedByteSurvivesSigkill() throws Exception {
        int kills = Integer.getInteger("pagecache.crash.kills", 20);
        long seed = Long.getLong("pagecache.crash.seed", System.nanoTime());
        Random random = new Random(seed);
        byte[][] base = new byte[FILES][0];
        long acknowledged = 0;
        long verified = 0;
        long inFlight = 0;
        long started = System.nanoTime();
        StringBuilder earlierRounds = new StringBuilder();
        for (int round = 0; round < kills; round++) {
            long roundSeed = seed * 31 + round;
            Path stderr = dir.resolve("child-" + round + ".err");
            Process child = new ProcessBuilder(command(roundSeed))
                    .redirectError(stderr.toFile())
                    .start();
            List<String> lines = new ArrayList<>();
            AtomicReference<IOException> readFailure = new AtomicReference<>();
            Thread reader = new Thread(
                    () -> {
                        // Reads to the end of the pipe: after the kill the pipe still holds every line the child
                        // printed.
                        try (BufferedReader in = new BufferedReader(
                                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                            for (String line; (line = in.readLine()) != null; ) {
                                synchronized (lines) {
                                    lines.add(line);
                                    lines.notifyAll();
                                }
                            }
                        } catch (IOException e) {
                            readFailure.set(e);
                        }
                    },
                    "crash-reader-" + round);
            reader.setDaemon(true);
            reader.start();
            String context = "seed " + seed + " round " + round + " (replay with -Dpagecache.crash.seed=" + seed + ")";
            try {
                awaitReady(lines, child, stderr, context);
                Thread.sleep(random.nextInt(600));
                if (!child.isAlive()) {
                    fail(context + ": the child exited by itself with " + child.exitValue() + ": "
                            + output(lines, stderr));
                }
                List<ProcessHandle> descendants = child.toHandle().descendants().toList();
                // SIGKILL through the ProcessHandle: Process.destroyForcibly() would also close our end of the
                // child's stdout, dropping the lines the reader has not consumed yet, so the parent would
                // believe fewer generations ran (and were acknowledged) than did.
                child.toHandle().destroyForcibly();
                assertTrue(child.waitFor(30, TimeUnit.SECONDS), context + ": the child did not die");
                for (ProcessHandle d : descendants) {
                    d.destroyForcibly();
                }
                assertTrue(descendants.isEmpty(), context + ": the child JVM had processes of its own: " + descendants);
            } finally {
                if (child.isAlive()) {
                    child.toHandle().destroyForcibly();
                }
            }
            assertEquals(137, child.exitValue(), context + ": expected death by SIGKILL: " + output(lines, stderr));
            reader.join(TimeUnit.SECONDS.toMillis(30));
            assertTrue(!reader.isAlive(), context + ": the child's output did not end");
            child.getOutputStream().close();
            if (readFailure.get() != null) {
                fail(
                        context + ": reading the child's output failed, so what it acknowledged is unknown",
                        readFailure.get());
            }
            Outcome outcome = parse(lines, context, stderr);
            for (int f = 0; f < FILES; f++) {
                Path file = dir.resolve("crash-" + f + ".bin");
                byte[] disk = Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
                verified +=
                        verify(f, base, disk, roundSeed, outcome, context + " [earlier rounds: " + earlierRounds + "]");
                base[f] = disk;
            }
            acknowledged += Math.min(outcome.lastAck[0], outcome.lastAck[FILES - 1]) + 1;
            earlierRounds
                    .append(roundSeed)
                    .append(':')
                    .append(outcome.lastBegun)
                    .append(' ');
            if (outcome.lastAck[FILES - 1] < outcome.lastBegun) {
                inFlight++;
            }
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        Figures.report(
                "crash",
                "seed " + seed + ": " + kills + " SIGKILLs in " + millis + " ms, " + acknowledged
                        + " synced generations acknowledged, " + inFlight + " kills with a generation in flight, "
                        + verified
                        + " bytes verified on disk, losses 0");
    }

    private List<String> command(long roundSeed) {
        String java = ChildJvm.java();
        String cp = ChildJvm.classPath();
        return List.of(
                java,
                "-Xmx128m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                cp,
                CrashWorkload.class.getName(),
                dir.toString(),
                Long.toString(roundSeed),
                Integer.toString(FILES),
                Integer.toString(FILE_BYTES),
                Integer.toString(PAGE),
                Integer.toString(FRAMES));
    }

    private void awaitReady(List<String> lines, Process child, Path stderr, String context) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        synchronized (lines) {
            while (!lines.contains("READY")) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || (!child.isAlive() && !lines.contains("READY"))) {
                    fail(context + ": the child did not start: " + output(lines, stderr));
                }
                lines.wait(Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(left))));
            }
        }
    }

    private static String output(List<String> lines, Path stderr) {
        String err;
        try {
            err = Files.exists(stderr) ? Files.readString(stderr) : "";
        } catch (IOException e) {
            err = e.toString();
        }
        synchronized (lines) {
            int from = Math.max(0, lines.size() - 40);
            return "stdout (last lines): " + lines.subList(from, lines.size()) + "\nstderr: " + err;
        }
    }

    /** What the child reported before it died. */
    private record Outcome(long lastBegun, long[] lastAck, List<String> syncLines) {}

    private static Outcome parse(List<String> lines, String context, Path stderr) {
        long lastBegun = -1;
        long[] lastAck = new long[FILES];
        Arrays.fill(lastAck, -1);
        List<String> syncs = new ArrayList<>();
        for (String line : lines) {
            if (line.startsWith("ERROR")) {
                fail(context + ": the child failed: " + output(lines, stderr));
            } else if (line.startsWith("BEGIN ")) {
                long g = Long.parseLong(line.substring(6).trim());
                assertEquals(lastBegun + 1, g, context + ": generations out of order");
                lastBegun = g;
            } else if (line.startsWith("SYNC ")) {
                String[] parts = line.split(" ");
                long g = Long.parseLong(parts[1]);
                int f = Integer.parseInt(parts[2]);
                assertEquals(lastBegun, g, context + ": a sync of a generation that is not the current one");
                lastAck[f] = g;
                syncs.add(line);
            }
        }
        for (int f = 0; f < FILES; f++) {
            assertTrue(
                    lastAck[f] == lastBegun || lastAck[f] == lastBegun - 1,
                    context + ": file " + f + " last synced in generation " + lastAck[f] + " while generation "
                            + lastBegun + " was running");
        }
        return new Outcome(lastBegun, lastAck, syncs);
    }

    /** Says which generation last wrote the synced value and which one wrote the value found, for a failure message. */
    private static String origin(
            int f, int j, byte found, byte expected, byte[] base, long roundSeed, Outcome outcome) {
        long wroteExpected = -1;
        long wroteFound = -1;
        for (long g = 0; g <= outcome.lastBegun; g++) {
            for (CrashWorkload.Write w : CrashWorkload.plan(roundSeed, g, FILES, FILE_BYTES, PAGE)) {
                int at = j - w.position();
                if (w.file() == f && at >= 0 && at < w.data().length) {
                    if (w.data()[at] == expected) {
                        wroteExpected = g;
                    }
                    if (w.data()[at] == found) {
                        wroteFound = g;
                    }
                }
            }
        }
        String foundFrom = wroteFound >= 0
                ? "generation " + wroteFound + " of this round wrote the value found"
                : (j < base.length && base[j] == found
                        ? "the value found is the file's content before this round"
                        : "no generation of this round wrote the value found");
        return "Generation " + wroteExpected + " wrote the synced value; " + foundFrom
                + " (the value found is older than what sync() acknowledged: a write-back was still in flight or "
                + "never issued when sync() returned)";
    }

    /**
     * Looks for the wrong bytes elsewhere: the run of disk bytes from {@code j} that differ from the synced model,
     * searched in every write of the round and in the file's content before the round.
     */
    private static String whereFrom(
            int f, int j, byte[] disk, byte[] synced, byte[][] bases, long roundSeed, Outcome outcome, String context) {
        byte[] base = bases[f];
        int end = j;
        while (end < disk.length && end - j < 4096 && disk[end] != synced[end]) {
            end++;
        }
        int pageEnd = Math.min(disk.length, (j / PAGE + 1) * PAGE);
        int wrongInPage = 0;
        for (int i = (j / PAGE) * PAGE; i < pageEnd; i++) {
            if (disk[i] != synced[i]) {
                wrongInPage++;
            }
        }
        byte[] run = Arrays.copyOfRange(disk, j, Math.min(end, j + 8));
        StringBuilder sb =
                new StringBuilder("The differing run is " + (end - j) + " bytes from " + j + "; " + wrongInPage
                        + " bytes of page " + j / PAGE + " differ from the synced model; disk size " + disk.length
                        + ", base size "
                        + base.length + ". ");
        if (run.length < 8) {
            return sb.append("(run too short to trace)").toString();
        }
        for (long g = 0; g <= outcome.lastBegun; g++) {
            for (CrashWorkload.Write w : CrashWorkload.plan(roundSeed, g, FILES, FILE_BYTES, PAGE)) {
                int at = indexOf(w.data(), run);
                if (at >= 0) {
                    sb.append("These bytes were written by generation ")
                            .append(g)
                            .append(" to file ")
                            .append(w.file())
                            .append(" at ")
                            .append(w.position() + at)
                            .append(" (shift ")
                            .append(w.position() + at - j)
                            .append("). ");
                }
            }
        }
        for (int b = 0; b < bases.length; b++) {
            int inBase = indexOf(bases[b], run);
            if (inBase >= 0) {
                sb.append("These bytes are file ")
                        .append(b)
                        .append("'s pre-round content at ")
                        .append(inBase)
                        .append(". ");
            }
        }
        int inSynced = indexOf(synced, run);
        if (inSynced >= 0) {
            sb.append("These bytes are the synced content at ").append(inSynced).append(". ");
        }
        String rounds = context.contains("[earlier rounds: ")
                ? context.substring(context.indexOf("[earlier rounds: ") + 17, context.lastIndexOf(']'))
                        .trim()
                : "";
        for (String r : rounds.isEmpty() ? new String[0] : rounds.split(" ")) {
            long rs = Long.parseLong(r.split(":")[0]);
            long last = Long.parseLong(r.split(":")[1]);
            for (long g = 0; g <= last; g++) {
                for (CrashWorkload.Write w : CrashWorkload.plan(rs, g, FILES, FILE_BYTES, PAGE)) {
                    int at = indexOf(w.data(), run);
                    if (at >= 0) {
                        sb.append("These bytes were written in an earlier round (seed ")
                                .append(rs)
                                .append(") by generation ")
                                .append(g)
                                .append(" to file ")
                                .append(w.file())
                                .append(" at ")
                                .append(w.position() + at)
                                .append(" (shift ")
                                .append(w.position() + at - j)
                                .append("). ");
                    }
                }
            }
        }
        int page = j / PAGE;
        int pageLen = Math.min(PAGE, disk.length - page * PAGE);
        byte[] diskPage = Arrays.copyOfRange(disk, page * PAGE, page * PAGE + pageLen);
        for (int q = 0; q * PAGE < synced.length; q++) {
            if (q != page && Arrays.equals(diskPage, Arrays.copyOfRange(synced, q * PAGE, q * PAGE + pageLen))) {
                sb.append("The whole page on disk equals synced page ")
                        .append(q)
                        .append(". ");
            }
        }
        int zeros = 0;
        for (byte b : diskPage) {
            zeros += b == 0 ? 1 : 0;
        }
        sb.append("The page on disk has ").append(zeros).append(" zero bytes. ");
        return sb.toString();
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (hay[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /**
     * Checks one file after a kill.
     *
     * @return bytes verified
     */
    private static long verify(int f, byte[][] bases, byte[] disk, long roundSeed, Outcome outcome, String context) {
        byte[] base = bases[f];
        byte[] synced = Arrays.copyOf(base, FILE_BYTES);
        long syncedSize = base.length;
        List<CrashWorkload.Write> uncertain = new ArrayList<>();
        for (long g = 0; g <= outcome.lastBegun; g++) {
            StringBuilder ranges = new StringBuilder();
            for (CrashWorkload.Write w : CrashWorkload.plan(roundSeed, g, FILES, FILE_BYTES, PAGE)) {
                if (w.file() != f) {
                    continue;
                }
                ranges.append(ranges.isEmpty() ? "" : ",")
                        .append(w.position())
                        .append('+')
                        .append(w.data().length);
                if (g <= outcome.lastAck[f]) {
                    System.arraycopy(w.data(), 0, synced, w.position(), w.data().length);
                    syncedSize = Math.max(syncedSize, w.position() + w.data().length);
                } else {
                    uncertain.add(w);
                }
            }
            String expectedLine = "SYNC " + g + " " + f + " " + (ranges.isEmpty() ? "-" : ranges);
            if (g <= outcome.lastAck[f] && !outcome.syncLines().contains(expectedLine)) {
                fail(context + ": the child's report does not match the plan: expected \"" + expectedLine + "\"");
            }
        }
        long maxSize = syncedSize;
        for (CrashWorkload.Write w : uncertain) {
            maxSize = Math.max(maxSize, w.position() + w.data().length);
        }
        assertTrue(
                disk.length >= syncedSize,
                context + ": file " + f + " is " + disk.length + " bytes, but " + syncedSize + " were synced");
        assertTrue(
                disk.length <= maxSize,
                context + ": file " + f + " is " + disk.length + " bytes, more than anything written (" + maxSize
                        + ")");
        for (int j = 0; j < disk.length; j++) {
            if (disk[j] == synced[j]) {
                continue;
            }
            boolean explained = false;
            for (CrashWorkload.Write w : uncertain) {
                int at = j - w.position();
                if (at >= 0 && at < w.data().length && w.data()[at] == disk[j]) {
                    explained = true;
                    break;
                }
            }
            if (!explained) {
                fail(context + ": file " + f + " byte " + j + " (page " + j / PAGE + ") is " + disk[j] + " but "
                        + synced[j] + " was synced (generation " + outcome.lastAck[f] + "), and no write in flight "
                        + "explains it: a synced byte was lost or overwritten. "
                        + origin(f, j, disk[j], synced[j], base, roundSeed, outcome) + " "
                        + whereFrom(f, j, disk, synced, bases, roundSeed, outcome, context));
            }
        }
        return disk.length;
    }
}
