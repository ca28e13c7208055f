/**
 * The public API of pagecache: an off-heap page cache for storage engines, whose buffered write path stays
 * correct when the memory it copies from faults. Start at {@link org.pagecache.api.PageCache}; the
 * implementation is {@code org.pagecache.offheap.OffHeapPageCache}.
 */
package org.pagecache.api;
