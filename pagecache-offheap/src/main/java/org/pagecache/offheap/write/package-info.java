/**
 * The write path's helpers: internal to the cache, public only because the engine's package uses them and the
 * JMH module ({@code pagecache-jmh}) measures them. Not an API: names and signatures change without notice; the
 * module {@code org.pagecache.offheap} does not export it (the JMH module uses the engine from the class path). The write path itself and its invariants W1–W5 are in
 * {@code CachedFile} and docs/write-path.md.
 *
 * <ul>
 *   <li>{@link org.pagecache.offheap.write.TempPagePool}: temporary pages of their own arena, into which a source
 *       that can fault is copied with no page lock held (W1); it never waits.</li>
 *   <li>{@link org.pagecache.offheap.write.MappedSourceCopy}: the copy from an OS-mapped source behind a fault
 *       barrier, with {@link org.pagecache.offheap.write.KernelPipeCopy} (the kernel copies through a pipe)
 *       behind it and {@link org.pagecache.offheap.write.MappedCopySelfTest} proving the barrier at start-up.</li>
 * </ul>
 */
package org.pagecache.offheap.write;
