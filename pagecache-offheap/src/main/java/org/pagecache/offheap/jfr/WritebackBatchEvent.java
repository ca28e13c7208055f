package org.pagecache.offheap.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** One vectored write of a run of file-adjacent dirty pages. Its duration is the I/O's. */
@Name("org.pagecache.WritebackBatch")
@Label("Writeback Batch")
@Category({"pagecache"})
@Description("One vectored write of a run of file-adjacent dirty pages")
@StackTrace(false)
public final class WritebackBatchEvent extends jdk.jfr.Event {
    /** The file. */
    @Label("File")
    public String file;

    /** The first page of the run. */
    @Label("First Page")
    public long firstPage;

    /** Pages in the run. */
    @Label("Pages")
    public int pages;

    /** Bytes written. */
    @Label("Bytes")
    @DataAmount
    public long bytes;

    /** Whether the write succeeded (if not, the pages stay dirty). */
    @Label("Succeeded")
    public boolean succeeded;
}
