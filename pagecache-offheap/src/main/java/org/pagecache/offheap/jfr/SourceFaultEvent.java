package org.pagecache.offheap.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** A write chunk abandoned because its source faulted. Recorded with the writer's stack trace. */
@Name("org.pagecache.SourceFault")
@Label("Source Fault")
@Category({"pagecache"})
@Description("A write chunk abandoned because its source faulted; the destination was left unchanged")
public final class SourceFaultEvent extends jdk.jfr.Event {
    /** The destination file. */
    @Label("File")
    public String file;

    /** Where in the file the faulting chunk would have gone. */
    @Label("Position")
    public long position;

    /** Bytes of the write completed before the fault. */
    @Label("Bytes Written")
    public long bytesWritten;

    /** What kind of source: "mapped" (an OS-mapped file) or "view" (a MappedView). */
    @Label("Source Kind")
    public String sourceKind;

    /** Why the source faulted. */
    @Label("Reason")
    public String reason;
}
