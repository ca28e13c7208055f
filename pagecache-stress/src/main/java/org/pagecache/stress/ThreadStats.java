package org.pagecache.stress;

import org.HdrHistogram.Histogram;

/**
 * What one worker thread counted: operations and their latencies per kind, source faults, verified bytes.
 * Written by its thread only; read by the main thread after the worker ended (the join orders the two).
 */
final class ThreadStats {

    private static final int SIGNIFICANT_DIGITS = 3;

    final Histogram[] latency = new Histogram[OpKind.values().length];
    final long[] count = new long[OpKind.values().length];
    /** Writes that returned a short count because their source faulted. */
    long shortWrites;
    /** Writes that threw {@code SourceFaultException}. */
    long faultExceptions;
    /** Bytes compared against the model. */
    long verifiedBytes;
    /** Bytes read but not compared because their page was being written by its owner at the time. */
    long skippedBytes;

    ThreadStats() {
        for (int i = 0; i < latency.length; i++) {
            latency[i] = new Histogram(SIGNIFICANT_DIGITS);
        }
    }

    void record(OpKind kind, long nanos) {
        count[kind.ordinal()]++;
        latency[kind.ordinal()].recordValue(Math.max(0, nanos));
    }

    void addTo(ThreadStats total) {
        for (int i = 0; i < latency.length; i++) {
            total.latency[i].add(latency[i]);
            total.count[i] += count[i];
        }
        total.shortWrites += shortWrites;
        total.faultExceptions += faultExceptions;
        total.verifiedBytes += verifiedBytes;
        total.skippedBytes += skippedBytes;
    }
}
