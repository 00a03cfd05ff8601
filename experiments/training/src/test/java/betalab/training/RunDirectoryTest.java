package betalab.training;

import static betalab.training.Runs.json;
import static betalab.training.Runs.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one run-directory writer: its files, rows, summary and best evaluation, and cutting back on resume. */
class RunDirectoryTest {
    @TempDir
    Path dir;

    private final Progress progress = new Progress(Map.of(), null, 6, 3);

    /** Records a row for {@code step} holding {@code values}. */
    private void row(RunDirectory run, int step, Map<String, Object> values) {
        progress.begin(step);
        progress.row().putAll(values);
        run.onStepEnd(progress);
    }

    /** Rows 0 to 6: evaluations (eval/score) at 0, 2, 4 and 6 of 0.3, 0.9, 0.5, 0.7; training rows between. */
    private void sixSteps(RunDirectory run, int upTo) {
        double[] score = {0.3, 0, 0.9, 0, 0.5, 0, 0.7};
        for (int step = 0; step <= upTo; step++) {
            row(run, step, step % 2 == 0 ? Map.of("eval/score", score[step]) : Map.of("loss", 1.0 / step));
        }
    }

    @Test
    void aNewRunWritesItsConfigProvenanceAndRowsAndRefusesToBeOverwritten() throws IOException {
        Path path = dir.resolve("run");
        RunDirectory run = RunDirectory.create(path, Map.of("steps", 6), Map.of("seed", 1));
        assertThat(json(path.resolve(RunDirectory.CONFIG)).get("steps").asInt()).isEqualTo(6);
        assertThat(json(path.resolve(RunDirectory.PROVENANCE)).has("started")).isTrue();
        assertThat(Files.readString(path.resolve(RunDirectory.METRICS_JSONL))).isEmpty();

        run.bestBy("eval/score", true);
        run.onStart(progress);
        row(run, 0, Map.of());                                        // step and epoch only: no row
        row(run, 1, Map.of("loss", 0.5, "beta/mean_h_pos", Double.NaN)); // no value: left out
        row(run, 2, Map.of("eval/score", 0.25));
        run.onEnd(progress, "completed", null);

        assertThat(rows(path)).extracting(JsonNode::toString).containsExactly(
                "{\"step\":1,\"epoch\":1,\"loss\":0.5}", "{\"step\":2,\"epoch\":1,\"eval/score\":0.25}");
        assertThat(Files.readAllLines(path.resolve(RunDirectory.METRICS_CSV)))
                .containsExactly("step,epoch,loss,eval/score", "1,1,0.5,", "2,1,,0.25");
        assertThat(json(path.resolve(RunDirectory.PROVENANCE)).has("ended")).isTrue();
        assertThatThrownBy(() -> RunDirectory.create(path, Map.of(), Map.of()))
                .hasMessageContaining("already holds a run");
        assertThatThrownBy(() -> RunDirectory.open(dir.resolve("none"))).hasMessageContaining("holds no run");
    }

    @Test
    void theSummaryKeepsTheLastAndTheBestEvaluationHighestOrLowest() {
        RunDirectory high = RunDirectory.create(dir.resolve("high"), Map.of(), Map.of()).bestBy("eval/score", true);
        sixSteps(high, 5);
        high.onEnd(progress, "interrupted", null);
        JsonNode s = json(dir.resolve("high").resolve(RunDirectory.SUMMARY));
        assertThat(s.get("status").asText()).isEqualTo("interrupted");
        assertThat(s.get("steps_completed").asInt()).isEqualTo(5);
        assertThat(s.get("best_eval").get("step").asInt()).isEqualTo(2);
        assertThat(s.get("last_eval").get("step").asInt()).isEqualTo(4);
        assertThat(s.get("last").get("step").asInt()).isEqualTo(5);
        assertThat(high.summary().best()).containsEntry("eval/score", 0.9);
        assertThat(high.summary().last()).containsEntry("step", 4);

        RunDirectory low = RunDirectory.create(dir.resolve("low"), Map.of(), Map.of()).bestBy("eval/score", false);
        sixSteps(low, 6);
        low.onEnd(progress, "failed", new IllegalStateException("it broke"));
        JsonNode t = json(dir.resolve("low").resolve(RunDirectory.SUMMARY));
        assertThat(t.get("best_eval").get("step").asInt()).isZero();
        assertThat(t.get("status").asText()).isEqualTo("failed");
        assertThat(t.get("error").asText()).isEqualTo("it broke");
        assertThat(json(dir.resolve("low").resolve(RunDirectory.PROVENANCE)).has("ended")).isFalse();
    }

    @Test
    void resumingLoadsTheCheckpointAndCutsTheRowsAfterIt() {
        Path path = dir.resolve("run");
        RunDirectory run = RunDirectory.create(path, Map.of(), Map.of()).bestBy("eval/score", true);
        sixSteps(run, 1);
        run.saveCheckpoint(1, Map.of("box", new ToyTraining.Box(1, 2)));
        row(run, 2, Map.of("eval/score", 0.9));
        row(run, 3, Map.of("loss", 1.0));
        run.close(); // the process ends

        // Opened, named its best metric, then resumed: the rows after step 1, and their best, are gone.
        RunDirectory reopened = RunDirectory.open(path).bestBy("eval/score", true);
        ToyTraining.Box box = new ToyTraining.Box(0, 0);
        assertThat(reopened.resume(Map.of("box", box))).isEqualTo(1);
        assertThat(box.values).containsExactly(1, 2);
        assertThat(rows(path)).extracting(r -> r.get("step").asInt()).containsExactly(0, 1);
        reopened.onEnd(progress, "interrupted", null);
        assertThat(json(path.resolve(RunDirectory.SUMMARY)).get("best_eval").get("eval/score").asDouble())
                .isEqualTo(0.3);
        assertThat(reopened.summary().best()).containsEntry("step", 0);
    }

    @Test
    void aResumedRunRemembersTheBestEvaluationBeforeItsCheckpoint() {
        Path path = dir.resolve("run");
        RunDirectory run = RunDirectory.create(path, Map.of(), Map.of()).bestBy("eval/score", true);
        sixSteps(run, 4);
        run.saveCheckpoint(4, Map.of("box", new ToyTraining.Box(4)));
        row(run, 5, Map.of("loss", 0.2));
        run.close();

        // Resumed first, then told its metric (as a resumed training run is): the best is still step 2's.
        RunDirectory reopened = RunDirectory.open(path);
        assertThat(reopened.resume(Map.of("box", new ToyTraining.Box(0)))).isEqualTo(4);
        reopened.bestBy("eval/score", true);
        row(reopened, 6, Map.of("eval/score", 0.7));
        reopened.onEnd(new Progress(Map.of(), null, 6, 3), "completed", null);

        JsonNode s = json(path.resolve(RunDirectory.SUMMARY));
        assertThat(s.get("best_eval").get("step").asInt()).isEqualTo(2);
        assertThat(s.get("last_eval").get("step").asInt()).isEqualTo(6);
        assertThat(rows(path)).extracting(r -> r.get("step").asInt()).containsExactly(0, 1, 2, 3, 4, 6);
    }

    @Test
    void resumingWithoutACheckpointStartsOverAndAMissingStateIsNamed() {
        Path path = dir.resolve("run");
        RunDirectory run = RunDirectory.create(path, Map.of(), Map.of());
        sixSteps(run, 3);
        run.close();
        RunDirectory again = RunDirectory.open(path);
        assertThat(again.resume(Map.of())).isZero();
        // The run starts over: it writes its step-0 row again, so none is kept.
        assertThat(rows(path)).isEmpty();

        again.saveCheckpoint(2, Map.of("box", new ToyTraining.Box(1)));
        again.close();
        for (Map<String, betalab.api.Stateful> wrong : List.of(Map.<String, betalab.api.Stateful>of("other",
                new ToyTraining.Box(1)), Map.<String, betalab.api.Stateful>of("box", new ToyTraining.Box(1, 2)))) {
            RunDirectory opened = RunDirectory.open(path);
            try {
                assertThatThrownBy(() -> opened.resume(wrong)).hasMessageMatching(
                        ".*(holds no state for 'other'|'values' holds 1 numbers, expected 2).*");
            } finally {
                opened.close();
            }
        }
    }
}
