/**
 * JDK Flight Recorder events of the cache, all in the category "pagecache": {@code org.pagecache.PageIn},
 * {@code org.pagecache.EvictionBatch}, {@code org.pagecache.WritebackBatch} and {@code org.pagecache.SourceFault}.
 * They cost nothing unless a recording enables them, e.g.
 * {@code jcmd <pid> JFR.start name=pc settings=profile} or {@code -XX:StartFlightRecording}.
 *
 * <p>Internal: recordings name the events, not these classes, and the module {@code org.pagecache.offheap} does not
 * export the package.
 */
package org.pagecache.offheap.jfr;
