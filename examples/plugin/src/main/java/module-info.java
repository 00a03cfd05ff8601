/**
 * An example betalab plugin. It sees betalab's API only, and declares its Guice module as an
 * Extension here (read when the jar runs as a module) and in
 * META-INF/services/betalab.api.registry.Extension (read when it runs on the class path).
 */
module org.example.betalab {
    requires betalab.api;

    provides betalab.api.registry.Extension with org.example.betalab.ExampleExtension;
}
