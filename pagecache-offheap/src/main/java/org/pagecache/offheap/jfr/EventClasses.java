package org.pagecache.offheap.jfr;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Initializes the cache's event classes off the I/O path. The first initialization of a JFR event class in a JVM
 * sets up JFR's type metadata, which takes hundreds of milliseconds (measured: 0.2 to 0.8 s on 2 cores); done
 * lazily it lands on the first page-in of the first cache, as one read that is a thousand times slower than the
 * rest. {@link #initializeInBackground()} does it once per JVM on a daemon thread when a cache is built, so the
 * first I/O either finds the classes ready or waits only for what remains of their initialization.
 */
public final class EventClasses {
    private static final AtomicBoolean STARTED = new AtomicBoolean();
    private static volatile boolean initialized;

    private EventClasses() {}

    /** Starts the initialization of every event class, once per JVM; returns at once. */
    public static void initializeInBackground() {
        if (!STARTED.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(EventClasses::initialize, "pagecache-jfr-init");
        t.setDaemon(true);
        t.start();
    }

    /** Initializes every event class on the calling thread. */
    static void initialize() {
        for (Class<?> c : new Class<?>[] {
            PageInEvent.class, EvictionBatchEvent.class, WritebackBatchEvent.class, SourceFaultEvent.class
        }) {
            try {
                Class.forName(c.getName(), true, c.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                // an event class that cannot be initialized fails again, visibly, where it is used
            }
        }
        initialized = true;
    }

    /** @return whether the background initialization has finished */
    public static boolean initialized() {
        return initialized;
    }
}
