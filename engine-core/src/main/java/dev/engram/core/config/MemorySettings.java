package dev.engram.core.config;

import dev.engram.core.ConfigurationException;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The memory store ({@code memory}).
 *
 * @param maxMemories      the most items one search returns (default 50)
 * @param maxSummaries     the most items of kind {@code summary} one search returns (default 10)
 * @param ttl              the default time to live of an item after each write; null: items do not expire (default)
 * @param refreshTtlOnRead whether a get or a search hit also refreshes an item's TTL (default false)
 * @param textFields       the value fields the lexical score reads; empty: every string in the value (default)
 * @param maxItemBytes     the largest item, encoded with its vector (default 1 MiB); a larger put is refused
 */
public record MemorySettings(int maxMemories, int maxSummaries, @Nullable Duration ttl, boolean refreshTtlOnRead,
                             List<String> textFields, long maxItemBytes, EmbeddingSettings embedding, ExtractionSettings extraction) {

    public static final int DEFAULT_MAX_MEMORIES = 50;
    public static final int DEFAULT_MAX_SUMMARIES = 10;
    public static final long DEFAULT_MAX_ITEM_BYTES = 1024 * 1024;

    public MemorySettings {
        if (maxMemories < 1 || maxSummaries < 0) {
            throw new ConfigurationException("memory.maxMemories must be at least 1 and memory.maxSummaries not negative");
        }
        if (ttl != null && (ttl.isNegative() || ttl.isZero())) {
            throw new ConfigurationException("memory.ttl must be positive, got " + ttl);
        }
        textFields = List.copyOf(textFields);
        if (maxItemBytes < 256) {
            throw new ConfigurationException("memory.maxItemBytes must be at least 256, got " + maxItemBytes);
        }
        if (embedding == null || extraction == null) {
            throw new ConfigurationException("memory.embedding and memory.extraction are required");
        }
    }

    public static MemorySettings defaults() {
        return new MemorySettings(DEFAULT_MAX_MEMORIES, DEFAULT_MAX_SUMMARIES, null, false, List.of(), DEFAULT_MAX_ITEM_BYTES,
                EmbeddingSettings.defaults(), ExtractionSettings.defaults());
    }

    public MemorySettings withCaps(int memories, int summaries) {
        return new MemorySettings(memories, summaries, ttl, refreshTtlOnRead, textFields, maxItemBytes, embedding, extraction);
    }

    public MemorySettings withTtl(@Nullable Duration newTtl, boolean refreshOnRead) {
        return new MemorySettings(maxMemories, maxSummaries, newTtl, refreshOnRead, textFields, maxItemBytes, embedding, extraction);
    }

    public MemorySettings withTextFields(List<String> fields) {
        return new MemorySettings(maxMemories, maxSummaries, ttl, refreshTtlOnRead, fields, maxItemBytes, embedding, extraction);
    }

    public MemorySettings withMaxItemBytes(long bytes) {
        return new MemorySettings(maxMemories, maxSummaries, ttl, refreshTtlOnRead, textFields, bytes, embedding, extraction);
    }

    public MemorySettings withEmbedding(EmbeddingSettings e) {
        return new MemorySettings(maxMemories, maxSummaries, ttl, refreshTtlOnRead, textFields, maxItemBytes, e, extraction);
    }

    public MemorySettings withExtraction(ExtractionSettings e) {
        return new MemorySettings(maxMemories, maxSummaries, ttl, refreshTtlOnRead, textFields, maxItemBytes, embedding, e);
    }
}
