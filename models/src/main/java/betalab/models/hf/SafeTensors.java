package betalab.models.hf;

import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file: an unsigned 64-bit little-endian header length, a JSON header giving each
 * tensor's dtype, shape and {@code [begin, end)} byte offsets into the data that follows (and an
 * optional {@code __metadata__} map of strings), then the tensors, row-major and little-endian,
 * back to back with no gaps.
 *
 * <p>{@link #open} reads and checks the header only (every tensor's size against its shape, the
 * offsets tiling the data exactly, as the reference implementation requires); tensors are read on
 * demand. Floating-point tensors of any stored precision (F64, F32, F16, BF16) and integer ones
 * convert to betalab tensors; {@link #write} stores float32 tensors as F32 and float64 as F64.
 */
public final class SafeTensors implements AutoCloseable {

    /** The element types of the safetensors format, with their size in bytes. */
    public enum StoredType {
        BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1), I16(2), U16(2), F16(2), BF16(2),
        I32(4), U32(4), F32(4), F64(8), I64(8), U64(8);

        private final int bytes;

        StoredType(int bytes) {
            this.bytes = bytes;
        }

        public int bytes() {
            return bytes;
        }
    }

    /** One tensor's header entry; offsets are relative to the start of the data. */
    public record Entry(String name, StoredType type, List<Integer> shape, long begin, long end) {
        public int[] dims() {
            return shape.stream().mapToInt(Integer::intValue).toArray();
        }

        public int size() {
            return shape.stream().mapToInt(Integer::intValue).reduce(1, (a, b) -> a * b);
        }
    }

    /** The reference implementation's limit: a larger header is refused rather than read. */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    private static final String METADATA = "__metadata__";
    private static final int CHUNK = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafeTensors(Path file, FileChannel channel, long dataStart, Map<String, Entry> entries,
            Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Opens {@code file} and checks its header; close it when done. */
    public static SafeTensors open(Path file) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot open: " + e.getMessage(), e);
        }
        try {
            return read(file, channel);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static SafeTensors read(Path file, FileChannel channel) {
        try {
            long fileSize = channel.size();
            if (fileSize < 8) {
                throw new HfFormatException(file + ": " + fileSize
                        + " bytes, too short for the 8-byte header length of a safetensors file");
            }
            ByteBuffer lengthBytes = readFully(channel, 0, 8);
            long headerLength = lengthBytes.order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (headerLength < 2 || headerLength > MAX_HEADER_BYTES) {
                throw new HfFormatException(file + ": header length " + Long.toUnsignedString(headerLength)
                        + " is not plausible (2 to " + MAX_HEADER_BYTES + " bytes): not a safetensors file?");
            }
            if (8 + headerLength > fileSize) {
                throw new HfFormatException(file + ": header of " + headerLength + " bytes runs past the end of the "
                        + fileSize + "-byte file (truncated?)");
            }
            ByteBuffer headerBytes = readFully(channel, 8, (int) headerLength);
            String header;
            try {
                header = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(headerBytes).toString();
            } catch (CharacterCodingException e) {
                throw new HfFormatException(file + ": header is not UTF-8 text: not a safetensors file?");
            }
            if (!header.startsWith("{")) {
                throw new HfFormatException(file + ": header is not a JSON object: not a safetensors file?");
            }
            JsonNode root;
            try {
                root = JSON.readTree(header);
            } catch (JsonProcessingException e) {
                throw new HfFormatException(file + ": header is not valid JSON: " + e.getOriginalMessage());
            }
            if (!root.isObject()) {
                throw new HfFormatException(file + ": header is not a JSON object");
            }
            long dataLength = fileSize - 8 - headerLength;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, Entry> entries = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (field.getKey().equals(METADATA)) {
                    if (!field.getValue().isNull()) {
                        metadata.putAll(readMetadata(file, field.getValue()));
                    }
                } else {
                    entries.put(field.getKey(), readEntry(file, field.getKey(), field.getValue(), dataLength));
                }
            }
            checkTiling(file, entries.values(), dataLength);
            return new SafeTensors(file, channel, 8 + headerLength, Collections.unmodifiableMap(entries),
                    Collections.unmodifiableMap(metadata));
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static Map<String, String> readMetadata(Path file, JsonNode node) {
        if (!node.isObject()) {
            throw new HfFormatException(file + ": " + METADATA + " is not an object of strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new HfFormatException(file + ": " + METADATA + " value of '" + e.getKey() + "' is not a string");
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return out;
    }

    private static Entry readEntry(Path file, String name, JsonNode node, long dataLength) {
        String where = file + ": tensor '" + name + "'";
        if (!node.isObject()) {
            throw new HfFormatException(where + ": header entry is not an object");
        }
        JsonNode dtype = node.get("dtype");
        if (dtype == null || !dtype.isTextual()) {
            throw new HfFormatException(where + ": dtype missing or not a string");
        }
        StoredType type;
        try {
            type = StoredType.valueOf(dtype.textValue());
        } catch (IllegalArgumentException e) {
            throw new HfFormatException(where + ": unknown dtype '" + dtype.textValue() + "' (known: "
                    + Arrays.toString(StoredType.values()) + ")");
        }
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw new HfFormatException(where + ": shape missing or not an array");
        }
        List<Integer> shape = new ArrayList<>();
        long elements = 1;
        for (JsonNode d : shapeNode) {
            if (!d.isIntegralNumber() || d.asLong() < 0 || d.asLong() > Integer.MAX_VALUE) {
                throw new HfFormatException(where + ": shape " + shapeNode + " is not a list of non-negative integers");
            }
            shape.add(d.intValue());
            elements = multiplyOrMax(elements, d.asLong());
        }
        if (elements > Integer.MAX_VALUE) {
            throw new HfFormatException(where + ": shape " + shapeNode + " has more elements than a tensor can hold");
        }
        JsonNode offsets = node.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2 || !offsets.get(0).isIntegralNumber()
                || !offsets.get(1).isIntegralNumber() || offsets.get(0).asLong() < 0) {
            throw new HfFormatException(where + ": data_offsets missing or not two non-negative integers");
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        if (end < begin) {
            throw new HfFormatException(where + ": data_offsets " + offsets + " end before they begin");
        }
        long expected = elements * type.bytes();
        if (end - begin != expected) {
            throw new HfFormatException(where + ": shape " + shape + " of " + type + " needs " + expected
                    + " bytes but data_offsets " + offsets + " span " + (end - begin));
        }
        if (end > dataLength) {
            throw new HfFormatException(where + ": data_offsets " + offsets + " run past the end of the data ("
                    + dataLength + " bytes after the header; file truncated?)");
        }
        return new Entry(name, type, List.copyOf(shape), begin, end);
    }

    private static long multiplyOrMax(long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** The tensors must cover the data exactly, in some order, as the reference implementation checks. */
    private static void checkTiling(Path file, Iterable<Entry> entries, long dataLength) {
        List<Entry> sorted = new ArrayList<>();
        entries.forEach(sorted::add);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long cursor = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            if (e.begin() < cursor) {
                throw new HfFormatException(file + ": tensors '" + previous.name() + "' " + offsets(previous)
                        + " and '" + e.name() + "' " + offsets(e) + " overlap");
            }
            if (e.begin() > cursor) {
                throw new HfFormatException(file + ": " + (e.begin() - cursor) + " bytes before tensor '" + e.name()
                        + "' " + offsets(e) + " belong to no tensor");
            }
            cursor = e.end();
            previous = e;
        }
        if (cursor != dataLength) {
            throw new HfFormatException(file + ": " + (dataLength - cursor)
                    + " bytes after the last tensor belong to no tensor");
        }
    }

    private static String offsets(Entry e) {
        return "[" + e.begin() + ", " + e.end() + "]";
    }

    // ---------------------------------------------------------------- reading

    public Path file() {
        return file;
    }

    /** The {@code __metadata__} strings (empty if the file has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensor names in header order. */
    public List<String> names() {
        return List.copyOf(entries.keySet());
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    public Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            List<String> some = names().subList(0, Math.min(5, entries.size()));
            throw new HfFormatException(file + ": no tensor '" + name + "' (the file has " + entries.size()
                    + " tensors" + (some.isEmpty() ? "" : ", e.g. " + String.join(", ", some)) + ")");
        }
        return e;
    }

    public int[] shape(String name) {
        return entry(name).dims();
    }

    /** The tensor's values, row-major, converted exactly to double. */
    public double[] values(String name) {
        Entry e = entry(name);
        double[] out = new double[e.size()];
        long position = dataStart + e.begin();
        int done = 0;
        int perChunk = CHUNK / e.type().bytes();
        while (done < out.length) {
            int n = Math.min(perChunk, out.length - done);
            ByteBuffer bytes;
            try {
                bytes = readFully(channel, position, n * e.type().bytes()).order(ByteOrder.LITTLE_ENDIAN);
            } catch (IOException ex) {
                throw new UncheckedIOException(file + ": tensor '" + name + "': cannot read: " + ex.getMessage(), ex);
            }
            decode(e, bytes, out, done, n);
            done += n;
            position += (long) n * e.type().bytes();
        }
        return out;
    }

    private void decode(Entry e, ByteBuffer b, double[] out, int from, int n) {
        switch (e.type()) {
            case F64 -> { for (int i = 0; i < n; i++) out[from + i] = b.getDouble(); }
            case F32 -> { for (int i = 0; i < n; i++) out[from + i] = b.getFloat(); }
            case F16 -> { for (int i = 0; i < n; i++) out[from + i] = halfToFloat(b.getShort()); }
            case BF16 -> { for (int i = 0; i < n; i++) out[from + i] = bfloat16ToFloat(b.getShort()); }
            case I64 -> { for (int i = 0; i < n; i++) out[from + i] = b.getLong(); }
            case I32 -> { for (int i = 0; i < n; i++) out[from + i] = b.getInt(); }
            case I16 -> { for (int i = 0; i < n; i++) out[from + i] = b.getShort(); }
            case I8 -> { for (int i = 0; i < n; i++) out[from + i] = b.get(); }
            case U8, BOOL -> { for (int i = 0; i < n; i++) out[from + i] = b.get() & 0xFF; }
            default -> throw new HfFormatException(file + ": tensor '" + e.name() + "': reading dtype " + e.type()
                    + " is not supported");
        }
    }

    /** The tensor as float32. */
    public Tensor tensor(String name) {
        return tensor(name, DType.FLOAT32);
    }

    public Tensor tensor(String name, DType dtype) {
        return Tensor.of(dtype, values(name), shape(name));
    }

    /** Every tensor, in header order. */
    public Map<String, Tensor> tensors(DType dtype) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : entries.keySet()) {
            out.put(name, tensor(name, dtype));
        }
        return out;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot close: " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- writing

    /** As {@link #write(Path, Map, Map)} without metadata. */
    public static void write(Path file, Map<String, Tensor> tensors) {
        write(file, tensors, Map.of());
    }

    /**
     * Writes {@code tensors} (float32 as F32, float64 as F64) with {@code metadata} as
     * {@code __metadata__}. The file appears whole or not at all: it is written beside its target
     * and moved into place.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        List<String> names = new ArrayList<>(tensors.keySet());
        for (String name : names) {
            if (name == null || name.isEmpty() || name.equals(METADATA)) {
                throw new IllegalArgumentException(file + ": '" + name + "' cannot name a tensor");
            }
            if (tensors.get(name) == null) {
                throw new IllegalArgumentException(file + ": tensor '" + name + "' is null");
            }
        }
        // Widest elements first, then by name, so every tensor starts aligned to its element size.
        names.sort(Comparator.comparingInt((String n) -> -storedType(tensors.get(n)).bytes())
                .thenComparing(Comparator.naturalOrder()));
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject(METADATA);
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (String name : names) {
            Tensor t = tensors.get(name);
            long bytes = (long) t.size() * storedType(t).bytes();
            ObjectNode entry = header.putObject(name);
            entry.put("dtype", storedType(t).name());
            var shape = entry.putArray("shape");
            for (int d : t.shape()) {
                shape.add(d);
            }
            entry.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(header);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');

        Path target = file.toAbsolutePath();
        Path temp = null;
        try {
            Files.createDirectories(target.getParent());
            temp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".part");
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temp), CHUNK)) {
                ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
                out.write(length.array());
                out.write(headerBytes);
                for (String name : names) {
                    writeValues(out, tensors.get(name));
                }
            }
            try {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write: " + e.getMessage(), e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // the write itself already failed or succeeded; a stray part file is all that remains
                }
            }
        }
    }

    private static StoredType storedType(Tensor t) {
        return t.dtype() == DType.FLOAT64 ? StoredType.F64 : StoredType.F32;
    }

    private static void writeValues(OutputStream out, Tensor t) throws IOException {
        double[] values = t.toDoubleArray();
        boolean wide = storedType(t) == StoredType.F64;
        ByteBuffer buffer = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            if (buffer.remaining() < 8) {
                out.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
            if (wide) {
                buffer.putDouble(v);
            } else {
                buffer.putFloat((float) v);
            }
        }
        out.write(buffer.array(), 0, buffer.position());
    }

    // ---------------------------------------------------------------- helpers

    private static ByteBuffer readFully(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position + buffer.position());
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + (position + buffer.position()));
            }
        }
        return buffer.flip();
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // already failing with the reason that matters
        }
    }

    /** IEEE half precision to float, exactly (subnormals, infinities and NaN payloads kept). */
    static float halfToFloat(short bits) {
        int h = bits & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f;
            return sign != 0 ? -magnitude : magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** bfloat16 is the upper half of a float. */
    static float bfloat16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
