package betalab.data.fit;

import betalab.api.registry.Extension;
import com.google.inject.AbstractModule;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Builds examples/plugin into a jar as its own pom does, with the JDK's javac and jar tools against
 * the betalab API this test runs with: no Maven, no network.
 */
final class ExamplePlugin {
    /** The plugin's sources, from the data module's folder (where tests run). */
    static final Path SOURCES = Path.of("../../examples/plugin/src/main");

    private ExamplePlugin() {
    }

    /**
     * The plugin as a jar in {@code dir}: a modular one (module-info included, compiled against
     * modules) or a plain one (module-info left out, found through META-INF/services alone).
     */
    static Path jar(Path dir, boolean modular) throws IOException {
        String kind = modular ? "modular" : "plain";
        Path classes = Files.createDirectories(dir.resolve(kind));
        List<String> args = new ArrayList<>(List.of(modular ? "--module-path" : "--class-path", apiPath(),
                "-d", classes.toString(), "-Xlint:all", "-Werror"));
        try (Stream<Path> files = Files.walk(SOURCES.resolve("java"))) {
            files.filter(f -> f.toString().endsWith(".java"))
                    .filter(f -> modular || !f.endsWith("module-info.java"))
                    .forEach(f -> args.add(f.toString()));
        }
        run("javac", args);
        Path jar = dir.resolve("example-plugin-" + kind + ".jar");
        run("jar", List.of("--create", "--file", jar.toString(), "-C", classes.toString(), ".",
                "-C", SOURCES.resolve("resources").toString(), "."));
        return jar;
    }

    /**
     * A plain plugin jar made of one extension class, {@code className}, with this source: for plugins
     * that misbehave on purpose.
     */
    static Path plainJar(Path dir, String className, String source) throws IOException {
        Path src = Files.createDirectories(dir.resolve("src-" + className));
        Path file = src.resolve(className.substring(className.lastIndexOf('.') + 1) + ".java");
        Files.writeString(file, source);
        Path classes = Files.createDirectories(dir.resolve("classes-" + className));
        run("javac", List.of("--class-path", apiPath(), "-d", classes.toString(), file.toString()));
        Path services = Files.createDirectories(classes.resolve("META-INF/services"));
        Files.writeString(services.resolve(Extension.class.getName()), className + "\n");
        Path jar = dir.resolve(className + ".jar");
        run("jar", List.of("--create", "--file", jar.toString(), "-C", classes.toString(), "."));
        return jar;
    }

    /** Where the API and what it exposes (Guice, jakarta.inject) and requires (SLF4J) were loaded from. */
    private static String apiPath() {
        return Stream.of(Extension.class, AbstractModule.class, jakarta.inject.Inject.class, slf4j())
                .map(c -> {
                    try {
                        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
                    } catch (URISyntaxException e) {
                        throw new IllegalStateException(e);
                    }
                })
                .collect(Collectors.joining(File.pathSeparator));
    }

    /** SLF4J's API, found by name: this module needs it on the plugin's path but does not read it. */
    private static Class<?> slf4j() {
        try {
            return Class.forName("org.slf4j.Logger", false, Extension.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void run(String tool, List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        int code = ToolProvider.findFirst(tool).orElseThrow().run(print, print, args.toArray(String[]::new));
        if (code != 0) {
            throw new IllegalStateException(tool + " failed (" + code + "):\n" + out.toString(StandardCharsets.UTF_8));
        }
    }
}
