package betalab.sweep;

import java.util.Map;

/**
 * What one run of a sweep left in its directory.
 *
 * @param run    the run
 * @param status "completed", "failed", "running" or "interrupted" (stopped mid-way), or "pending" (never started)
 * @param error  why it failed, or null
 * @param last   its final evaluated metrics ({@code last_eval} of its summary)
 * @param best   the evaluated metrics at its best step ({@code best_eval}), where the run kind keeps one
 */
public record RunResult(SweepRun run, String status, String error, Map<String, Double> last, Map<String, Double> best) {

    public boolean completed() {
        return status.equals("completed");
    }
}
