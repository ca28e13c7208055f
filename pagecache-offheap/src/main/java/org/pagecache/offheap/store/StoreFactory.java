package org.pagecache.offheap.store;

import java.io.IOException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Set;

/**
 * Opens the {@link BackingStore} of a file. The default ({@link #defaultFactory()}) opens the real store, a
 * {@link FileChannelStore}; tests configure a fault-injecting one, often wrapping the default, with
 * {@code OffHeapPageCache.builder().storeFactory(..)}.
 */
@FunctionalInterface
public interface StoreFactory {

    /**
     * @param file    the file
     * @param options validated {@link java.nio.file.StandardOpenOption}s (and {@code ExtendedOpenOption.DIRECT} if
     *                direct I/O was asked for); always includes {@code READ}
     * @return the opened store
     */
    BackingStore open(Path file, Set<OpenOption> options) throws IOException;

    /**
     * @return the factory of the real store: a {@link FileChannelStore} (positional I/O that survives interrupts of the threads using it), or with
     *         {@code ExtendedOpenOption.DIRECT} (see {@link DirectIo}) among the options a {@link DirectStore} on two of them
     */
    static StoreFactory defaultFactory() {
        return (file, options) -> options.stream().anyMatch(DirectIo::isDirect)
                ? DirectStore.open(file, options, FileChannelStore::open)
                : FileChannelStore.open(file, options);
    }
}
