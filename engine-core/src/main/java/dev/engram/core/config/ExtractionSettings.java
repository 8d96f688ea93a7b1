package dev.engram.core.config;

import dev.engram.core.ConfigurationException;
import dev.engram.core.internal.Ids;
import java.time.Duration;

/**
 * Background fact extraction ({@code memory.extraction}). A thread is extracted when extraction is enabled and its
 * metadata names a user under {@code userMetadataKey}; its facts go to the namespace {@code [user, namespace]}.
 *
 * @param queueCapacity   threads waiting for extraction, at most (default 10,000); a full queue retries with backoff
 * @param workers         extractions running at once (default 2)
 * @param maxTurnsPerCall turns sent to the extractor in one call (default 20)
 * @param maxAttempts     attempts of one call before the thread is put back for later (default 5)
 * @param initialBackoff  the first retry's delay, doubled per attempt up to {@code maxBackoff} (defaults 1 s, 60 s)
 */
public record ExtractionSettings(boolean enabled, ModelEndpoint endpoint, String userMetadataKey, String namespace,
                                 int queueCapacity, int workers, int maxTurnsPerCall, int maxAttempts,
                                 Duration initialBackoff, Duration maxBackoff) {

    public static final String DEFAULT_MODEL = "gpt-4o-mini";
    public static final String DEFAULT_USER_METADATA_KEY = "userId";
    public static final String DEFAULT_NAMESPACE = "facts";

    public ExtractionSettings {
        if (endpoint == null) {
            throw new ConfigurationException("memory.extraction needs an endpoint");
        }
        if (userMetadataKey == null || userMetadataKey.isBlank()) {
            throw new ConfigurationException("memory.extraction.userMetadataKey is required");
        }
        if (namespace == null || !Ids.isValid(namespace)) {
            throw new ConfigurationException("memory.extraction.namespace must be " + Ids.RULE);
        }
        if (queueCapacity < 1 || workers < 1 || maxTurnsPerCall < 1 || maxAttempts < 1) {
            throw new ConfigurationException("memory.extraction.queueCapacity, workers, maxTurnsPerCall and maxAttempts must be at least 1");
        }
        if (initialBackoff == null || maxBackoff == null || initialBackoff.isNegative() || initialBackoff.isZero()
                || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new ConfigurationException("memory.extraction backoffs must satisfy 0 < initialBackoff <= maxBackoff");
        }
    }

    public static ExtractionSettings defaults() {
        return new ExtractionSettings(false, new ModelEndpoint(ModelEndpoint.DEFAULT_BASE_URL, DEFAULT_MODEL,
                ModelEndpoint.DEFAULT_API_KEY_ENV, ModelEndpoint.DEFAULT_TIMEOUT), DEFAULT_USER_METADATA_KEY,
                DEFAULT_NAMESPACE, 10_000, 2, 20, 5, Duration.ofSeconds(1), Duration.ofSeconds(60));
    }

    public ExtractionSettings enabled(ModelEndpoint at) {
        return new ExtractionSettings(true, at, userMetadataKey, namespace, queueCapacity, workers, maxTurnsPerCall,
                maxAttempts, initialBackoff, maxBackoff);
    }

    public ExtractionSettings withQueueCapacity(int capacity) {
        return new ExtractionSettings(enabled, endpoint, userMetadataKey, namespace, capacity, workers, maxTurnsPerCall,
                maxAttempts, initialBackoff, maxBackoff);
    }

    public ExtractionSettings withRetries(int attempts, Duration initial, Duration max) {
        return new ExtractionSettings(enabled, endpoint, userMetadataKey, namespace, queueCapacity, workers, maxTurnsPerCall,
                attempts, initial, max);
    }

    public ExtractionSettings withWorkers(int count) {
        return new ExtractionSettings(enabled, endpoint, userMetadataKey, namespace, queueCapacity, count, maxTurnsPerCall,
                maxAttempts, initialBackoff, maxBackoff);
    }

    public ExtractionSettings withMaxTurnsPerCall(int turns) {
        return new ExtractionSettings(enabled, endpoint, userMetadataKey, namespace, queueCapacity, workers, turns,
                maxAttempts, initialBackoff, maxBackoff);
    }
}
