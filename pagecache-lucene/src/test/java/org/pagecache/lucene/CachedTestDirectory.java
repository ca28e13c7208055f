package org.pagecache.lucene;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.lucene.store.LockFactory;

/**
 * The directory Lucene's {@code newDirectory()} makes in this module's suites ({@code -Dtests.directory}, set in
 * the pom): a {@link PageCacheDirectory} on the running suite's cache.
 */
public final class CachedTestDirectory extends PageCacheDirectory {
    public CachedTestDirectory(Path path, LockFactory lockFactory) throws IOException {
        super(path, lockFactory, CacheFixtures.current());
    }
}
