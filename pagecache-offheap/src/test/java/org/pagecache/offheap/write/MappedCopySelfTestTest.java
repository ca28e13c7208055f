package org.pagecache.offheap.write;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start-up self-test that decides between the native barrier and the kernel copy: on this JVM it must see
 * faults raised in compiled code thrown inside the {@code try}; it must fail when a fault escapes the routine; and
 * the decision rule must pick the kernel copy whenever the self-test saw anything wrong. (That compiled code
 * without the barrier does let faults escape is shown by {@link TruncationStormTest#stormCatchesACopyWithoutBarrier}.)
 */
class MappedCopySelfTestTest {

    /** Long enough for the probe to be JIT-compiled on a loaded machine. */
    private static final long GENEROUS_BUDGET = TimeUnit.SECONDS.toNanos(30);

    @Test
    void selfTestSeesFaultsFromCompiledCodeThrownInsideTheTry() {
        MappedCopySelfTest.Result result =
                MappedCopySelfTest.run(MappedCopySelfTest.ProbeKind.BARRIER, GENEROUS_BUDGET);
        System.out.println("self-test with the barrier: " + result);
        assertEquals("", result.failure(), result.toString());
        assertTrue(
                result.compiledFaultsCaughtInside() > 0,
                "the probe ran compiled and a fault it left pending was thrown inside the try: " + result);
        assertTrue(MappedSourceCopy.decideFrom(result, false).barrier(), "chosen on any VM after that");
    }

    @Test
    void selfTestFailsWhenAFaultEscapesTheCopyRoutine() {
        MappedCopySelfTest.Result result = MappedCopySelfTest.run(MappedCopySelfTest.ProbeKind.NO_TRY, GENEROUS_BUDGET);
        System.out.println("self-test with a routine that lets faults out: " + result);
        assertEquals("a fault escaped the try around the copy", result.failure(), result.toString());
        MappedSourceCopy.Decision decision = MappedSourceCopy.decideFrom(result, true);
        assertFalse(decision.barrier(), "a failed self-test must choose the kernel copy: " + decision);
        assertEquals(MappedSourceCopy.KERNEL_COPY, decision.mechanism());
    }

    @Test
    void selfTestWithoutTheBarrierNeverSeesTheBarrierDeliver() {
        // compiled code may throw the fault at the return of a compiled callee of the copy (inside the try) or
        // let it escape (a failure); what it can never do without a barrier is deliver at the barrier
        MappedCopySelfTest.Result result =
                MappedCopySelfTest.run(MappedCopySelfTest.ProbeKind.NO_BARRIER, TimeUnit.SECONDS.toNanos(2));
        System.out.println("self-test without the barrier: " + result);
        assertEquals(0, result.barrierDeliveries(), result.toString());
        assertTrue(
                result.failure().isEmpty() || result.failure().equals("a fault escaped the try around the copy"),
                result.toString());
    }

    @Test
    void selfTestThatCannotRunChoosesTheKernelCopy(@TempDir Path dir) {
        String tmp = System.getProperty("java.io.tmpdir");
        MappedCopySelfTest.Result result;
        try {
            System.setProperty("java.io.tmpdir", dir.resolve("missing").toString());
            result = MappedCopySelfTest.run(MappedCopySelfTest.ProbeKind.BARRIER, GENEROUS_BUDGET);
        } finally {
            System.setProperty("java.io.tmpdir", tmp);
        }
        assertTrue(result.failure().startsWith("could not run"), result.toString());
        MappedSourceCopy.Decision decision = MappedSourceCopy.decideFrom(result, true);
        assertEquals(MappedSourceCopy.KERNEL_COPY, decision.mechanism(), decision.reason());
    }

    @Test
    void decisionRule() {
        var failed = new MappedCopySelfTest.Result(3, 1, 1, 5, 3000, 1, 2, "a fault escaped");
        var confirmed = new MappedCopySelfTest.Result(3, 0, 1, 4, 3000, 1, 2, "");
        var confirmedInCopy = new MappedCopySelfTest.Result(3, 2, 0, 5, 3000, 1, 2, "");
        var inconclusive = new MappedCopySelfTest.Result(3, 0, 0, 3, 3000, 1, 2, "");
        assertFalse(MappedSourceCopy.decideFrom(failed, true).barrier(), "failure beats HotSpot");
        assertTrue(MappedSourceCopy.decideFrom(confirmed, false).barrier(), "seen working is enough anywhere");
        assertTrue(MappedSourceCopy.decideFrom(confirmedInCopy, false).barrier(), "caught inside is enough too");
        assertTrue(MappedSourceCopy.decideFrom(inconclusive, true).barrier(), "HotSpot with C2: measured by storms");
        assertFalse(MappedSourceCopy.decideFrom(inconclusive, false).barrier(), "unknown VM, unseen: kernel copy");
        assertTrue(MappedSourceCopy.decideFrom(failed, true).reason().contains("a fault escaped"));
    }

    @Test
    void propertyForcesTheMechanismAndRejectsUnknownValues() {
        assertEquals(
                MappedSourceCopy.KERNEL_COPY, MappedSourceCopy.decide("kernel").mechanism());
        assertEquals(
                MappedSourceCopy.KERNEL_COPY,
                MappedSourceCopy.decide("kernel-copy").mechanism());
        assertEquals(
                MappedSourceCopy.NATIVE_BARRIER,
                MappedSourceCopy.decide(" Barrier ").mechanism());
        assertTrue(MappedSourceCopy.decide("barrier").reason().contains(MappedSourceCopy.MECHANISM_PROPERTY));
        IllegalArgumentException bad =
                assertThrows(IllegalArgumentException.class, () -> MappedSourceCopy.decide("kernal"));
        assertTrue(
                bad.getMessage().contains(MappedSourceCopy.MECHANISM_PROPERTY)
                        && bad.getMessage().contains("kernal"),
                bad.getMessage());
    }

    @Test
    void automaticChoiceOnThisJvmIsTheBarrier() {
        MappedSourceCopy.Decision decision = MappedSourceCopy.decide("auto");
        System.out.println("automatic choice: " + decision);
        assertTrue(decision.barrier(), "JDK 25 HotSpot passes the self-test: " + decision.reason());
        assertEquals(MappedSourceCopy.NATIVE_BARRIER, decision.mechanism());
    }
}
