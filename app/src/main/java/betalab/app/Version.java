package betalab.app;

import betalab.training.Provenance;
import picocli.CommandLine.IVersionProvider;

/** The version from the build's manifest. */
final class Version implements IVersionProvider {

    @Override
    public String[] getVersion() {
        return new String[] {"betalab " + Provenance.version()};
    }
}
