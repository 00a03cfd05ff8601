package betalab.api.registry;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A plugin is never silently shadowed by another copy of itself: two jars that provide the same thing are refused. */
class PluginJarsTest {
    @TempDir
    Path tmp;

    /** A jar holding these entries (name, then bytes). */
    private Path jar(String name, Object... entries) throws IOException {
        Path jar = tmp.resolve(name);
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file)) {
            for (int i = 0; i < entries.length; i += 2) {
                out.putNextEntry(new JarEntry((String) entries[i]));
                out.write((byte[]) entries[i + 1]);
                out.closeEntry();
            }
        }
        return jar;
    }

    private static byte[] services(String line) {
        return (line + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** module-info.class of an empty module, compiled here. */
    private byte[] moduleInfo(String module) throws IOException {
        Path src = Files.createDirectories(tmp.resolve("src-" + module));
        Files.writeString(src.resolve("module-info.java"), "module " + module + " { }");
        Path out = tmp.resolve("out-" + module);
        int rc = ToolProvider.findFirst("javac").orElseThrow().run(System.out, System.err, "-d", out.toString(),
                src.resolve("module-info.java").toString());
        if (rc != 0) {
            throw new IllegalStateException("javac failed");
        }
        return Files.readAllBytes(out.resolve("module-info.class"));
    }

    @Test
    void twoJarsListingTheSameExtensionAreRefusedNamingBoth() throws IOException {
        String entry = "META-INF/services/" + Extension.class.getName();
        // The class itself is never loaded: the jars are refused from their listings.
        String cls = "org/example/ShadowedExtension.class";
        Path one = jar("plugin-1.0.jar", entry, services("org.example.ShadowedExtension"), cls, new byte[0]);
        Path two = jar("plugin-1.1.jar", entry, services("org.example.ShadowedExtension"), cls, new byte[0]);
        assertThatThrownBy(() -> Extensions.discover(List.of(one, two)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("plugins " + one.toRealPath() + " and " + two + " both provide "
                        + "org.example.ShadowedExtension; keep one of them");
    }

    @Test
    void twoJarsProvidingTheSameModuleAreRefused() throws IOException {
        byte[] info = moduleInfo("org.example.twice");
        Path one = jar("twice-1.jar", "module-info.class", info);
        Path two = jar("twice-2.jar", "module-info.class", info);
        assertThatThrownBy(() -> Extensions.discover(List.of(one, two)))
                .hasMessageContaining("both provide module 'org.example.twice'");
    }

    @Test
    void aPluginMayNotReplaceOneOfBetalabsModules() throws IOException {
        Path fake = jar("fake-api.jar", "module-info.class", moduleInfo("betalab.api"));
        assertThatThrownBy(() -> Extensions.discover(List.of(fake)))
                .hasMessage("plugin " + fake + " provides module 'betalab.api', which betalab already has; "
                        + "rename the plugin's module");
    }
}
