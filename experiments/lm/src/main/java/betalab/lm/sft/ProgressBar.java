package betalab.lm.sft;

import betalab.training.Progress;
import betalab.training.TrainingListener;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Training as it goes, on a terminal: one line per evaluation (kept), and below it a bar redrawn in
 * place with the step, the latest training and validation losses, tokens per second over this
 * process and the time left.
 */
final class ProgressBar implements TrainingListener {
    private static final int WIDTH = 24;
    private static final long REDRAW_NANOS = 250_000_000L;
    /** What an evaluation line shows, in this order, where present. */
    private static final List<String> EVALUATED = List.of("loss", "eval/loss", "eval/perplexity",
            "eval/mean_token_accuracy", "learning_rate");

    private final PrintWriter out;
    private final long tokensPerStep;
    private long started;
    private int firstStep;
    private long drawn;
    private boolean barShown;
    private double loss = Double.NaN;
    private double evalLoss = Double.NaN;

    ProgressBar(PrintWriter out, long tokensPerStep) {
        this.out = out;
        this.tokensPerStep = tokensPerStep;
    }

    @Override
    public void onStart(Progress progress) {
        started = System.nanoTime();
        firstStep = progress.step();
    }

    @Override
    public void onStepEnd(Progress progress) {
        Map<String, Object> row = progress.row();
        if (row.get("loss") instanceof Double d) {
            loss = d;
        }
        if (row.get("eval/loss") instanceof Double d) {
            evalLoss = d;
            clearBar();
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "step %6d", progress.step()));
            for (String key : EVALUATED) {
                if (row.get(key) instanceof Double v && Double.isFinite(v)) {
                    line.append(String.format(Locale.ROOT, "  %s %.4g", key, v));
                }
            }
            out.println(line);
        }
        long now = System.nanoTime();
        if (progress.step() > firstStep && (now - drawn > REDRAW_NANOS || progress.step() == progress.steps())) {
            drawBar(progress, now);
        }
        out.flush();
    }

    @Override
    public void onEnd(Progress progress, String status, RuntimeException error) {
        if (barShown) {
            out.println();
            out.flush();
        }
    }

    private void clearBar() {
        if (barShown) {
            out.print("\r\033[2K");
            barShown = false;
        }
    }

    private void drawBar(Progress progress, long now) {
        int step = progress.step();
        int filled = (int) ((long) WIDTH * step / progress.steps());
        double seconds = (now - started) / 1e9;
        int done = step - firstStep;
        double tokensPerSecond = done * tokensPerStep / Math.max(seconds, 1e-9);
        long left = Math.round(seconds / done * (progress.steps() - step));
        StringBuilder bar = new StringBuilder(String.format(Locale.ROOT, "\r[%s%s] %d/%d",
                "#".repeat(filled), ".".repeat(WIDTH - filled), step, progress.steps()));
        if (Double.isFinite(loss)) {
            bar.append(String.format(Locale.ROOT, "  loss %.4f", loss));
        }
        if (Double.isFinite(evalLoss)) {
            bar.append(String.format(Locale.ROOT, "  eval/loss %.4f", evalLoss));
        }
        bar.append(String.format(Locale.ROOT, "  %,.0f tokens/s  ETA %d:%02d ", tokensPerSecond, left / 60, left % 60));
        out.print(bar);
        barShown = true;
        drawn = now;
    }
}
