package betalab.api.registry;

import java.util.List;

/** What every named implementation tells about itself: one line of description and its knobs. */
public interface Component {
    String description();

    default List<Knob<?>> knobs() {
        return List.of();
    }

    /** The class that defined this component: where {@code betalab list} and provenance say it came from. */
    default Class<?> origin() {
        return getClass();
    }

    /**
     * The named module, or else the jar or folder, that {@link #origin()} was loaded from; a module
     * loaded as a plugin also names its jar.
     */
    default String source() {
        Module module = origin().getModule();
        if (module.isNamed()) {
            ModuleLayer layer = module.getLayer();
            if (layer == null || layer == ModuleLayer.boot()) {
                return module.getName();
            }
            return layer.configuration().findModule(module.getName()).flatMap(m -> m.reference().location())
                    .map(jar -> module.getName() + " (" + jar.getPath() + ")").orElse(module.getName());
        }
        var codeSource = origin().getProtectionDomain().getCodeSource();
        return codeSource == null ? "unknown" : codeSource.getLocation().getPath();
    }
}
