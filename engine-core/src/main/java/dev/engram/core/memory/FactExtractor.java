package dev.engram.core.memory;

import java.util.List;
import reactor.core.publisher.Mono;

/**
 * Reads new turns of a conversation, with the user's facts already known, and decides which facts to add, update
 * or delete. Implementations must not block the subscribing thread; a transient failure should be signalled as an
 * {@link dev.engram.core.EngramTransientException} (such as {@link dev.engram.core.ModelUnavailableException}) so the
 * engine retries it. The built-in one calls an OpenAI-compatible {@code /v1/chat/completions} endpoint with a JSON
 * response.
 */
public interface FactExtractor {

    /** A short name recorded in the provenance of what it produced, e.g. {@code openai}. */
    String name();

    /** The model recorded in the provenance of what it produced. */
    String model();

    /** The decisions for {@code request}, applied in order. */
    Mono<List<FactDecision>> extract(ExtractionRequest request);
}
