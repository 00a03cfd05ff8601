/**
 * Sweeps: a base config varied over methods, grids, zips, lists and seeds, its runs in parallel and
 * resumable, with t-based intervals, paired comparisons, plots and an offline report. The only
 * module that draws (JFreeChart, through AWT, headless).
 */
module betalab.sweep {
    requires transitive betalab.training;
    requires betalab.seed;
    requires org.slf4j;
    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.yaml;
    requires org.jfree.jfreechart;
    requires java.desktop;

    exports betalab.sweep;

    // Engines other than the in-process pool (Spark's) are found by name, and only when asked for.
    uses betalab.sweep.SweepEngine.Provider;
}
