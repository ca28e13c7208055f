package org.pagecache.jmh.sim;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Seeded synthetic page-access traces for a cache of {@code c} frames. Every family is a pure function of its
 * parameters and seed, so the simulated policies and the replay through the real cache see the same accesses.
 */
public final class Traces {
    private Traces() {}

    /** A named trace: page indices in access order, and how many distinct pages the file needs. */
    public record Trace(String name, int[] pages, int filePages) {}

    /** A loop over {@code factor * c} pages, repeated. */
    public static Trace loop(int c, double factor, int length) {
        int n = (int) (c * factor);
        int[] t = new int[length];
        for (int i = 0; i < length; i++) {
            t[i] = i % n;
        }
        return new Trace("loop " + factor + "x", t, n);
    }

    /**
     * A hot set of {@code c/2} pages, each access to it (uniform) followed by {@code scanPerHot} accesses of a
     * sequential scan over the rest of a file of {@code fileFactor * c} pages.
     */
    public static Trace hotScan(int c, int scanPerHot, int fileFactor, int length, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int hot = c / 2;
        int file = c * fileFactor;
        int[] t = new int[length];
        int scan = hot;
        for (int i = 0; i < length; ) {
            t[i++] = r.nextInt(hot);
            for (int k = 0; k < scanPerHot && i < length; k++) {
                t[i++] = scan;
                scan = scan + 1 < file ? scan + 1 : hot;
            }
        }
        return new Trace("hot c/2 + scan " + scanPerHot + ":1", t, file);
    }

    /** Zipf(s) over {@code fileFactor * c} pages, ranks scattered over the file by a seeded permutation. */
    public static Trace zipf(int c, double s, int fileFactor, int length, long seed) {
        int n = c * fileFactor;
        SplittableRandom r = new SplittableRandom(seed);
        double[] cdf = zipfCdf(n, s);
        int[] perm = permutation(n, r);
        int[] t = new int[length];
        for (int i = 0; i < length; i++) {
            t[i] = perm[sample(cdf, r.nextDouble())];
        }
        return new Trace("zipf " + s + " over " + fileFactor + "x", t, n);
    }

    /**
     * A working set of {@code c/2} contiguous pages (uniform accesses) that jumps to a random place of a file of
     * {@code fileFactor * c} pages every {@code period} accesses, with a share {@code noise} of uniform accesses
     * over the whole file.
     */
    public static Trace moving(int c, int fileFactor, int period, double noise, int length, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = c * fileFactor;
        int ws = c / 2;
        int base = r.nextInt(n - ws);
        int[] t = new int[length];
        for (int i = 0; i < length; i++) {
            if (i > 0 && i % period == 0) {
                base = r.nextInt(n - ws);
            }
            t[i] = r.nextDouble() < noise ? r.nextInt(n) : base + r.nextInt(ws);
        }
        return new Trace("moving c/2 + " + (int) (noise * 100) + "% noise", t, n);
    }

    /**
     * B-tree point lookups: a root, {@code fanout} inner pages, {@code fanout^2} leaves chosen by Zipf(s); each
     * lookup reads root, inner page, leaf.
     */
    public static Trace btree(int fanout, double s, int length, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int leaves = fanout * fanout;
        double[] cdf = zipfCdf(leaves, s);
        int[] perm = permutation(leaves, r);
        int[] t = new int[length];
        for (int i = 0; i + 2 < length; i += 3) {
            int leaf = perm[sample(cdf, r.nextDouble())];
            t[i] = 0;
            t[i + 1] = 1 + leaf / fanout;
            t[i + 2] = 1 + fanout + leaf;
        }
        return new Trace(
                "b-tree lookups (zipf " + s + " leaves)", Arrays.copyOf(t, length - length % 3), 1 + fanout + leaves);
    }

    private static double[] zipfCdf(int n, double s) {
        double[] cdf = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += 1 / Math.pow(i + 1, s);
            cdf[i] = sum;
        }
        for (int i = 0; i < n; i++) {
            cdf[i] /= sum;
        }
        return cdf;
    }

    private static int sample(double[] cdf, double u) {
        int i = Arrays.binarySearch(cdf, u);
        return Math.min(cdf.length - 1, i >= 0 ? i : -i - 1);
    }

    private static int[] permutation(int n, SplittableRandom r) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int x = p[i];
            p[i] = p[j];
            p[j] = x;
        }
        return p;
    }
}
