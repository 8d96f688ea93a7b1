package dev.engram.core.memory;

import java.util.List;
import reactor.core.publisher.Mono;

/**
 * Turns texts into vectors for semantic recall. Implementations must not block the subscribing thread.
 * The built-in one calls an OpenAI-compatible {@code /v1/embeddings} endpoint.
 */
public interface Embedder {

    /** A short name recorded with what it produced, e.g. {@code openai}. */
    String name();

    /** The model the vectors come from. */
    String model();

    /** One vector per text, in order, all of the same dimension. */
    Mono<List<float[]>> embed(List<String> texts);
}
