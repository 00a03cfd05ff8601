package betalab.models.hf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SafeTensorsTest {

    @TempDir
    Path dir;

    /** Names, shapes and values of the PyTorch-written model against the summary the script wrote beside it. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-llama-tied"})
    void readsTheTensorsPyTorchWrote(String model) {
        JsonNode expected = HfFixtures.json(model + "/expected.json").get("tensors");
        try (SafeTensors file = SafeTensors.open(HfFixtures.path(model + "/model.safetensors"))) {
            List<String> names = new java.util.ArrayList<>();
            expected.fieldNames().forEachRemaining(names::add);
            assertThat(file.names()).containsExactlyInAnyOrderElementsOf(names);
            assertThat(file.metadata()).containsEntry("format", "pt");
            for (String name : names) {
                JsonNode e = expected.get(name);
                assertThat(file.entry(name).type()).isEqualTo(SafeTensors.StoredType.F32);
                assertThat(file.shape(name)).as(name).containsExactly(ints(e.get("shape")));
                double[] values = file.values(name);
                double sum = 0;
                double sumSq = 0;
                for (double v : values) {
                    sum += v;
                    sumSq += v * v;
                }
                assertThat(sum).as(name).isCloseTo(e.get("sum").asDouble(), within(1e-9 * (1 + sumSq)));
                assertThat(sumSq).as(name).isCloseTo(e.get("sum_sq").asDouble(), within(1e-12 * sumSq));
                for (int i = 0; i < e.get("first").size(); i++) {
                    assertThat(values[i]).isEqualTo(e.get("first").get(i).asDouble());
                }
                assertThat(values[values.length - 1]).isEqualTo(e.get("last").asDouble());
                Tensor t = file.tensor(name);
                assertThat(t.dtype()).isEqualTo(DType.FLOAT32);
                assertThat(t.shape()).containsExactly(file.shape(name));
                assertThat(t.toDoubleArray()).containsExactly(values);
            }
        }
    }

    @Test
    void tiedModelHasNoLmHeadAndUntiedHasOne() {
        try (SafeTensors tied = SafeTensors.open(HfFixtures.path("tiny-llama-tied/model.safetensors"));
                SafeTensors untied = SafeTensors.open(HfFixtures.path("tiny-llama/model.safetensors"))) {
            assertThat(tied.contains("lm_head.weight")).isFalse();
            assertThat(untied.shape("lm_head.weight")).containsExactly(96, 32);
            assertThat(untied.shape("model.layers.1.self_attn.k_proj.weight")).containsExactly(16, 32);
            assertThat(untied.shape("model.layers.0.mlp.down_proj.weight")).containsExactly(32, 64);
        }
    }

    /** bfloat16 and float16 (random and special values) convert to exactly the float32 torch makes of them. */
    @Test
    void halfPrecisionReadsAsTorchConvertsIt() {
        JsonNode expected = HfFixtures.json("halfs/halfs.json").get("tensors");
        try (SafeTensors file = SafeTensors.open(HfFixtures.path("halfs/halfs.safetensors"))) {
            assertThat(file.metadata()).containsEntry("written_by", "llama_reference.py halfs");
            for (Iterator<String> it = expected.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                JsonNode e = expected.get(name);
                assertThat(file.entry(name).type().name()).isEqualTo(e.get("dtype").asText());
                assertThat(file.shape(name)).containsExactly(ints(e.get("shape")));
                double[] values = file.values(name);
                if (e.has("values")) {
                    for (int i = 0; i < values.length; i++) {
                        assertThat(values[i]).isEqualTo(e.get("values").get(i).asDouble());
                    }
                    continue;
                }
                assertThat(values).hasSize(e.get("float32_bits").size());
                for (int i = 0; i < values.length; i++) {
                    float want = Float.intBitsToFloat(e.get("float32_bits").get(i).asInt());
                    float got = (float) values[i];
                    if (Float.isNaN(want)) {
                        assertThat(got).as(name + "[" + i + "]").isNaN();
                    } else {
                        assertThat(Float.floatToRawIntBits(got)).as(name + "[" + i + "] = " + got + ", want " + want)
                                .isEqualTo(Float.floatToRawIntBits(want));
                    }
                }
            }
            assertThat(file.tensor("bf16.random").shape()).containsExactly(3, 5);
            assertThat(file.tensor("f32.scalar").item()).isEqualTo(3.25);
        }
    }

    /** Every half-precision bit pattern against the IEEE formula, evaluated in double. */
    @Test
    void halfToFloatMatchesTheDefinitionForEveryPattern() {
        for (int bits = 0; bits < 65536; bits++) {
            int sign = bits >>> 15;
            int exponent = (bits >>> 10) & 0x1F;
            int mantissa = bits & 0x3FF;
            double want;
            if (exponent == 0x1F) {
                want = mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
            } else if (exponent == 0) {
                want = Math.scalb(mantissa / 1024.0, -14);
            } else {
                want = Math.scalb(1 + mantissa / 1024.0, exponent - 15);
            }
            want = sign == 1 ? -want : want;
            float got = SafeTensors.halfToFloat((short) bits);
            if (Double.isNaN(want)) {
                assertThat(got).isNaN();
            } else {
                assertThat(Float.floatToRawIntBits(got)).as("bits %04x", bits)
                        .isEqualTo(Float.floatToRawIntBits((float) want));
            }
        }
        assertThat(SafeTensors.bfloat16ToFloat((short) 0x3FC0)).isEqualTo(1.5f);
        assertThat(SafeTensors.bfloat16ToFloat((short) 0xC2F7)).isEqualTo(-123.5f);
    }

    @Test
    void roundTripsBetalabTensorsThroughAFile() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("b.weight", Tensor.of(new double[] {1.5, -2.25, 3e-8, 1e30, -0.0, 7}, 2, 3));
        tensors.put("a.bias", Tensor.of(DType.FLOAT64, new double[] {Math.PI, -Math.E, 1e-300}, 3));
        tensors.put("scalar", Tensor.of(new double[] {0.1}));
        tensors.put("z.cube", Tensor.of(new double[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 2, 2));
        Path file = dir.resolve("sub/model.safetensors");
        SafeTensors.write(file, tensors, Map.of("format", "pt", "note", "ünïcode ✓"));

        try (SafeTensors back = SafeTensors.open(file)) {
            assertThat(back.names()).containsExactlyInAnyOrderElementsOf(tensors.keySet());
            assertThat(back.metadata()).containsExactlyInAnyOrderEntriesOf(Map.of("format", "pt", "note", "ünïcode ✓"));
            assertThat(back.entry("a.bias").type()).isEqualTo(SafeTensors.StoredType.F64);
            assertThat(back.entry("b.weight").type()).isEqualTo(SafeTensors.StoredType.F32);
            for (var e : tensors.entrySet()) {
                Tensor t = back.tensor(e.getKey(), e.getValue().dtype());
                assertThat(t.shape()).containsExactly(e.getValue().shape());
                assertThat(t.toDoubleArray()).containsExactly(e.getValue().toDoubleArray());
            }
            assertThat(back.tensor("scalar").shape()).isEmpty();
        }
        // The layout itself, read independently: header length a multiple of 8, data tiled from 0,
        // each tensor aligned to its element size.
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(headerLength % 8).isZero();
        JsonNode header = HfFixtures.JSON.readTree(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8));
        assertThat(header.get("b.weight").get("dtype").asText()).isEqualTo("F32");
        assertThat(header.get("b.weight").get("shape").toString()).isEqualTo("[2,3]");
        assertThat(header.get("a.bias").get("data_offsets").toString()).isEqualTo("[0,24]");
        long total = 0;
        for (String name : List.of("a.bias", "b.weight", "scalar", "z.cube")) {
            JsonNode offsets = header.get(name).get("data_offsets");
            total += offsets.get(1).asLong() - offsets.get(0).asLong();
        }
        assertThat(bytes.length).isEqualTo(8 + headerLength + total);
        float first = ByteBuffer.wrap(bytes, (int) (8 + headerLength + 24), 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
        assertThat(first).isEqualTo(1.5f);
        try (var files = Files.list(file.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("model.safetensors");
        }
    }

    @Test
    void aRefusedWriteLeavesNoFile() {
        Path file = dir.resolve("model.safetensors");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("__metadata__", Tensor.scalar(1));
        assertThatThrownBy(() -> SafeTensors.write(file, tensors)).hasMessageContaining("'__metadata__' cannot name a tensor");
        assertThat(file).doesNotExist();
    }

    // ---------------------------------------------------------------- bad files: one line naming file and tensor

    private Path craft(String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        Path file = dir.resolve("bad.safetensors");
        Files.write(file, b.array());
        return file;
    }

    private static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + ","
                + end + "]}";
    }

    private void refused(Path file, String... fragments) {
        assertThatThrownBy(() -> SafeTensors.open(file).close())
                .isInstanceOf(HfFormatException.class)
                .satisfies(e -> assertThat(e.getMessage()).startsWith(file.toString()).doesNotContain("\n")
                        .contains(fragments));
    }

    @Test
    void truncatedData() throws IOException {
        Path file = craft("{" + entry("w", "F32", "[2,3]", 0, 24) + "}", 20);
        refused(file, "tensor 'w'", "run past the end of the data", "truncated");
    }

    @Test
    void truncatedHeader() throws IOException {
        Path good = craft("{" + entry("w", "F32", "[2]", 0, 8) + "}", 8);
        byte[] bytes = Files.readAllBytes(good);
        Files.write(good, Arrays.copyOf(bytes, 20));
        refused(good, "runs past the end", "truncated");
        Files.write(good, Arrays.copyOf(bytes, 5));
        refused(good, "too short");
    }

    @Test
    void overlappingOffsets() throws IOException {
        refused(craft("{" + entry("a", "F32", "[4]", 0, 16) + "," + entry("b", "F32", "[4]", 8, 24) + "}", 24),
                "tensors 'a' [0, 16] and 'b' [8, 24] overlap");
    }

    @Test
    void gapsAndLeftoverBytes() throws IOException {
        refused(craft("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 12, 20) + "}", 20),
                "4 bytes before tensor 'b'");
        refused(craft("{" + entry("a", "F32", "[2]", 0, 8) + "}", 12), "4 bytes after the last tensor");
    }

    @Test
    void offsetsOutOfRange() throws IOException {
        refused(craft("{" + entry("a", "F32", "[2]", 8, 0) + "}", 8), "tensor 'a'", "end before they begin");
        refused(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8), "tensor 'a'",
                "data_offsets");
    }

    @Test
    void unknownDtype() throws IOException {
        refused(craft("{" + entry("emb", "Q4_K", "[2]", 0, 8) + "}", 8), "tensor 'emb'", "unknown dtype 'Q4_K'");
    }

    @Test
    void shapeDisagreesWithSize() throws IOException {
        refused(craft("{" + entry("w", "BF16", "[2,3]", 0, 24) + "}", 24), "tensor 'w'", "shape [2, 3] of BF16 needs 12 bytes",
                "span 24");
        refused(craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,\"x\"],\"data_offsets\":[0,8]}}", 8), "tensor 'w'",
                "not a list of non-negative integers");
    }

    @Test
    void headerThatIsNotSafetensors() throws IOException {
        refused(craft("[1,2]   ", 0), "not a JSON object");
        refused(craft("{\"a\":", 0), "not valid JSON");
        refused(craft("{" + entry("w", "F32", "[1]", 0, 4) + "," + entry("w", "F32", "[1]", 4, 8) + "}", 8),
                "not valid JSON", "Duplicate field 'w'");
        Path file = dir.resolve("huge.safetensors");
        Files.write(file, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array());
        refused(file, "header length", "not plausible");
    }

    @Test
    void metadataMayBeNullButNotNumbers() throws IOException {
        try (SafeTensors st = SafeTensors.open(craft("{\"__metadata__\":null," + entry("w", "F32", "[1]", 0, 4) + "}", 4))) {
            assertThat(st.metadata()).isEmpty();
            assertThat(st.names()).containsExactly("w");
        }
        refused(craft("{\"__metadata__\":{\"n\":1}}", 0), "__metadata__ value of 'n' is not a string");
    }

    @Test
    void missingTensorAndUnsupportedDtypeNameTheTensor() throws IOException {
        Path file = craft("{" + entry("q", "F8_E4M3", "[4]", 0, 4) + "," + entry("ids", "I64", "[2]", 4, 20) + "}", 20);
        try (SafeTensors st = SafeTensors.open(file)) {
            assertThatThrownBy(() -> st.values("q")).isInstanceOf(HfFormatException.class)
                    .hasMessage(file + ": tensor 'q': reading dtype F8_E4M3 is not supported");
            assertThatThrownBy(() -> st.values("lm_head.weight")).isInstanceOf(HfFormatException.class)
                    .hasMessageStartingWith(file + ": no tensor 'lm_head.weight' (the file has 2 tensors");
            assertThat(st.values("ids")).containsExactly(0, 0);
        }
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
