/**
 * The off-heap page cache: {@link org.pagecache.offheap.OffHeapPageCache}, the implementation of
 * {@link org.pagecache.api.PageCache} (whose module it requires transitively), and the service provider interface
 * of the files behind it ({@code org.pagecache.offheap.store}).
 *
 * <p>The engine's other packages ({@code frame}, {@code reclaim}, {@code write}, {@code jfr}) are internal and not
 * exported. The project's own tools (the jcstress, JMH and stress modules) use them from the class path, where a
 * module's packages are not encapsulated.
 *
 * <p>{@code requires-automatic}: Agrona 2.6.0 has no module descriptor; its manifest gives it the stable automatic
 * module name {@code org.agrona}, which is what the warning is about and what is wanted here.
 */
@SuppressWarnings("requires-automatic")
module org.pagecache.offheap {
    requires transitive org.pagecache.api;
    requires org.agrona;
    requires org.jctools.core;
    // the cache's MXBean: transitive, as OffHeapPageCache#mxBeanName returns a javax.management.ObjectName
    requires transitive java.management;
    // the cache's JDK Flight Recorder events
    requires jdk.jfr;
    // where com.sun.nio.file.ExtendedOpenOption.DIRECT lives: store.DirectIo finds it by name, and this makes sure
    // the module is resolved in a modular application, whether or not the application names it
    requires jdk.unsupported;

    exports org.pagecache.offheap;
    exports org.pagecache.offheap.store;
}
