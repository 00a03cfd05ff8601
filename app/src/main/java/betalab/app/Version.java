package betalab.app;

import picocli.CommandLine.IVersionProvider;

/** The version from the jar's manifest (set by the build). */
final class Version implements IVersionProvider {

    static String current() {
        String v = Version.class.getPackage().getImplementationVersion();
        return v == null ? "development" : v;
    }

    @Override
    public String[] getVersion() {
        return new String[] {"betalab " + current()};
    }
}
