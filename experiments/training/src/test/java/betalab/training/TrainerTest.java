package betalab.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one training loop: the order listeners hear it in, stopping, failing, and training nothing. */
class TrainerTest {

    /** Writes down what it hears, and the state of w at each event. */
    static final class Recorder implements TrainingListener {
        final String name;
        final List<String> events;
        final ToyTraining toy;

        Recorder(String name, List<String> events, ToyTraining toy) {
            this.name = name;
            this.events = events;
            this.toy = toy;
        }

        @Override
        public void onStart(Progress progress) {
            events.add(name + " start " + progress.step());
        }

        @Override
        public void afterForward(Progress progress, StepResult result) {
            events.add(name + " forward " + progress.step() + " loss " + result.loss().item());
        }

        @Override
        public void afterBackward(Progress progress) {
            events.add(name + " backward " + progress.step() + " w " + toy.w.item() + " grad " + toy.w.grad().item());
        }

        @Override
        public void onStepEnd(Progress progress) {
            events.add(name + " end " + progress.step() + " epoch " + progress.epoch()
                    + (toy.w == null ? "" : " w " + toy.w.item()));
        }

        @Override
        public void onEnd(Progress progress, String status, RuntimeException error) {
            events.add(name + " " + status + " " + progress.step() + (error == null ? "" : " " + error.getMessage()));
        }
    }

    @Test
    void listenersHearEveryEventInOrderAroundTheUpdate() {
        ToyTraining toy = new ToyTraining(true, 2);
        List<String> events = new ArrayList<>();
        Trainer<int[]> trainer = new Trainer<>(toy, ToyTraining.sgd(toy.parameters(), 0.25), 3,
                List.of(new Recorder("a", events, toy), new Recorder("b", events, toy)));

        assertThat(trainer.run(0)).isEqualTo("completed");

        // Step 1: target 10, loss (0.5 − 10)² = 90.25, gradient 2(0.5 − 10) = −19, w ← 0.5 + 0.25·19 = 5.25.
        // Step 2: target 11, loss 5.75² = 33.0625, gradient −11.5, w ← 8.125.
        // Step 3 opens epoch 2: target 20, loss 11.875², gradient −23.75, w ← 14.0625.
        assertThat(events).containsExactly(
                "a start 0", "b start 0",
                "a end 0 epoch 0 w 0.5", "b end 0 epoch 0 w 0.5",
                "a forward 1 loss 90.25", "b forward 1 loss 90.25",
                "a backward 1 w 0.5 grad -19.0", "b backward 1 w 0.5 grad -19.0",
                "a end 1 epoch 1 w 5.25", "b end 1 epoch 1 w 5.25",
                "a forward 2 loss 33.0625", "b forward 2 loss 33.0625",
                "a backward 2 w 5.25 grad -11.5", "b backward 2 w 5.25 grad -11.5",
                "a end 2 epoch 1 w 8.125", "b end 2 epoch 1 w 8.125",
                "a forward 3 loss 141.015625", "b forward 3 loss 141.015625",
                "a backward 3 w 8.125 grad -23.75", "b backward 3 w 8.125 grad -23.75",
                "a end 3 epoch 2 w 14.0625", "b end 3 epoch 2 w 14.0625",
                "a completed 3", "b completed 3");
        assertThat(toy.batchesServed).containsExactly("1:0", "1:1", "2:0");
    }

    @Test
    void stopAfterInterruptsAndARunFromThereContinuesMidEpoch() {
        ToyTraining toy = new ToyTraining(true, 3);
        List<String> events = new ArrayList<>();
        List<TrainingListener> listeners = List.of(new Recorder("a", events, toy));
        assertThat(new Trainer<>(toy, ToyTraining.sgd(toy.parameters(), 0.125), 5, listeners).run(0, 2))
                .isEqualTo("interrupted");
        assertThat(events).last().isEqualTo("a interrupted 2");
        assertThat(toy.batchesServed).containsExactly("1:0", "1:1");

        events.clear();
        assertThat(new Trainer<>(toy, ToyTraining.sgd(toy.parameters(), 0.125), 5, listeners).run(2))
                .isEqualTo("completed");
        // No step-0 event for a run that continues; epoch 1 resumes at its third batch.
        assertThat(events).first().isEqualTo("a start 2");
        assertThat(events).filteredOn(e -> e.startsWith("a end")).extracting(e -> e.substring(0, 13))
                .containsExactly("a end 3 epoch", "a end 4 epoch", "a end 5 epoch");
        assertThat(toy.batchesServed).containsExactly("1:0", "1:1", "1:2", "2:0", "2:1");
        assertThat(events).last().isEqualTo("a completed 5");
    }

    @Test
    void aTrainableWithoutParametersRunsWithoutAnOptimizer() {
        ToyTraining toy = new ToyTraining(false, 2);
        List<String> events = new ArrayList<>();
        List<Map<String, Object>> rows = new ArrayList<>();
        TrainingListener rowsOf = new TrainingListener() {
            @Override
            public void onStepEnd(Progress progress) {
                assertThat(progress.optimizer()).isNull();
                rows.add(progress.row());
            }
        };
        Trainer<int[]> trainer = new Trainer<>(toy, null, 2, List.of(new Recorder("a", events, toy),
                new MetricsLogger(1), rowsOf));
        assertThat(trainer.run(0)).isEqualTo("completed");
        assertThat(events).noneMatch(e -> e.contains("backward"));
        assertThat(rows.get(1)).containsEntry("loss", 100.0).doesNotContainKeys("grad_norm", "learning_rate");
        assertThat(rows.get(2)).containsEntry("loss", 121.0);
        // An optimizer given for no parameters is not used; parameters without one are refused.
        ToyTraining none = new ToyTraining(false, 2);
        new Trainer<>(none, ToyTraining.sgd(Map.of(), 1), 1, List.of(rowsOf)).run(0);
        ToyTraining some = new ToyTraining(true, 2);
        assertThatThrownBy(() -> new Trainer<>(some, null, 1, List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("an optimizer is needed for the parameters [w]");
    }

    @Test
    void aFailureIsReportedToTheListenersWithItsStepThenThrown() {
        ToyTraining toy = new ToyTraining(true, 2);
        toy.failAt = 2;
        List<String> events = new ArrayList<>();
        Trainer<int[]> trainer = new Trainer<>(toy, ToyTraining.sgd(toy.parameters(), 0.25), 4,
                List.of(new Recorder("a", events, toy)));
        assertThatThrownBy(() -> trainer.run(0)).isInstanceOf(IllegalStateException.class).hasMessage("step 2: boom");
        assertThat(events).last().isEqualTo("a failed 2 step 2: boom");
        assertThat(events).noneMatch(e -> e.startsWith("a end 2"));
    }

    @Test
    void aFailureWithoutAMessageIsStillReportedAndThrown() {
        ToyTraining toy = new ToyTraining(true, 2);
        toy.failAt = 2;
        toy.failure = null;
        List<String> events = new ArrayList<>();
        Trainer<int[]> trainer = new Trainer<>(toy, ToyTraining.sgd(toy.parameters(), 0.25), 4,
                List.of(new Recorder("a", events, toy)));
        assertThatThrownBy(() -> trainer.run(0)).isInstanceOf(IllegalStateException.class).hasMessage("step 2: null");
        assertThat(events).last().isEqualTo("a failed 2 step 2: null");
    }

    @Test
    void anEpochWithoutBatchesIsAnError() {
        ToyTraining empty = new ToyTraining(false, 2) {
            @Override
            public void batches(int epoch, int skip, java.util.function.Predicate<int[]> step) {
            }
        };
        List<String> events = new ArrayList<>();
        assertThatThrownBy(() -> new Trainer<>(empty, null, 2, List.of(new Recorder("a", events, empty))).run(0))
                .hasMessage("epoch 1 gave no batch at position 0");
        assertThat(events).last().asString().startsWith("a failed 0");
    }
}
