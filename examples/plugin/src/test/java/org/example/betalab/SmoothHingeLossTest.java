package org.example.betalab;

import betalab.api.preference.PreferenceLoss;
import betalab.api.registry.Settings;
import betalab.api.testkit.PreferenceLossConformance;

/** smooth_hinge against betalab's conformance kit for losses. */
class SmoothHingeLossTest extends PreferenceLossConformance {
    @Override
    protected PreferenceLoss create() {
        return new SmoothHingeLoss(Settings.defaults("smooth_hinge", SmoothHingeLoss.KNOBS));
    }
}
