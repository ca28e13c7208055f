/**
 * Frames and the protocol of their state words: internal to the cache, public only because the engine's other
 * packages use it and so that the jcstress module ({@code pagecache-jcstress}) runs the engine's own methods
 * (and {@code pagecache-jmh} measures them). Not an API: names and signatures change without notice. The module
 * {@code org.pagecache.offheap} does not export it; those tools use the engine from the class path.
 *
 * <ul>
 *   <li>{@link org.pagecache.offheap.frame.FrameTable}: the frame memory, one 64-bit state word and one page index
 *       per frame (the word's layout is drawn there), and every operation the engine performs on a state word:
 *       the page lock, pins, binding, bound-to checks and lock-if-bound, the optimistic stamp and its
 *       validation, the write-back check, claim and completion, and eviction's way in. Code outside this package
 *       calls these instead of masking bits or compare-and-setting words itself.</li>
 *   <li>{@link org.pagecache.offheap.frame.FrameState}: questions about a state word already loaded (locked? dirty?
 *       busy?), the stamp of an optimistic read, and {@code describe} for messages and assertions.</li>
 *   <li>{@link org.pagecache.offheap.frame.WaitTable}: where threads wait for a page lock (hashed buckets, like the
 *       kernel's page wait queues).</li>
 *   <li>{@link org.pagecache.offheap.frame.TranslationTable}: a file's page index to frame map, read without
 *       locks.</li>
 * </ul>
 */
package org.pagecache.offheap.frame;
