/**
 * The embedding example as a modular application: it requires the cache's module, which brings the API's with
 * it. {@code java --module-path <jars> -m org.pagecache.example/org.pagecache.example.Demo} runs the demo.
 */
module org.pagecache.example {
    requires org.pagecache.offheap;
}
