package betalab.app;

import betalab.api.registry.Registry;
import betalab.api.tensor.Backends;
import betalab.lm.sft.SftTraining;
import betalab.training.Config;
import betalab.training.RunDirectory;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code betalab sft}: supervised fine-tuning of the transformer policy on a text corpus. */
@Command(name = "sft", mixinStandardHelpOptions = true,
        description = "Train the transformer policy on a text corpus by next-token cross-entropy; writes a run "
                + "directory (resolved config, metrics, summary, provenance, checkpoint) and, when done, a Hugging "
                + "Face model directory model/ in it (config.json, model.safetensors, tokenizer.json).")
final class SftCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @ArgGroup(multiplicity = "1")
    private Source source;

    static final class Source {
        @Option(names = "--config", description = "the run's config, YAML or JSON (see examples/sft.yaml)")
        Path config;

        @Option(names = "--resume", paramLabel = "RUN_DIR",
                description = "continue the run in this directory from its latest checkpoint")
        Path resume;
    }

    @Option(names = "--out", description = "run directory for a new run (default: runs/<config name>-<time>)")
    private Path out;

    @Option(names = "--backend", description = "tensor backend by name (default: the highest-priority one; "
            + "a resumed run keeps its own)")
    private String backend;

    @Override
    public Integer call() {
        if (source.resume != null) {
            RunOutput.restoreSetUp(spec, source.resume, out, backend);
        } else if (backend != null) {
            Backends.use(Backends.named(backend));
        }
        PrintWriter stdout = spec.commandLine().getOut();
        Registry registry = Registry.discover();
        RunDirectory.Summary summary;
        if (source.resume != null) {
            summary = SftTraining.resume(registry, source.resume, stdout);
        } else {
            Config config = SftTraining.read(source.config, registry);
            summary = SftTraining.train(registry, config, RunOutput.newRunDirectory(out, source.config), Integer.MAX_VALUE,
                    stdout);
        }
        RunOutput.printSummary(stdout, summary);
        return 0;
    }
}
