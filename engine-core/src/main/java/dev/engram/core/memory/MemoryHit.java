package dev.engram.core.memory;

import org.jspecify.annotations.Nullable;

/** A search result: the item and its score (higher is better; null when the search had no query). */
public record MemoryHit(MemoryItem item, @Nullable Double score) {
}
