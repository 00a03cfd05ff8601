package betalab.bench;

import betalab.api.registry.Registry;
import betalab.api.tensor.Backends;
import betalab.api.tensor.TensorBackend;
import betalab.api.tensor.jvm.JvmBackend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Runs betalab's side of the benchmark in one JVM: each workload warmed up, then timed over several
 * repetitions (wall clock, System.nanoTime), the median reported. Writes JSON for bench/run's table.
 *
 * <pre>
 * java -cp 'bench/target/betalab-bench.jar:bench/target/lib/*' --add-modules jdk.unsupported \
 *     betalab.bench.BenchMain [--only a,b] [--reps N] [--warmup N] [--warmup-seconds 4]
 *     [--threads 2] [--json FILE] [--check false]
 * </pre>
 */
public final class BenchMain {

    /**
     * A workload's name, default warm-up and repetition counts, and what one repetition does; a
     * repetition may make {@code calls} calls of one operation, each of {@code flops} floating-point
     * operations, and then its time per call is reported.
     */
    private record Spec(String name, int warmup, int reps, Job job, int calls, double flops) {
        Spec(String name, int warmup, int reps, Job job) {
            this(name, warmup, reps, job, 1, 0);
        }
    }

    @FunctionalInterface
    private interface Job {
        double run() throws Exception;
    }

    private static LmWorkloads lm;

    /** The language-model workloads share one model and optimizer, made at their first use. */
    private static LmWorkloads lm(Registry registry) {
        if (lm == null) {
            lm = new LmWorkloads(registry);
        }
        return lm;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = options(args);
        int threads = Integer.parseInt(opts.getOrDefault("threads", "2"));
        Integer repsOverride = opts.containsKey("reps") ? Integer.parseInt(opts.get("reps")) : null;
        Integer warmupOverride = opts.containsKey("warmup") ? Integer.parseInt(opts.get("warmup")) : null;
        double warmupSeconds = Double.parseDouble(opts.getOrDefault("warmup-seconds", "4"));
        List<String> only = opts.containsKey("only") ? Arrays.asList(opts.get("only").split(",")) : null;

        Registry registry = Registry.discover();
        TensorBackend jvm = Backends.named("jvm");
        Backends.use(jvm);
        boolean vectorModule = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        System.err.println("betalab: jdk.incubator.vector " + (vectorModule
                ? "present: float32 products on the vector kernel" : "absent: float32 products on the plain-Java kernels"));
        if (!"false".equals(opts.get("check"))) {
            long t0 = System.nanoTime();
            KernelCheck.run(jvm);
            KernelCheck.run(new JvmBackend(0, 0, threads, false));
            System.err.printf(Locale.ROOT, "betalab kernel check passed (%.1f s)%n", (System.nanoTime() - t0) / 1e9);
        }
        Workloads w = new Workloads(registry);
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "bench-sweep");
            t.setDaemon(true);
            return t;
        });

        List<Spec> specs = List.of(
                new Spec("seed", 40, 50, w::seed),
                new Spec("sweep", 3, 9, () -> w.sweep(pool)),
                new Spec("sweep-sequential", 1, 3, w::sweepSequential),
                new Spec("medium", 1, 3, w::medium),
                new Spec("medium-nd4j", 1, 3, () -> onBackend("nd4j", w::medium, jvm)),
                new Spec("bandit-dpo", 3, 9, () -> w.bandit(false)),
                new Spec("bandit-learnable", 3, 9, () -> w.bandit(true)),
                // The model's steps run long enough that C2 (and the Vector API, slow until compiled) needs
                // dozens of them to reach steady state, which is what a training run sees.
                new Spec("lm-step", 30, 10, () -> lm(registry).step()),
                new Spec("lm-logps", 30, 10, () -> lm(registry).logps()),
                new Spec("lm-generate", 10, 5, () -> lm(registry).generate()),
                new Spec("lm-dpo", 30, 10, () -> lm(registry).dpo()));
        List<Spec> all = new ArrayList<>(specs);
        for (Products.Product p : Products.ALL) {
            Products.Prepared prepared = p.prepare(jvm);
            int calls = p.callsPerRepetition();
            all.add(new Spec(p.name(), 10, 15, () -> {
                double sum = 0;
                for (int c = 0; c < calls; c++) {
                    sum += prepared.run();
                }
                return sum;
            }, calls, p.flops()));
        }
        specs = all;

        Map<String, Map<String, Object>> results = new LinkedHashMap<>();
        for (Spec spec : specs) {
            if (only != null && !only.contains(spec.name())) {
                continue;
            }
            int warmup = warmupOverride != null ? Math.min(warmupOverride, spec.warmup()) : spec.warmup();
            if (spec.name().startsWith("medium")) {
                warmup = Math.min(warmup, 1);
            }
            int reps = repsOverride != null ? repsOverride : spec.reps();
            Map<String, Object> r = new LinkedHashMap<>();
            try {
                // At least `warmup` runs and at least `warmupSeconds` of them: C2 compiles the hot paths
                // only after thousands of calls (the seed runs ~10× slower for its first ~100 repetitions).
                double checksum = 0;
                long warmStart = System.nanoTime();
                int warmed = 0;
                while (warmed < warmup || (warmed < 50 * Math.max(1, warmup)
                        && System.nanoTime() - warmStart < warmupSeconds * 1e9)) {
                    checksum = spec.job().run();
                    warmed++;
                }
                warmup = warmed;
                double[] times = new double[reps];
                double[] cpu = new double[reps];
                for (int i = 0; i < reps; i++) {
                    long c0 = processCpuNanos();
                    long t0 = System.nanoTime();
                    checksum = spec.job().run();
                    times[i] = (System.nanoTime() - t0) / 1e6 / spec.calls();
                    cpu[i] = (processCpuNanos() - c0) / 1e6 / spec.calls();
                }
                double[] sorted = times.clone();
                Arrays.sort(sorted);
                r.put("median_ms", median(sorted));
                r.put("min_ms", sorted[0]);
                r.put("times_ms", times);
                double[] sortedCpu = cpu.clone();
                Arrays.sort(sortedCpu);
                r.put("cpu_median_ms", median(sortedCpu));
                r.put("checksum", checksum);
                if (spec.name().startsWith("medium")) {
                    r.put("flops", Workloads.mediumFlops());
                    r.put("gflops", Workloads.mediumFlops() / (median(sorted) * 1e6));
                }
                if (spec.flops() > 0) {
                    r.put("calls_per_rep", spec.calls());
                    r.put("flops", spec.flops());
                    r.put("gflops", spec.flops() / (median(sorted) * 1e6));
                }
                System.err.printf(Locale.ROOT, "betalab %-24s median %10.3f ms  min %10.3f ms  cpu %10.3f ms  "
                        + "(%d reps, %d warm-up)%n", spec.name(), median(sorted), sorted[0], median(sortedCpu), reps, warmup);
            } catch (Throwable e) {
                Backends.use(jvm);
                r.put("error", String.valueOf(e));
                System.err.println("betalab " + spec.name() + " failed: " + e);
            }
            results.put(spec.name(), r);
        }
        pool.shutdownNow();

        String json = toJson(Map.of("threads", threads, "java", System.getProperty("java.version"),
                "vector_module", vectorModule, "workloads", results));
        if (opts.containsKey("json")) {
            Files.writeString(Path.of(opts.get("json")), json, StandardCharsets.UTF_8);
        } else {
            System.out.println(json);
        }
    }

    private static double onBackend(String name, Job job, TensorBackend restore) throws Exception {
        Backends.use(Backends.named(name));
        try {
            return job.run();
        } finally {
            Backends.use(restore);
        }
    }

    /** CPU time of the whole process, every thread (JIT and GC included). */
    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : 0;
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static Map<String, String> options(String[] args) throws IOException {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("usage: BenchMain [--only a,b] [--reps N] [--warmup N] "
                        + "[--warmup-seconds S] [--threads N] [--json FILE] [--check false]; got " + args[i]);
            }
            opts.put(args[i].substring(2), args[++i]);
        }
        return opts;
    }

    // A few lines of JSON writing keep the harness free of a JSON library's start-up cost.
    private static String toJson(Object v) {
        if (v instanceof Map<?, ?> m) {
            List<String> parts = new ArrayList<>();
            m.forEach((k, x) -> parts.add(quote(String.valueOf(k)) + ": " + toJson(x)));
            return "{" + String.join(", ", parts) + "}";
        }
        if (v instanceof double[] a) {
            List<String> parts = new ArrayList<>();
            for (double d : a) {
                parts.add(toJson(d));
            }
            return "[" + String.join(", ", parts) + "]";
        }
        if (v instanceof Double d) {
            return Double.isFinite(d) ? String.valueOf(d) : "null";
        }
        if (v instanceof Number || v instanceof Boolean) {
            return String.valueOf(v);
        }
        return quote(String.valueOf(v));
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
}
