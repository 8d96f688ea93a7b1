package dev.engram.core.model;

import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** What is known about a thread without folding it: head version, metadata, timestamps and expiry. */
public record ThreadInfo(ThreadKey key, long version, Map<String, String> metadata, Instant createdAt, Instant updatedAt,
                         @Nullable Instant expiresAt) {
}
