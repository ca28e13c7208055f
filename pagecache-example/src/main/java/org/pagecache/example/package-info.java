/**
 * A small storage engine built on the page cache, to read and to copy from: {@link org.pagecache.example.RecordTable},
 * a hash table of records read and updated in place through page guards, bulk-imported from memory-mapped files
 * through the cache's fault-safe write path, and committed with {@code sync()}. {@link org.pagecache.example.Demo}
 * runs it.
 */
package org.pagecache.example;
