package dev.engram.core.local;

import dev.engram.core.CorruptDataException;
import dev.engram.core.InvalidInputException;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.CheckpointMeta;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.StoredCheckpoint;
import dev.engram.core.spi.ThreadRecord;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Keys and values of the {@code local} provider's column families.
 *
 * <p>Every key of a thread starts with its prefix {@code tenant 0x00 threadId 0x00 namespace 0x00}; ids never contain
 * 0x00 or 0x01, so a prefix never matches another thread's keys, {@code [prefix, end(prefix))} covers exactly one
 * thread, and the byte order of record keys is {@link dev.engram.core.spi.support.ThreadCursor#ORDER} within a tenant
 * (ids are ASCII, and 0x00 sorts before every id character). Values start with a format byte.
 */
final class LocalFormat {

    static final byte FORMAT = 1;
    /** Format byte, generation and creation time in front of a checkpoint's bytes. */
    static final int CHECKPOINT_HEADER = 1 + 8 + 8;

    private LocalFormat() {
    }

    // ---- keys

    /** The key of the thread's record, and the prefix of all its other keys. */
    static byte[] prefix(ThreadKey key) {
        byte[] tenant = ascii(key.tenant());
        byte[] thread = ascii(key.threadId());
        byte[] ns = ascii(key.namespace());
        byte[] out = new byte[tenant.length + thread.length + ns.length + 3];
        System.arraycopy(tenant, 0, out, 0, tenant.length);
        System.arraycopy(thread, 0, out, tenant.length + 1, thread.length);
        System.arraycopy(ns, 0, out, tenant.length + thread.length + 2, ns.length);
        return out;
    }

    /** The prefix of a tenant's record keys. */
    static byte[] tenantPrefix(String tenant) {
        byte[] t = ascii(tenant);
        return Arrays.copyOf(t, t.length + 1);
    }

    /** The record key a listing cursor ({@code threadId/namespace}) points at; its bytes need not be a valid key. */
    static byte[] cursorKey(String tenant, String cursor) {
        int slash = cursor.indexOf('/');
        String threadId = slash < 0 ? cursor : cursor.substring(0, slash);
        String ns = slash < 0 ? "" : cursor.substring(slash + 1);
        byte[] t = tenantPrefix(tenant);
        byte[] rest = (threadId + '\0' + ns + '\0').getBytes(StandardCharsets.UTF_8);
        byte[] out = Arrays.copyOf(t, t.length + rest.length);
        System.arraycopy(rest, 0, out, t.length, rest.length);
        return out;
    }

    /** The first key after every key that starts with {@code prefix} (whose last byte is the 0x00 separator). */
    static byte[] end(byte[] prefix) {
        byte[] out = prefix.clone();
        out[out.length - 1] = 1;
        return out;
    }

    static byte[] versionKey(byte[] prefix, long version) {
        return ByteBuffer.allocate(prefix.length + 8).put(prefix).putLong(version).array();
    }

    static byte[] idKey(byte[] prefix, UUID id) {
        return ByteBuffer.allocate(prefix.length + 16).put(prefix).putLong(id.getMostSignificantBits())
                .putLong(id.getLeastSignificantBits()).array();
    }

    static long versionOf(byte[] versionKey) {
        return ByteBuffer.wrap(versionKey, versionKey.length - 8, 8).getLong();
    }

    static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** The thread a record key names. */
    static ThreadKey threadKeyOf(byte[] recordKey) {
        String s = new String(recordKey, StandardCharsets.US_ASCII);
        int a = s.indexOf('\0');
        int b = a < 0 ? -1 : s.indexOf('\0', a + 1);
        if (b < 0 || s.charAt(s.length() - 1) != '\0') {
            throw new CorruptDataException("malformed thread key " + Arrays.toString(recordKey));
        }
        try {
            return new ThreadKey(s.substring(0, a), s.substring(a + 1, b), s.substring(b + 1, s.length() - 1));
        } catch (InvalidInputException e) {
            throw new CorruptDataException("malformed thread key: " + e.getMessage(), e);
        }
    }

    // ---- memory item keys

    /** A memory item's key: {@code tenant 0x00 namespace-path 0x00 key}, the path's segments joined by '/'. */
    static byte[] memoryKey(MemoryKey key) {
        return ascii(key.tenant() + '\0' + key.namespace().path() + '\0' + key.key());
    }

    /**
     * The first key of the items whose namespace starts with the segment {@code first}: {@code tenant 0x00 first}. The
     * keys from there that belong to it have 0x00 or '/' right after the segment; those with '-' or '.' there (a longer
     * segment) come in between, and every other id character sorts after '/', so the run ends at the first such byte.
     */
    static byte[] memorySegmentStart(String tenant, String first) {
        return ascii(tenant + '\0' + first);
    }

    /** What the byte after {@code start} in {@code key} says: 1 the key is in the segment's run, 0 skip it, -1 the run is over. */
    static int memorySegmentMember(byte[] key, byte[] start) {
        if (!startsWith(key, start) || key.length == start.length) {
            return -1;
        }
        byte next = key[start.length];
        if (next == 0 || next == '/') {
            return 1;
        }
        return next == '-' || next == '.' ? 0 : -1;
    }

    private static byte[] ascii(String id) {
        return id.getBytes(StandardCharsets.US_ASCII);
    }

    // ---- values

    static byte[] encodeLong(long value) {
        return ByteBuffer.allocate(8).putLong(value).array();
    }

    static long decodeLong(byte[] value) {
        if (value.length != 8) {
            throw new CorruptDataException("stored version has " + value.length + " bytes instead of 8");
        }
        return ByteBuffer.wrap(value).getLong();
    }

    static byte[] encodeRecord(ThreadRecord r) {
        byte[][] strings = new byte[r.metadata().size() * 2][];
        int size = 1 + 6 * 8 + 4;
        int i = 0;
        for (Map.Entry<String, String> e : r.metadata().entrySet()) {
            strings[i] = e.getKey().getBytes(StandardCharsets.UTF_8);
            strings[i + 1] = e.getValue().getBytes(StandardCharsets.UTF_8);
            size += 8 + strings[i].length + strings[i + 1].length;
            i += 2;
        }
        ByteBuffer b = ByteBuffer.allocate(size).put(FORMAT).putLong(r.version()).putLong(r.generation())
                .putLong(r.createdAtMillis()).putLong(r.updatedAtMillis()).putLong(r.expiresAtMillis()).putLong(r.ttlMillis())
                .putInt(r.metadata().size());
        for (byte[] s : strings) {
            b.putInt(s.length).put(s);
        }
        return b.array();
    }

    static ThreadRecord decodeRecord(ThreadKey key, byte[] value) {
        try {
            ByteBuffer b = open(value, "record of " + key);
            long version = b.getLong();
            long generation = b.getLong();
            long created = b.getLong();
            long updated = b.getLong();
            long expires = b.getLong();
            long ttl = b.getLong();
            int n = b.getInt();
            TreeMap<String, String> metadata = new TreeMap<>();
            for (int i = 0; i < n; i++) {
                metadata.put(string(b), string(b));
            }
            requireConsumed(b, "record of " + key);
            return new ThreadRecord(key, version, generation, created, updated, expires, ttl, Collections.unmodifiableMap(metadata));
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw corrupt("record of " + key, e);
        }
    }

    static byte[] encodeEvent(EventRecord e) {
        byte[] type = e.type().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + 16 + 8 + 4 + type.length + e.data().length).put(FORMAT)
                .putLong(e.eventId().getMostSignificantBits()).putLong(e.eventId().getLeastSignificantBits())
                .putLong(e.timestampMillis()).putInt(type.length).put(type).put(e.data()).array();
    }

    static EventRecord decodeEvent(ThreadKey key, long version, byte[] value) {
        try {
            ByteBuffer b = open(value, "event " + version + " of " + key);
            UUID id = new UUID(b.getLong(), b.getLong());
            long timestamp = b.getLong();
            String type = string(b);
            byte[] data = new byte[b.remaining()];
            b.get(data);
            return new EventRecord(version, id, type, timestamp, data);
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw corrupt("event " + version + " of " + key, e);
        }
    }

    /** An event's id without decoding the rest. */
    static UUID eventIdOf(ThreadKey key, long version, byte[] value) {
        try {
            ByteBuffer b = open(value, "event " + version + " of " + key);
            return new UUID(b.getLong(), b.getLong());
        } catch (BufferUnderflowException e) {
            throw corrupt("event " + version + " of " + key, e);
        }
    }

    static byte[] encodeCheckpoint(StoredCheckpoint c) {
        return ByteBuffer.allocate(CHECKPOINT_HEADER + c.data().length).put(FORMAT).putLong(c.generation())
                .putLong(c.createdAtMillis()).put(c.data()).array();
    }

    static StoredCheckpoint decodeCheckpoint(ThreadKey key, long version, byte[] value) {
        try {
            ByteBuffer b = open(value, "checkpoint " + version + " of " + key);
            long generation = b.getLong();
            long created = b.getLong();
            byte[] data = new byte[b.remaining()];
            b.get(data);
            return new StoredCheckpoint(key, version, generation, created, data);
        } catch (BufferUnderflowException e) {
            throw corrupt("checkpoint " + version + " of " + key, e);
        }
    }

    static CheckpointMeta decodeCheckpointMeta(ThreadKey key, long version, byte[] value) {
        try {
            ByteBuffer b = open(value, "checkpoint " + version + " of " + key);
            return new CheckpointMeta(key, version, b.getLong(), b.getLong(), value.length - CHECKPOINT_HEADER);
        } catch (BufferUnderflowException e) {
            throw corrupt("checkpoint " + version + " of " + key, e);
        }
    }

    private static ByteBuffer open(byte[] value, String what) {
        if (value.length == 0 || value[0] != FORMAT) {
            throw new CorruptDataException("stored " + what + " has unknown format " + (value.length == 0 ? "(empty)" : value[0]));
        }
        return ByteBuffer.wrap(value, 1, value.length - 1);
    }

    private static String string(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining()) {
            throw new IllegalArgumentException("string length " + n + " past the end");
        }
        String s = new String(b.array(), b.arrayOffset() + b.position(), n, StandardCharsets.UTF_8);
        b.position(b.position() + n);
        return s;
    }

    private static void requireConsumed(ByteBuffer b, String what) {
        if (b.hasRemaining()) {
            throw new CorruptDataException("stored " + what + " has " + b.remaining() + " trailing bytes");
        }
    }

    private static CorruptDataException corrupt(String what, RuntimeException e) {
        return new CorruptDataException("stored " + what + " is truncated or malformed: " + e, e);
    }
}
