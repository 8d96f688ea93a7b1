package dev.engram.core.recall;

import dev.engram.core.memory.Embedder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;

/**
 * A deterministic stand-in for an embedding model: each word adds 1 to the dimension its hash picks, with synonyms
 * mapped to one word first, so texts that share meaning (as the test defines it) point the same way.
 */
final class WordHashEmbedder implements Embedder {

    static final int DIMENSIONS = 256;

    private final java.util.Map<String, String> synonyms;
    final AtomicInteger calls = new AtomicInteger();

    WordHashEmbedder(java.util.Map<String, String> synonyms) {
        this.synonyms = synonyms;
    }

    @Override
    public String name() {
        return "word-hash";
    }

    @Override
    public String model() {
        return "test-" + DIMENSIONS;
    }

    @Override
    public Mono<List<float[]>> embed(List<String> texts) {
        return Mono.fromCallable(() -> {
            calls.incrementAndGet();
            List<float[]> out = new ArrayList<>();
            for (String text : texts) {
                float[] v = new float[DIMENSIONS];
                for (String word : Tokens.of(text)) {
                    String w = synonyms.getOrDefault(word, word);
                    v[(w.hashCode() * 0x9E3779B9) >>> 24] += 1;
                }
                if (Tokens.of(text).isEmpty()) {
                    v[0] = 1;
                }
                out.add(v);
            }
            return out;
        });
    }
}
