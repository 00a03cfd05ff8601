package betalab.sweep;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** The in-process engine: a fixed pool of threads, each running one run at a time. */
final class PoolEngine implements SweepEngine {
    private final int workers;

    PoolEngine(int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be ≥ 1, got " + workers);
        }
        this.workers = workers;
    }

    @Override
    public int slots() {
        return workers;
    }

    @Override
    public int execute(Plan plan, Sweep.Listener listener) {
        Runner runner = Runner.of(plan.kind(), plan.registry());
        List<Callable<Boolean>> tasks = new ArrayList<>();
        for (Job job : plan.jobs()) {
            tasks.add(() -> {
                listener.started(job.run());
                long start = System.nanoTime();
                Exception error = RunAttempt.run(plan.kind(), plan.registry(), job.config(),
                        Sweep.runDirectory(plan.dir(), job.run()));
                listener.finished(job.run(), error, (System.nanoTime() - start) / 1e9);
                return error == null;
            });
        }
        int failed = 0;
        // Daemon workers: an interrupted sweep must not keep the JVM alive for the runs in flight.
        ExecutorService pool = Executors.newFixedThreadPool(workers, task -> {
            Thread t = new Thread(task, "sweep-worker");
            t.setDaemon(true);
            return t;
        });
        try {
            for (var result : pool.invokeAll(tasks)) {
                if (!result.get()) {
                    failed++;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("sweep interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a sweep worker failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
        return failed;
    }
}
