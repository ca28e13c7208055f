/**
 * The service provider interface of the files behind the cache. {@link org.pagecache.offheap.store.BackingStore}
 * is what the cache reads pages from, writes them back to and forces; a
 * {@link org.pagecache.offheap.store.StoreFactory}, set with {@code OffHeapPageCache.builder().storeFactory(..)},
 * opens one per file. {@link org.pagecache.offheap.store.FileChannelStore} (positional I/O that survives
 * interrupts, through {@code ChannelReopener}) is the real one and
 * {@link org.pagecache.offheap.store.DirectStore} its {@code O_DIRECT} variant; tests and tools wrap them to
 * inject faults or observe the I/O.
 */
package org.pagecache.offheap.store;
