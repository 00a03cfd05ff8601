package betalab.models.hf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Learns a {@link ByteLevelBpe} from a corpus: chunk every text as the tokenizer will (special
 * tokens cut out and never learned), count distinct chunks, then repeatedly merge the most frequent
 * adjacent pair of tokens (ties to the smaller pair of ids) until the vocabulary is full or no pair
 * occurs {@code minFrequency} times. Ids: the 256 bytes first (id = byte value), then merged tokens
 * in the order learned, then the special tokens.
 */
public final class ByteLevelBpeTrainer {

    private ByteLevelBpeTrainer() {
    }

    /** As {@link #train(Iterable, int, List, int)} with pairs needing to occur at least twice. */
    public static ByteLevelBpe train(Iterable<String> texts, int vocabSize, List<String> specialTokens) {
        return train(texts, vocabSize, specialTokens, 2);
    }

    public static ByteLevelBpe train(Iterable<String> texts, int vocabSize, List<String> specialTokens,
            int minFrequency) {
        int ordinary = vocabSize - specialTokens.size();
        if (ordinary < 256) {
            throw new IllegalArgumentException("vocab_size " + vocabSize + " leaves no room for the 256 byte tokens and "
                    + specialTokens.size() + " special tokens");
        }
        if (minFrequency < 1) {
            throw new IllegalArgumentException("minFrequency must be at least 1, got " + minFrequency);
        }
        if (new HashSet<>(specialTokens).size() != specialTokens.size() || specialTokens.contains("")) {
            throw new IllegalArgumentException("special tokens must be distinct and non-empty: " + specialTokens);
        }
        Map<String, Long> chunkCounts = countChunks(texts, specialTokens);

        List<String> tokens = new ArrayList<>();
        Map<String, Integer> ids = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(ByteLevelBpe.byteToken(b));
            ids.put(tokens.get(b), b);
        }
        List<int[]> words = new ArrayList<>();
        List<Long> wordCounts = new ArrayList<>();
        chunkCounts.forEach((chunk, count) -> {
            byte[] bytes = chunk.getBytes(StandardCharsets.UTF_8);
            int[] word = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                word[i] = bytes[i] & 0xFF;
            }
            words.add(word);
            wordCounts.add(count);
        });

        Map<Long, Long> pairCounts = new HashMap<>();
        Map<Long, Set<Integer>> pairWords = new HashMap<>();
        for (int w = 0; w < words.size(); w++) {
            addPairs(words.get(w), w, wordCounts.get(w), pairCounts, pairWords);
        }
        // Max count first, then the smaller pair; stale entries are skipped when popped.
        PriorityQueue<long[]> queue = new PriorityQueue<>((a, b) -> a[0] != b[0] ? Long.compare(b[0], a[0])
                : Long.compare(a[1], b[1]));
        pairCounts.forEach((pair, count) -> queue.add(new long[] {count, pair}));

        List<int[]> merges = new ArrayList<>();
        while (tokens.size() < ordinary && !queue.isEmpty()) {
            long[] top = queue.poll();
            long pair = top[1];
            long count = pairCounts.getOrDefault(pair, 0L);
            if (count != top[0]) {
                continue;
            }
            if (count < minFrequency) {
                break;
            }
            int left = (int) (pair >>> 32);
            int right = (int) pair;
            String merged = tokens.get(left) + tokens.get(right);
            Integer id = ids.get(merged);
            if (id == null) {
                id = tokens.size();
                tokens.add(merged);
                ids.put(merged, id);
            }
            merges.add(new int[] {left, right});
            Set<Long> touched = new HashSet<>();
            for (int w : List.copyOf(pairWords.getOrDefault(pair, Set.of()))) {
                int[] word = words.get(w);
                long n = wordCounts.get(w);
                removePairs(word, w, n, pairCounts, pairWords, touched);
                int[] next = merge(word, left, right, id);
                words.set(w, next);
                addPairs(next, w, n, pairCounts, pairWords);
                collectPairs(next, touched);
            }
            for (long p : touched) {
                long c = pairCounts.getOrDefault(p, 0L);
                if (c > 0) {
                    queue.add(new long[] {c, p});
                }
            }
        }
        for (String s : specialTokens) {
            if (ids.containsKey(s)) {
                throw new IllegalArgumentException("special token '" + s + "' is also a learned or byte token");
            }
            tokens.add(s);
        }
        return new ByteLevelBpe(tokens, merges, specialTokens);
    }

    /** Distinct chunks of the corpus with their counts, special tokens cut out first. */
    private static Map<String, Long> countChunks(Iterable<String> texts, List<String> specialTokens) {
        Pattern specials = specialTokens.isEmpty() ? null : Pattern.compile(String.join("|",
                specialTokens.stream().sorted((a, b) -> b.length() - a.length()).map(Pattern::quote).toList()));
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String text : texts) {
            for (String part : specials == null ? new String[] {text} : specials.split(text, -1)) {
                Matcher m = ByteLevelBpe.CHUNKS.matcher(part);
                while (m.find()) {
                    counts.merge(m.group(), 1L, Long::sum);
                }
            }
        }
        return counts;
    }

    private static int[] merge(int[] word, int left, int right, int id) {
        int[] out = new int[word.length];
        int n = 0;
        for (int i = 0; i < word.length; i++) {
            if (i + 1 < word.length && word[i] == left && word[i + 1] == right) {
                out[n++] = id;
                i++;
            } else {
                out[n++] = word[i];
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    private static void addPairs(int[] word, int w, long n, Map<Long, Long> counts, Map<Long, Set<Integer>> where) {
        for (int i = 0; i + 1 < word.length; i++) {
            long p = ByteLevelBpe.key(word[i], word[i + 1]);
            counts.merge(p, n, Long::sum);
            where.computeIfAbsent(p, k -> new HashSet<>()).add(w);
        }
    }

    private static void removePairs(int[] word, int w, long n, Map<Long, Long> counts, Map<Long, Set<Integer>> where,
            Set<Long> touched) {
        for (int i = 0; i + 1 < word.length; i++) {
            long p = ByteLevelBpe.key(word[i], word[i + 1]);
            long c = counts.merge(p, -n, Long::sum);
            if (c <= 0) {
                counts.remove(p);
            }
            Set<Integer> s = where.get(p);
            if (s != null) {
                s.remove(w);
                if (s.isEmpty()) {
                    where.remove(p);
                }
            }
            touched.add(p);
        }
    }

    private static void collectPairs(int[] word, Set<Long> into) {
        for (int i = 0; i + 1 < word.length; i++) {
            into.add(ByteLevelBpe.key(word[i], word[i + 1]));
        }
    }
}
