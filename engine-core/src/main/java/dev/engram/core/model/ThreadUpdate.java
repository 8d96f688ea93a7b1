package dev.engram.core.model;

import java.util.List;

/** Events a {@code watch} subscriber receives together: contiguous versions, oldest first, never empty. */
public record ThreadUpdate(ThreadKey key, List<Event> events) {

    public ThreadUpdate {
        events = List.copyOf(events);
        if (events.isEmpty()) {
            throw new IllegalArgumentException("an update carries at least one event");
        }
    }

    public long firstVersion() {
        return events.get(0).version();
    }

    public long lastVersion() {
        return events.get(events.size() - 1).version();
    }
}
