package dev.engram.core.spi;

import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.ThreadKey;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An atomic append as the engine hands it to a backend. The events' versions are not set yet
 * (the log assigns head+1, head+2, …).
 *
 * <p>A backend applies these rules, in this order, atomically:
 * <ol>
 *   <li>If every event id is already in the thread with the same bytes ({@link EventRecord#samePayload}) →
 *       {@link LogAppended#deduplicated()} with the original versions; nothing written.</li>
 *   <li>If any event id is in the thread with other bytes, or only some of the ids are →
 *       {@link dev.engram.core.InvalidInputException}; nothing written.</li>
 *   <li>If {@code expected} does not match the head (0 for an absent or expired thread) →
 *       {@link dev.engram.core.VersionConflictException} with the actual head; nothing written.</li>
 *   <li>Otherwise write the events, create the thread record if absent (with {@code metadata}, a fresh generation,
 *       the TTL), set the head, refresh the expiry, and publish the new head on the change feed.</li>
 * </ol>
 * An expired thread counts as absent: appending to it first removes its old events and starts a new generation.
 *
 * @param metadata  the thread's metadata when this append creates it; ignored otherwise
 * @param ttl       the thread's time to live after each write; null keeps the thread's current TTL (none for a new thread)
 * @param nowMillis the engine clock's time of the append
 */
public record LogAppend(ThreadKey key, ExpectedVersion expected, List<EventRecord> events, Map<String, String> metadata,
                        @Nullable Duration ttl, long nowMillis) {
}
