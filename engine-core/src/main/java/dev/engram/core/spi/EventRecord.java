package dev.engram.core.spi;

import java.util.Arrays;
import java.util.UUID;

/**
 * An event as stored: version, id, type, append time and the codec's bytes (the change and the event metadata,
 * with a header). Two appends of the same logical event produce equal {@code data}, which is what the idempotency
 * check compares.
 */
public record EventRecord(long version, UUID eventId, String type, long timestampMillis, byte[] data) {

    public EventRecord withVersion(long newVersion) {
        return new EventRecord(newVersion, eventId, type, timestampMillis, data);
    }

    /** Whether {@code other} carries the same event (same id and bytes), whatever its version and time. */
    public boolean samePayload(EventRecord other) {
        return eventId.equals(other.eventId) && Arrays.equals(data, other.data);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EventRecord r && r.version == version && r.eventId.equals(eventId) && r.type.equals(type)
                && r.timestampMillis == timestampMillis && Arrays.equals(r.data, data);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(version) * 31 + eventId.hashCode();
    }

    @Override
    public String toString() {
        return "EventRecord[v" + version + ", " + eventId + ", " + type + ", " + data.length + " bytes]";
    }
}
