package betalab.api.tensor;

/**
 * The shape of one causal self-attention call over a batch of sequences, in the row layout a
 * transformer's projections give: queries [batch·queries, heads·headDim], keys and values
 * [batch·keys, kvHeads·headDim], sequence s's rows one after another. The queries are the last
 * {@code queries} of the {@code keys} positions (all of them unless earlier keys come from a cache),
 * so query i sits at position keys − queries + i and attends to keys 0 … that position. Query head h
 * reads key/value head h / (heads / kvHeads), as transformers' repeat_kv; scores are scaled by
 * 1/√headDim.
 */
public record Attention(int batch, int queries, int keys, int heads, int kvHeads, int headDim) {
    public Attention {
        if (batch < 0 || queries < 0 || keys < queries || heads < 1 || kvHeads < 1 || heads % kvHeads != 0
                || headDim < 1) {
            throw new IllegalArgumentException("attention needs keys ≥ queries ≥ 0 and heads a multiple of kvHeads, got "
                    + this);
        }
    }

    /** Query heads per key/value head. */
    public int groups() {
        return heads / kvHeads;
    }

    /** Cached positions before the first query. */
    public int past() {
        return keys - queries;
    }

    /** Width of a query row (and of the output), heads·headDim. */
    public int queryWidth() {
        return heads * headDim;
    }

    /** Width of a key or value row, kvHeads·headDim. */
    public int keyWidth() {
        return kvHeads * headDim;
    }

    /** Elements of the attention probabilities, batch·heads·queries·keys. */
    public int probabilities() {
        return batch * heads * queries * keys;
    }
}
