package org.pagecache.stress;

import java.io.IOException;

/**
 * A reader: reads ranges of the cached files through the cache (one in five through a {@code MappedView}) and
 * checks every page no writer changed meanwhile against the model. Ranges are sub-page, whole pages, or
 * unaligned across pages; most fall in the hot set, the rest anywhere.
 */
final class ReaderTask extends Worker {

    private static final int MAX_PAGES = 4;
    /** One in this many reads goes through a view. */
    private static final int VIEW_ONE_IN = 5;

    ReaderTask(Workload w, int index, long seed) {
        super(w, "reader-" + index, seed);
    }

    @Override
    void step() throws IOException {
        int pageSize = w.pageSize;
        int f = random.nextInt(handles.length);
        long fileSize = w.options.fileSize;
        long position;
        int length;
        switch (random.nextInt(5)) {
            case 0, 1 -> { // inside one page
                int from = random.nextInt(pageSize);
                position = (long) pickPage() * pageSize + from;
                length = 1 + random.nextInt(pageSize - from);
            }
            case 2, 3 -> { // whole pages
                int pages = 1 + random.nextInt(MAX_PAGES);
                int page = Math.min(pickPage(), w.pagesPerFile - pages);
                position = (long) Math.max(0, page) * pageSize;
                length = (int) Math.min(fileSize - position, (long) pages * pageSize);
            }
            default -> { // unaligned, across pages
                position = (long) pickPage() * pageSize + random.nextInt(pageSize);
                length = (int) Math.min(fileSize - position, 1 + random.nextInt(2 * pageSize));
            }
        }
        readAndCheck("live read", f, position, length, random.nextInt(VIEW_ONE_IN) == 0);
    }
}
