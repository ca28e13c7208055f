/**
 * JDK Flight Recorder events of the cache, all in the category "pagecache": {@code org.pagecache.PageIn},
 * {@code org.pagecache.EvictionBatch}, {@code org.pagecache.WritebackBatch} and {@code org.pagecache.SourceFault}.
 * They cost nothing unless a recording enables them, e.g.
 * {@code jcmd <pid> JFR.start name=pc settings=profile} or {@code -XX:StartFlightRecording}.
 */
package org.pagecache.offheap.jfr;
