package betalab.api.random;

import betalab.api.Stateful;
import java.util.Map;

/**
 * PyTorch's CPU generator, reproduced: MT19937 seeded as {@code torch.manual_seed(seed)}, float32
 * uniforms from one 32-bit draw each, and normals by PyTorch's two Box–Muller paths (blocks of 16
 * float32 values for tensors of 16 or more elements, cached double-precision pairs below that).
 */
public final class TorchRng implements Rng {
    private static final int N = 624;
    private static final int M = 397;

    private final int[] state = new int[N];
    private int next = N;
    private double cachedNormal = Double.NaN;

    public TorchRng(long seed) {
        state[0] = (int) seed;
        for (int i = 1; i < N; i++) {
            int prev = state[i - 1];
            state[i] = 1812433253 * (prev ^ (prev >>> 30)) + i;
        }
    }

    /** "mt": the 624 state words, the position in them, and a cached normal (NaN if none). */
    @Override
    public Map<String, double[]> state() {
        double[] saved = new double[N + 2];
        for (int i = 0; i < N; i++) {
            saved[i] = state[i];
        }
        saved[N] = next;
        saved[N + 1] = cachedNormal;
        return Map.of("mt", saved);
    }

    @Override
    public void loadState(Map<String, double[]> saved) {
        double[] mt = Stateful.entry(saved, "mt", N + 2);
        for (int i = 0; i < N; i++) {
            state[i] = (int) mt[i];
        }
        next = (int) mt[N];
        cachedNormal = mt[N + 1];
    }

    /** The next 32-bit output of MT19937, as an unsigned value. */
    long nextInt32() {
        if (next >= N) {
            twist();
        }
        int y = state[next++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y & 0xFFFFFFFFL;
    }

    private void twist() {
        for (int i = 0; i < N; i++) {
            int y = (state[i] & 0x80000000) | (state[(i + 1) % N] & 0x7fffffff);
            int v = state[(i + M) % N] ^ (y >>> 1);
            state[i] = (y & 1) != 0 ? v ^ 0x9908b0df : v;
        }
        next = 0;
    }

    private double nextFloatUniform(float from, float to) {
        double x = (nextInt32() & 0xFFFFFF) * 0x1.0p-24;
        return (float) (x * (float) (to - from) + from);
    }

    private double nextDoubleUniform() {
        long hi = nextInt32();
        long lo = nextInt32();
        return (((hi << 32) | lo) & ((1L << 53) - 1)) * 0x1.0p-53;
    }

    @Override
    public double[] uniform(int n, double from, double to) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = nextFloatUniform((float) from, (float) to);
        }
        return out;
    }

    @Override
    public double[] normal(int n) {
        double[] out = new double[n];
        if (n < 16) {
            for (int i = 0; i < n; i++) {
                out[i] = (float) nextDoubleNormal();
            }
            return out;
        }
        for (int i = 0; i < n; i++) {
            out[i] = nextFloatUniform(0f, 1f);
        }
        for (int i = 0; i + 16 <= n; i += 16) {
            boxMuller16(out, i);
        }
        if (n % 16 != 0) {
            // PyTorch redraws the last 16 slots and transforms them as one more block.
            int start = n - 16;
            for (int i = start; i < n; i++) {
                out[i] = nextFloatUniform(0f, 1f);
            }
            boxMuller16(out, start);
        }
        return out;
    }

    private static void boxMuller16(double[] d, int offset) {
        for (int j = 0; j < 8; j++) {
            double u1 = 1.0 - d[offset + j];
            double u2 = d[offset + j + 8];
            double radius = Math.sqrt(-2.0 * Math.log(u1));
            double theta = (float) (2.0 * Math.PI) * u2;
            d[offset + j] = (float) (radius * Math.cos(theta));
            d[offset + j + 8] = (float) (radius * Math.sin(theta));
        }
    }

    private double nextDoubleNormal() {
        if (!Double.isNaN(cachedNormal)) {
            double v = cachedNormal;
            cachedNormal = Double.NaN;
            return v;
        }
        double u1 = nextDoubleUniform();
        double u2 = nextDoubleUniform();
        double radius = Math.sqrt(-2.0 * Math.log1p(-u2));
        double theta = 2.0 * Math.PI * u1;
        cachedNormal = radius * Math.sin(theta);
        return radius * Math.cos(theta);
    }
}
