/**
 * The public API of pagecache: {@link org.pagecache.api.PageCache} and the types it hands out. The
 * implementation is in module {@code org.pagecache.offheap}, which requires this one transitively, so an
 * application requires only that:
 *
 * <pre>{@code
 * module com.example.store {
 *     requires org.pagecache.offheap;
 * }
 * }</pre>
 */
module org.pagecache.api {
    exports org.pagecache.api;
}
