package betalab.training;

import betalab.api.registry.Registry;
import betalab.api.tensor.Backends;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.module.ModuleFinder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;

/**
 * What produced a result: the code (version, commit, whether the tree had uncommitted changes), the
 * platform, the tensor backend and the extensions loaded, plugin jars with their versions and
 * SHA-256 — enough to rerun it the same way, and for a resume to refuse a different set-up.
 */
public final class Provenance {
    /** Set by the launcher to the source tree's commit, when it has one. */
    public static final String COMMIT_PROPERTY = "betalab.commit";
    /** Set by the launcher to "true" when the source tree had uncommitted changes, "false" when clean. */
    public static final String DIRTY_PROPERTY = "betalab.dirty";

    private Provenance() {
    }

    /** The provenance of a run built with this registry. */
    public static Map<String, Object> of(Registry registry) {
        Map<String, Object> p = of(registry.extensions());
        List<Map<String, Object>> plugins = new ArrayList<>();
        for (Path jar : registry.pluginJars()) {
            plugins.add(plugin(jar));
        }
        p.put("plugins", plugins);
        return p;
    }

    public static Map<String, Object> of(List<String> extensions) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("betalab_version", version());
        p.put("git_commit", System.getProperty(COMMIT_PROPERTY, "unknown"));
        p.put("source_dirty", System.getProperty(DIRTY_PROPERTY, "unknown"));
        p.put("java_version", System.getProperty("java.version"));
        p.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        p.put("backend", Backends.current().name());
        p.put("backend_kernels", Backends.current().describe());
        p.put("extensions", extensions);
        return p;
    }

    /** A plugin jar: its path, file name, version (module's or manifest's) and SHA-256. */
    public static Map<String, Object> plugin(Path jar) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("path", jar.toAbsolutePath().toString());
        p.put("file", jar.getFileName().toString());
        p.put("version", pluginVersion(jar));
        p.put("sha256", sha256(jar));
        return p;
    }

    private static String pluginVersion(Path jar) {
        var module = ModuleFinder.of(jar).findAll().stream().findFirst();
        var raw = module.flatMap(m -> m.descriptor().rawVersion());
        if (raw.isPresent()) {
            return raw.get();
        }
        try (JarFile file = new JarFile(jar.toFile())) {
            var manifest = file.getManifest();
            String v = manifest == null ? null : manifest.getMainAttributes().getValue("Implementation-Version");
            return v == null ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The SHA-256 of a file's bytes, in hex; a missing file fails with one line naming it. */
    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + RunFiles.reason(e), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The version in this jar's manifest, or "development" when run from classes. */
    public static String version() {
        String v = Provenance.class.getPackage().getImplementationVersion();
        return v == null ? "development" : v;
    }
}
