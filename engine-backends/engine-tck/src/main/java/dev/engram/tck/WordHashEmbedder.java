package dev.engram.tck;

import dev.engram.core.memory.Embedder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * A deterministic stand-in for an embedding model, for the kit's semantic-recall scenarios: each word (after mapping
 * the given synonyms onto one word) adds 1 to the dimension its hash picks, so texts that share words — or synonyms —
 * point the same way, and texts that share none are orthogonal (barring a hash collision, which the kit's words avoid).
 */
public final class WordHashEmbedder implements Embedder {

    public static final int DIMENSIONS = 256;

    private final Map<String, String> synonyms;

    /** @param synonyms word → the word it means, lower case */
    public WordHashEmbedder(Map<String, String> synonyms) {
        this.synonyms = Map.copyOf(synonyms);
    }

    @Override
    public String name() {
        return "word-hash";
    }

    @Override
    public String model() {
        return "word-hash-" + DIMENSIONS;
    }

    @Override
    public Mono<List<float[]>> embed(List<String> texts) {
        return Mono.fromCallable(() -> {
            List<float[]> out = new ArrayList<>(texts.size());
            for (String text : texts) {
                float[] v = new float[DIMENSIONS];
                boolean any = false;
                for (String word : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{Nd}]+")) {
                    if (!word.isEmpty()) {
                        v[(synonyms.getOrDefault(word, word).hashCode() * 0x9E3779B9) >>> 24] += 1;
                        any = true;
                    }
                }
                if (!any) {
                    v[0] = 1;
                }
                out.add(v);
            }
            return out;
        });
    }
}
