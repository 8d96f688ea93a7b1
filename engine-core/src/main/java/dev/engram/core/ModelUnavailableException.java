package dev.engram.core;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A model API (embeddings, fact extraction) could not answer now: it was unreachable, timed out, failed on its side
 * (5xx) or limited the rate (429). Trying again later may succeed; {@link #retryAfter()} says when, if the API said.
 */
public final class ModelUnavailableException extends EngramTransientException {

    private final @Nullable Duration retryAfter;

    public ModelUnavailableException(String message, @Nullable Duration retryAfter) {
        super(message);
        this.retryAfter = retryAfter;
    }

    public ModelUnavailableException(String message, Throwable cause) {
        super(message, cause);
        this.retryAfter = null;
    }

    /** How long the API asked callers to wait before trying again; null when it did not say. */
    public @Nullable Duration retryAfter() {
        return retryAfter;
    }
}
