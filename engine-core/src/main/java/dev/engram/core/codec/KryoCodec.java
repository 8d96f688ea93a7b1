package dev.engram.core.codec;

import static java.util.Objects.requireNonNull;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.util.Pool;
import dev.engram.core.CorruptDataException;
import dev.engram.core.PayloadTooLargeException;
import dev.engram.core.model.Change;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadState;
import dev.engram.core.spi.MemoryRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Kryo implementation of {@link Codec}, with a hand-written serializer for every model type.
 *
 * <p>Blob layout (every blob, every format version):
 * <pre>
 * offset  size  field
 *   0      2    magic 0xE6 0x47
 *   2      1    format version (1 or 2; this build writes 2)
 *   3      1    codec id (1 = kryo)
 *   4      1    kind (1 = event, 2 = state, 3 = memory item)
 *   5      4    CRC32C of the body, big-endian
 *   9      n    body
 * </pre>
 *
 * <p>Body, formats 1 and 2 (they differ only in their strings, below). {@code varint}/{@code varlong} are Kryo's
 * variable-length encodings, 7 bits a byte, low bits first ({@code +} = positive-optimised, {@code ±} = zigzag); a
 * {@code map} is varint+ count then (string key, value) pairs in ascending key order.
 * <ul>
 * <li>event: change, then metadata as varint+ count and (string key, string value) pairs in key order.
 * <li>change: tag byte, then 1 message: message; 2 values.set: map; 3 values.removed: varint+ count, strings in
 *     order; 4 messages.compacted: varlong+ upToVersion, message; 5 custom: string type, varint+ length, bytes.
 * <li>message: string role, string content, string? name, string? toolCallId, string? id, map attributes.
 * <li>value: tag byte, then 0 null; 1 string; 2 true; 3 false; 4 long: varlong±; 5 double: 8 bytes, the
 *     little-endian {@code doubleToLongBits}; 6 big integer: varint+ length, two's-complement bytes; 7 big decimal:
 *     varint± scale, then the unscaled value as a big integer; 8 list: varint+ count, values; 9 map.
 * <li>state: varlong+ version, varlong± updatedAt epoch second, varint+ nano, varint+ entry count, each entry as
 *     varlong+ version and message, then the values map. The thread key is not stored: the reader supplies it.
 * <li>memory item: string tenant, varint+ segment count and strings, string key, string kind, map value, then
 *     createdAt and updatedAt as varlong± epoch millis, varlong+ (expiresAt epoch millis + 1, 0 for none),
 *     provenance (byte 0 none, 1 present: string tenant, string threadId, string namespace, varlong+ from,
 *     varlong+ to, string? extractor, string? model), then varint+ vector dimension (0 for none) and the floats
 *     as Kryo writes them (4 bytes each, like doubles).
 * </ul>
 *
 * <p>Strings, format 2 (written): a {@code string} is a varlong+ header, (length in chars &lt;&lt; 1) | coder, then
 * the chars: coder 0, Latin-1, one byte a char; coder 1, UTF-16, two bytes a char (code units, little-endian, lone
 * surrogates kept as they are). The writer picks Latin-1 whenever every char is at most U+00FF, so a string has exactly
 * one encoding and a UTF-16 string without a char above U+00FF is corrupt. A {@code string?} is the header + 1, 0 for
 * null. Both encodings are copies of what a JDK string holds, where UTF-8 has to convert every non-ASCII char.
 *
 * <p>Strings, format 1 (read only): a {@code string} is varint+ byte length then the UTF-8 bytes (a lone surrogate
 * was written as {@code ?}); a {@code string?} is varint+ (length + 1), 0 for null.
 *
 * <p>Decoding dispatches on the format version, so every format stays readable; the blobs under
 * {@code src/test/resources/codec/v1} and {@code codec/v2} pin them.
 */
final class KryoCodec implements Codec {

    static final KryoCodec INSTANCE = new KryoCodec();

    static final byte MAGIC_0 = (byte) 0xE6;
    static final byte MAGIC_1 = (byte) 0x47;
    static final int FORMAT_V1 = 1;
    static final int FORMAT_V2 = 2;
    static final int CURRENT_FORMAT = FORMAT_V2;
    static final int CODEC_KRYO = 1;
    static final int KIND_EVENT = 1;
    static final int KIND_STATE = 2;
    static final int KIND_MEMORY = 3;
    static final int CRC_OFFSET = 5;
    static final int HEADER_SIZE = 9;

    private static final int INITIAL_BUFFER = 8 * 1024;
    // a 2,000-turn state of mixed text is about 1.2 MB in format 2: its checkpoints reuse the buffer instead of regrowing it
    private static final int MAX_RETAINED_BUFFER = 2 * 1024 * 1024;

    // Pool, not ThreadLocal: callers may be many or virtual threads; bounded and soft, idle buffers stay reclaimable
    private final Pool<Session> sessions = new Pool<>(true, true, Math.max(4, 2 * Runtime.getRuntime().availableProcessors())) {
        @Override
        protected Session create() {
            return new Session();
        }
    };

    private KryoCodec() {
    }

    @Override
    public byte[] encodeEvent(Change change, Map<String, String> metadata) {
        requireNonNull(change, "change");
        requireNonNull(metadata, "metadata");
        Session s = sessions.obtain();
        try {
            BodyOutput out = s.begin(KIND_EVENT);
            s.kryo.writeObject(out, change);
            Wire.writeStringMap(out, metadata, "event metadata");
            return s.finish();
        } catch (KryoException e) {
            throw s.tooLarge("encoded event");
        } finally {
            sessions.free(s);
        }
    }

    @Override
    public EventPayload decodeEvent(byte[] blob) {
        requireNonNull(blob, "blob");
        Session s = sessions.obtain();
        try {
            int format = s.checkHeader(blob, KIND_EVENT);
            BodyInput in = s.open(blob, format);
            try {
                EventPayload payload = switch (format) {
                    case FORMAT_V1, FORMAT_V2 -> readEvent(s.kryo, in);
                    default -> throw new IllegalStateException("format " + format + " passed the header check");
                };
                requireFullyRead(in);
                return payload;
            } catch (RuntimeException e) {
                throw undecodable(KIND_EVENT, format, blob, e);
            }
        } finally {
            sessions.free(s);
        }
    }

    @Override
    public byte[] encodeState(ThreadState state) {
        requireNonNull(state, "state");
        Session s = sessions.obtain();
        try {
            BodyOutput out = s.begin(KIND_STATE);
            out.writeVarLong(state.version(), true);
            Instant updatedAt = state.updatedAt();
            out.writeVarLong(updatedAt.getEpochSecond(), false);
            out.writeVarInt(updatedAt.getNano(), true);
            List<ThreadState.Entry> entries = state.entries();
            out.writeVarInt(entries.size(), true);
            for (ThreadState.Entry e : entries) {
                s.kryo.writeObject(out, e);
            }
            Wire.writeMap(out, state.values(), "values");
            return s.finish();
        } catch (KryoException e) {
            throw s.tooLarge("encoded state");
        } finally {
            sessions.free(s);
        }
    }

    @Override
    public ThreadState decodeState(ThreadKey key, byte[] blob) {
        requireNonNull(key, "key");
        requireNonNull(blob, "blob");
        Session s = sessions.obtain();
        try {
            int format = s.checkHeader(blob, KIND_STATE);
            BodyInput in = s.open(blob, format);
            try {
                ThreadState state = switch (format) {
                    case FORMAT_V1, FORMAT_V2 -> readState(s.kryo, in, key);
                    default -> throw new IllegalStateException("format " + format + " passed the header check");
                };
                requireFullyRead(in);
                return state;
            } catch (RuntimeException e) {
                throw undecodable(KIND_STATE, format, blob, e);
            }
        } finally {
            sessions.free(s);
        }
    }

    @Override
    public byte[] encodeMemory(MemoryRecord record) {
        requireNonNull(record, "record");
        Session s = sessions.obtain();
        try {
            BodyOutput out = s.begin(KIND_MEMORY);
            MemoryItems.write(out, record);
            return s.finish();
        } catch (KryoException e) {
            throw s.tooLarge("encoded memory item");
        } finally {
            sessions.free(s);
        }
    }

    @Override
    public MemoryRecord decodeMemory(byte[] blob) {
        requireNonNull(blob, "blob");
        Session s = sessions.obtain();
        try {
            int format = s.checkHeader(blob, KIND_MEMORY);
            BodyInput in = s.open(blob, format);
            try {
                MemoryRecord record = switch (format) {
                    case FORMAT_V1, FORMAT_V2 -> MemoryItems.read(in);
                    default -> throw new IllegalStateException("format " + format + " passed the header check");
                };
                requireFullyRead(in);
                return record;
            } catch (RuntimeException e) {
                throw undecodable(KIND_MEMORY, format, blob, e);
            }
        } finally {
            sessions.free(s);
        }
    }

    private static EventPayload readEvent(Kryo kryo, BodyInput in) {
        Change change = kryo.readObject(in, Change.class);
        return new EventPayload(change, Wire.readStringMap(in, "event metadata"));
    }

    private static ThreadState readState(Kryo kryo, BodyInput in, ThreadKey key) {
        long version = in.readVarLong(true);
        if (version < 0) {
            throw new CorruptDataException("negative state version " + version);
        }
        long second = in.readVarLong(false);
        int nano = in.readVarInt(true);
        if (nano < 0 || nano > 999_999_999) {
            throw new CorruptDataException("updatedAt nanos out of range: " + nano);
        }
        Instant updatedAt = Instant.ofEpochSecond(second, nano);
        int count = Wire.readCount(in, "entry");
        List<ThreadState.Entry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            entries.add(kryo.readObject(in, ThreadState.Entry.class));
        }
        Map<String, Object> values = Wire.readMap(in);
        return ThreadState.of(key, version, entries, values, updatedAt);
    }

    private static void requireFullyRead(BodyInput in) {
        int left = in.limit() - in.position();
        if (left != 0) {
            throw new CorruptDataException(left + " bytes left over after the body");
        }
    }

    private static CorruptDataException undecodable(int kind, int format, byte[] blob, RuntimeException e) {
        String detail = e instanceof KryoException ? "body ends early (" + e.getMessage() + ")" : e.getMessage();
        return new CorruptDataException("cannot decode " + kindName(kind) + " blob of " + blob.length
                + " bytes (format " + format + "): " + detail, e);
    }

    private static String kindName(int kind) {
        return switch (kind) {
            case KIND_EVENT -> "event";
            case KIND_STATE -> "state";
            case KIND_MEMORY -> "memory item";
            default -> "unknown kind";
        };
    }

    private static String hex(int value, int digits) {
        return String.format("0x%0" + digits + "X", value);
    }

    /** One thread's Kryo with its buffers and checksum, taken from the pool for a single encode or decode. */
    private static final class Session implements Pool.Poolable {

        final Kryo kryo = new Kryo();
        final BodyOutput output = new BodyOutput(INITIAL_BUFFER);
        final BodyInput input = new BodyInput();
        final CRC32C crc = new CRC32C();

        Session() {
            ModelSerializers.register(kryo);
            // the session is reset when it goes back to the pool, not after every top-level object
            kryo.setAutoReset(false);
        }

        BodyOutput begin(int kind) {
            output.reset();
            output.writeByte(MAGIC_0);
            output.writeByte(MAGIC_1);
            output.writeByte(CURRENT_FORMAT);
            output.writeByte(CODEC_KRYO);
            output.writeByte(kind);
            output.writeInt(0);
            return output;
        }

        byte[] finish() {
            byte[] buffer = output.getBuffer();
            int end = output.position();
            int checksum = crc(buffer, HEADER_SIZE, end - HEADER_SIZE);
            buffer[CRC_OFFSET] = (byte) (checksum >>> 24);
            buffer[CRC_OFFSET + 1] = (byte) (checksum >>> 16);
            buffer[CRC_OFFSET + 2] = (byte) (checksum >>> 8);
            buffer[CRC_OFFSET + 3] = (byte) checksum;
            return output.toBytes();
        }

        /** Writing overflows the output only past the largest array the JVM can allocate. */
        PayloadTooLargeException tooLarge(String what) {
            return new PayloadTooLargeException(what, output.position(), output.getMaxCapacity());
        }

        /** Checks the header and the body's CRC32C; returns the format version. */
        int checkHeader(byte[] blob, int expectedKind) {
            String what = kindName(expectedKind) + " blob";
            if (blob.length < HEADER_SIZE) {
                throw new CorruptDataException("truncated " + what + ": " + blob.length + " bytes, shorter than the "
                        + HEADER_SIZE + "-byte header");
            }
            if (blob[0] != MAGIC_0 || blob[1] != MAGIC_1) {
                throw new CorruptDataException("not an Engram blob: magic is " + hex(((blob[0] & 0xFF) << 8) | (blob[1] & 0xFF), 4)
                        + ", expected " + hex(((MAGIC_0 & 0xFF) << 8) | (MAGIC_1 & 0xFF), 4));
            }
            int format = blob[2] & 0xFF;
            if (format < FORMAT_V1 || format > CURRENT_FORMAT) {
                throw new CorruptDataException("unknown format version " + format + " in " + what + " (this build reads "
                        + FORMAT_V1 + ".." + CURRENT_FORMAT + "; written by a newer Engram?)");
            }
            int codec = blob[3] & 0xFF;
            if (codec != CODEC_KRYO) {
                throw new CorruptDataException("unknown codec id " + codec + " in " + what + " (this build reads "
                        + CODEC_KRYO + " = kryo)");
            }
            int kind = blob[4] & 0xFF;
            if (kind != expectedKind) {
                throw new CorruptDataException("wrong kind: expected " + what + " (kind " + expectedKind + "), got kind "
                        + kind + " (" + kindName(kind) + ")");
            }
            int stored = ((blob[CRC_OFFSET] & 0xFF) << 24) | ((blob[CRC_OFFSET + 1] & 0xFF) << 16)
                    | ((blob[CRC_OFFSET + 2] & 0xFF) << 8) | (blob[CRC_OFFSET + 3] & 0xFF);
            int computed = crc(blob, HEADER_SIZE, blob.length - HEADER_SIZE);
            if (stored != computed) {
                throw new CorruptDataException("CRC32C mismatch in " + what + " of " + blob.length + " bytes: stored "
                        + hex(stored, 8) + ", computed " + hex(computed, 8) + " (corrupt or truncated body)");
            }
            return format;
        }

        BodyInput open(byte[] blob, int format) {
            input.open(blob, HEADER_SIZE, blob.length - HEADER_SIZE, format);
            return input;
        }

        private int crc(byte[] bytes, int offset, int length) {
            crc.reset();
            crc.update(bytes, offset, length);
            return (int) crc.getValue();
        }

        @Override
        public void reset() {
            kryo.reset();
            input.release();
            // one huge state must not pin its buffer in the pool for good (sessions are soft-referenced too)
            if (output.getBuffer().length > MAX_RETAINED_BUFFER) {
                output.setBuffer(new byte[INITIAL_BUFFER], -1);
            }
        }
    }
}
