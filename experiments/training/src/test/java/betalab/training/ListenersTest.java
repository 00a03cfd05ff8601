package betalab.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import betalab.api.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loop's listeners: what rows the metrics logger fills, when evaluations and checkpoints happen. */
class ListenersTest {

    /** Keeps every row the loop produced, after the listeners before it have filled it. */
    static final class Rows implements TrainingListener {
        final Map<Integer, Map<String, Object>> rows = new LinkedHashMap<>();

        @Override
        public void onStepEnd(Progress progress) {
            rows.put(progress.step(), progress.row());
        }
    }

    @Test
    void theLoggerAveragesOverItsIntervalAndClosesOneAtEachEpochEndAndTheLastStep() {
        // No parameters: step k's loss is its target², target = 10·epoch + position; 5 steps an epoch.
        ToyTraining toy = new ToyTraining(false, 5);
        Rows rows = new Rows();
        new Trainer<>(toy, null, 7, List.of(new MetricsLogger(3), rows)).run(0);

        Map<Integer, Map<String, Object>> r = rows.rows;
        assertThat(r.get(0)).containsOnlyKeys("step", "epoch");
        assertThat(r.get(1)).containsOnlyKeys("step", "epoch");
        assertThat(r.get(2)).containsOnlyKeys("step", "epoch");
        // Steps 1–3 (every 3): targets 10, 11, 12; metrics over pairs: steps 1, 2, 3 count 1, 2, 3 pairs.
        assertThat(r.get(3)).containsExactly(entry("step", 3), entry("epoch", 1), entry("loss", 365.0 / 3),
                entry("m/mean", 14.0 / 6));
        assertThat(r.get(4)).containsOnlyKeys("step", "epoch");
        // Steps 4–5 close epoch 1 early.
        assertThat(r.get(5)).containsEntry("loss", 182.5).containsEntry("m/mean", 41.0 / 9);
        assertThat(r.get(6)).containsEntry("loss", 400.0).containsEntry("m/mean", 6.0).containsEntry("epoch", 2);
        // The last step closes its own interval.
        assertThat(r.get(7)).containsEntry("loss", 441.0).containsEntry("m/mean", 7.0);
    }

    @Test
    void theLoggerAveragesGradientNormsMeasuredBeforeTheUpdate() {
        // w = 0.5, lr 0.25: gradients −19 then −11.5 (see TrainerTest), losses 90.25 and 33.0625.
        ToyTraining toy = new ToyTraining(true, 2);
        Rows rows = new Rows();
        new Trainer<>(toy, ToyTraining.sgd(toy.parameters(), 0.25), 2,
                List.of(new GradientClipping(0), new MetricsLogger(2), rows)).run(0);
        assertThat(rows.rows.get(1)).containsOnlyKeys("step", "epoch");
        assertThat(rows.rows.get(2)).containsEntry("loss", (90.25 + 33.0625) / 2)
                .containsEntry("grad_norm", (19 + 11.5) / 2).containsEntry("learning_rate", 0.25);
    }

    @Test
    void theLoggerRefusesAnEmptyInterval() {
        assertThatThrownBy(() -> new MetricsLogger(0)).hasMessageContaining("≥ 1");
    }

    @Test
    void evaluationsComeAtTheStartEveryNStepsAndAtTheLastWithoutGradients() {
        List<Integer> evaluated = new ArrayList<>();
        Evaluation evaluation = new Evaluation(3, true, step -> {
            evaluated.add(step);
            // Nothing an evaluation computes is recorded for gradients.
            Tensor p = Tensor.vector(1.0).asParameter();
            return Map.of("eval/step", step, "eval/recording", p.mul(2.0).requiresGrad() ? 1.0 : 0.0);
        });
        Rows rows = new Rows();
        new Trainer<>(new ToyTraining(false, 4), null, 8, List.of(evaluation, rows)).run(0);
        assertThat(evaluated).containsExactly(0, 3, 6, 8);
        assertThat(rows.rows.get(6)).containsEntry("eval/step", 6).containsEntry("eval/recording", 0.0);
        assertThat(rows.rows.get(7)).doesNotContainKey("eval/step");

        // A run that continues from step 4 does not evaluate its start again; one without a start evaluation neither.
        evaluated.clear();
        new Trainer<>(new ToyTraining(false, 4), null, 8, List.of(evaluation)).run(4);
        assertThat(evaluated).containsExactly(6, 8);
        evaluated.clear();
        new Trainer<>(new ToyTraining(false, 4), null, 8, List.of(new Evaluation(3, false, step -> {
            evaluated.add(step);
            return Map.of();
        }))).run(0);
        assertThat(evaluated).containsExactly(3, 6, 8);
        assertThatThrownBy(() -> new Evaluation(0, true, s -> Map.of())).hasMessageContaining("≥ 1");
    }

    @Test
    void checkpointsAreSavedEveryNStepsAndWhenARunStopsButNotWhenItFails(@TempDir Path dir) {
        ToyTraining.Box box = new ToyTraining.Box(0);
        TrainingListener count = new TrainingListener() {
            @Override
            public void onStepEnd(Progress progress) {
                box.values[0] = progress.step();
            }
        };
        RunDirectory run = RunDirectory.create(dir.resolve("a"), Map.of(), Map.of());
        ToyTraining failing = new ToyTraining(false, 10);
        failing.failAt = 5;
        assertThatThrownBy(() -> new Trainer<>(failing, null, 9, List.of(count, run,
                new Checkpoints(2, run, Map.of("box", box)))).run(0)).hasMessage("step 5: boom");
        // Saved at 2 and 4; the failure at 5 saved nothing.
        assertThat(checkpoint(dir.resolve("a"))).isEqualTo("4 [4.0]");

        RunDirectory stopped = RunDirectory.create(dir.resolve("b"), Map.of(), Map.of());
        new Trainer<>(new ToyTraining(false, 10), null, 9, List.of(count, stopped,
                new Checkpoints(2, stopped, Map.of("box", box)))).run(0, 3);
        assertThat(checkpoint(dir.resolve("b"))).isEqualTo("3 [3.0]");
        assertThatThrownBy(() -> new Checkpoints(0, stopped, Map.of())).hasMessageContaining("≥ 1");
    }

    @Test
    void aCheckpointWaitsForTheRowThatClosesAnOpenLoggingInterval(@TempDir Path dir) {
        ToyTraining.Box box = new ToyTraining.Box(0);
        List<Integer> saved = new ArrayList<>();
        TrainingListener count = new TrainingListener() {
            @Override
            public void onStepEnd(Progress progress) {
                box.values[0] = progress.step();
            }
        };
        RunDirectory run = RunDirectory.create(dir, Map.of(), Map.of());
        MetricsLogger logger = new MetricsLogger(3);
        TrainingListener watch = new TrainingListener() {
            @Override
            public void onStepEnd(Progress progress) {
                Path file = dir.resolve(RunDirectory.CHECKPOINT);
                int step = java.nio.file.Files.exists(file) ? Runs.json(file).get("step").asInt() : 0;
                if (saved.isEmpty() || saved.get(saved.size() - 1) != step) {
                    saved.add(step);
                }
            }
        };
        // Rows at 3 and 6 (every 3); due at 2 and 4, saved at 3 and 6; due at 6, saved there; stopped at 7,
        // inside an open interval: nothing more is saved.
        new Trainer<>(new ToyTraining(false, 10), null, 9, List.of(count, logger, run,
                new Checkpoints(2, run, Map.of("box", box), logger), watch)).run(0, 7);
        assertThat(saved).containsExactly(0, 3, 6);
        assertThat(checkpoint(dir)).isEqualTo("6 [6.0]");
    }

    private static String checkpoint(Path dir) {
        var c = Runs.json(dir.resolve(RunDirectory.CHECKPOINT));
        return c.get("step").asInt() + " " + c.get("state").get("box").get("values");
    }
}
