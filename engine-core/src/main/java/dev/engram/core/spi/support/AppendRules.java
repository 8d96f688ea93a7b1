package dev.engram.core.spi.support;

import dev.engram.core.InvalidInputException;
import dev.engram.core.VersionConflictException;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.LogAppended;
import java.util.UUID;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The decision every backend makes for a {@link LogAppend}, for backends that can look the thread up in process
 * while holding its write lock. Remote backends make the same decision in their own language (Lua, SQL).
 */
public final class AppendRules {

    private AppendRules() {
    }

    /**
     * Returns the versions of an earlier identical append ({@link LogAppended#deduplicated()}), or null when the
     * events are new and may be written at {@code head + 1}.
     *
     * @param head     the thread's head, 0 when it is absent or expired
     * @param existing looks an event id up among the thread's stored events
     * @throws InvalidInputException    an id was stored with another payload, or only some ids were stored
     * @throws VersionConflictException the events are new and {@code head} does not match the expectation
     */
    public static @Nullable LogAppended decide(LogAppend append, long head, Function<UUID, @Nullable EventRecord> existing) {
        int found = 0;
        long first = 0;
        long previous = 0;
        boolean consecutive = true;
        for (EventRecord event : append.events()) {
            EventRecord stored = head == 0 ? null : existing.apply(event.eventId());
            if (stored == null) {
                continue;
            }
            if (!stored.samePayload(event)) {
                throw new InvalidInputException("event " + event.eventId() + " was already appended to " + append.key()
                        + " with a different payload");
            }
            if (found == 0) {
                first = stored.version();
            } else if (stored.version() != previous + 1) {
                consecutive = false;
            }
            previous = stored.version();
            found++;
        }
        if (found == append.events().size()) {
            if (!consecutive) {
                throw new InvalidInputException("the events of this retry were appended to " + append.key() + " in different batches");
            }
            return new LogAppended(first, previous, true);
        }
        if (found > 0) {
            throw new InvalidInputException("append to " + append.key() + " mixes " + found + " already appended events with "
                    + (append.events().size() - found) + " new ones");
        }
        if (!append.expected().matches(head)) {
            throw new VersionConflictException(append.key(), append.expected(), head);
        }
        return null;
    }
}
