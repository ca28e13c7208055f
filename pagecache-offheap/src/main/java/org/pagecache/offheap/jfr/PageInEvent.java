package org.pagecache.offheap.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A page read into a frame from its file (or zero-filled past its end). Its duration is the I/O's. */
@Name("org.pagecache.PageIn")
@Label("Page In")
@Category({"pagecache"})
@Description("A page read into a frame from its file, or zero-filled past the end of the file")
@StackTrace(false)
public final class PageInEvent extends jdk.jfr.Event {
    /** The file. */
    @Label("File")
    public String file;

    /** The page index. */
    @Label("Page Index")
    public long pageIndex;

    /** Bytes read from the file (less than a page at its end; 0 past it). */
    @Label("Bytes Read")
    @DataAmount
    public long bytesRead;
}
