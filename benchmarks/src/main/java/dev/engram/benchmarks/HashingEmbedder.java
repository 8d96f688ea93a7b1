package dev.engram.benchmarks;

import dev.engram.core.memory.Embedder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import reactor.core.publisher.Mono;

/**
 * An in-process stand-in for an embedding model: each word adds to a few dimensions picked by its hash. Texts that
 * share words point in similar directions, which is all a recall benchmark needs; it costs microseconds, so the
 * benchmark measures the engine, not a model.
 */
final class HashingEmbedder implements Embedder {

    private final int dimensions;

    HashingEmbedder(int dimensions) {
        this.dimensions = dimensions;
    }

    @Override
    public String name() {
        return "hashing";
    }

    @Override
    public String model() {
        return "hashing-" + dimensions;
    }

    @Override
    public Mono<List<float[]>> embed(List<String> texts) {
        return Mono.fromSupplier(() -> {
            List<float[]> out = new ArrayList<>(texts.size());
            for (String text : texts) {
                out.add(vector(text));
            }
            return out;
        });
    }

    private float[] vector(String text) {
        float[] v = new float[dimensions];
        for (String word : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (word.isEmpty()) {
                continue;
            }
            int h = word.hashCode();
            for (int k = 0; k < 4; k++) {
                h = h * 0x9E3779B1 + k;
                v[Math.floorMod(h, dimensions)] += (h & 1) == 0 ? 1f : -1f;
            }
        }
        v[0] += 1e-3f; // never the zero vector
        return v;
    }
}
