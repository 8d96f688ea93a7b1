package dev.engram.backend.redis;

import dev.engram.core.CorruptDataException;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.ThreadRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The stored forms. An event is {@code format(1) eventId(16) timestamp(8) typeLength(4) type data}; the Lua
 * scripts read the id and the data at these fixed offsets. A thread record is a hash of decimal fields plus
 * {@code m:<name>} per metadata entry.
 */
final class RedisRecords {

    static final byte EVENT_FORMAT = 1;
    static final String METADATA_PREFIX = "m:";
    private static final int EVENT_HEADER = 1 + 16 + 8 + 4;

    private RedisRecords() {
    }

    /** The event without its version, which the append script assigns. */
    static byte[] encodeEvent(EventRecord event) {
        byte[] type = event.type().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(EVENT_HEADER + type.length + event.data().length)
                .put(EVENT_FORMAT)
                .putLong(event.eventId().getMostSignificantBits())
                .putLong(event.eventId().getLeastSignificantBits())
                .putLong(event.timestampMillis())
                .putInt(type.length)
                .put(type)
                .put(event.data())
                .array();
    }

    static EventRecord decodeEvent(ThreadKey key, long version, byte[] stored) {
        ByteBuffer b = ByteBuffer.wrap(stored);
        if (stored.length < EVENT_HEADER || b.get() != EVENT_FORMAT) {
            throw new CorruptDataException("event " + version + " of " + key + " is not in a known stored format");
        }
        UUID id = new UUID(b.getLong(), b.getLong());
        long timestamp = b.getLong();
        int typeLength = b.getInt();
        if (typeLength < 0 || typeLength > b.remaining()) {
            throw new CorruptDataException("event " + version + " of " + key + " has a truncated type");
        }
        byte[] type = new byte[typeLength];
        b.get(type);
        byte[] data = new byte[b.remaining()];
        b.get(data);
        return new EventRecord(version, id, new String(type, StandardCharsets.UTF_8), timestamp, data);
    }

    static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] number(long n) {
        return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    static long number(Object reply) {
        if (reply instanceof Long l) {
            return l;
        }
        if (reply instanceof byte[] b) {
            return Long.parseLong(new String(b, StandardCharsets.US_ASCII));
        }
        throw new CorruptDataException("expected a number from Redis, got " + reply);
    }

    /** The record a (non-empty) thread hash holds. */
    static ThreadRecord threadRecord(ThreadKey key, Map<String, byte[]> hash) {
        TreeMap<String, String> metadata = new TreeMap<>();
        hash.forEach((field, value) -> {
            if (field.startsWith(METADATA_PREFIX)) {
                metadata.put(field.substring(METADATA_PREFIX.length()), text(value));
            }
        });
        try {
            return new ThreadRecord(key, field(hash, "head"), field(hash, "gen"), field(hash, "created"), field(hash, "updated"),
                    field(hash, "exp"), field(hash, "ttl"), Map.copyOf(metadata));
        } catch (NumberFormatException e) {
            throw new CorruptDataException("the record of " + key + " holds a field that is not a number", e);
        }
    }

    private static long field(Map<String, byte[]> hash, String name) {
        byte[] v = hash.get(name);
        if (v == null) {
            throw new CorruptDataException("a thread record lacks its '" + name + "' field");
        }
        return Long.parseLong(new String(v, StandardCharsets.US_ASCII));
    }

    /** A listing of (name, value) replies as a map of field names to values. */
    static Map<String, byte[]> pairs(List<Object> flat) {
        TreeMap<String, byte[]> map = new TreeMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            map.put(text((byte[]) flat.get(i)), (byte[]) flat.get(i + 1));
        }
        return map;
    }
}
