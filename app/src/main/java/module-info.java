/**
 * The betalab command line. It names no implementation: losses, β schemes and optimizers come
 * from whatever extensions the module or class path provides.
 */
module betalab.app {
    requires betalab.api;
    requires betalab.experiments;
    requires info.picocli;
    requires org.slf4j;
    requires com.fasterxml.jackson.databind;

    opens betalab.app to info.picocli;
}
