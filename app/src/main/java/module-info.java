/**
 * The betalab command line: picocli over the experiments. It names no implementation: losses, β
 * schemes, policies, optimizers and tasks come from whatever extensions the module or class path provides.
 */
module betalab.app {
    requires betalab.api;
    requires betalab.training;
    requires betalab.seed;
    requires betalab.data;
    requires betalab.lm;
    requires betalab.sweep;
    requires info.picocli;
    requires org.slf4j;
    requires com.fasterxml.jackson.databind;

    opens betalab.app to info.picocli;
}
