package dev.engram.core.spi;

import dev.engram.core.model.ThreadKey;
import reactor.core.publisher.Flux;

/**
 * Tells subscribers that a thread's head moved. Notifications are hints: they may be coalesced or, across a
 * reconnect, lost; the engine reads the log to learn what changed, so a lost hint delays and never loses an event.
 */
public interface ChangeFeed {

    /**
     * Emits the thread's current head once the subscription is live (so nothing appended in between is missed),
     * then its new head version after appends (by this process and, with {@link Capability#SHARED_STORAGE},
     * by others) and 0 after a delete. Never completes on its own; cancel to stop. Must not block the publishing writer.
     */
    Flux<Long> heads(ThreadKey key);
}
