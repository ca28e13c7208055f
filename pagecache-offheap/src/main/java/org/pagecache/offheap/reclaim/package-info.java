/**
 * Eviction and write-back: internal to the cache, public only because the engine's package
 * ({@code org.pagecache.offheap}) uses it. Not an API: names and signatures change without notice, and the module
 * {@code org.pagecache.offheap} does not export it.
 *
 * <ul>
 *   <li>{@link org.pagecache.offheap.reclaim.Reclaimer}: keeps free frames between two watermarks (an Agrona agent
 *       on its own thread, and direct reclaim by a faulting thread); it only ever tries page locks.</li>
 *   <li>{@link org.pagecache.offheap.reclaim.WriteBack}: writes dirty pages back, one vectored write per run of
 *       file-adjacent pages, for the sweep and for a file's flush and sync.</li>
 *   <li>{@link org.pagecache.offheap.reclaim.QueuePolicy}: the replacement policy (S3-FIFO over the referenced
 *       bit, docs/eviction.md).</li>
 *   <li>{@link org.pagecache.offheap.reclaim.SnapshotPool}: buffers that hold the bytes of a write-back, copied
 *       under the page lock at the claim.</li>
 *   <li>{@link org.pagecache.offheap.reclaim.PageOwner}: what the reclaimer needs of a cached file.</li>
 * </ul>
 */
package org.pagecache.offheap.reclaim;
