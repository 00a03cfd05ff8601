package org.example.betalab;

import betalab.api.preference.BetaEstimator;
import betalab.api.registry.Settings;
import betalab.api.testkit.BetaEstimatorConformance;

/** bounded_tanh against betalab's conformance kit for β schemes. */
class BoundedTanhBetaTest extends BetaEstimatorConformance {
    @Override
    protected BetaEstimator create(BetaEstimator.Context context) {
        return new BoundedTanhBeta(Settings.defaults("bounded_tanh", BoundedTanhBeta.KNOBS), context);
    }
}
