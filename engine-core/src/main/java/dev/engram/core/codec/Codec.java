package dev.engram.core.codec;

import dev.engram.core.model.Change;
import dev.engram.core.spi.MemoryRecord;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadState;
import java.util.Map;

/**
 * Turns events and states into stored bytes and back. Every blob starts with a header (magic, format version,
 * codec id, kind, CRC32C of the body); a blob that fails it raises {@link dev.engram.core.CorruptDataException}.
 * Encoding is deterministic: the same change and metadata always give the same bytes. Thread-safe.
 */
public interface Codec {

    /** The codec every engine uses: Kryo with hand-written serializers. */
    static Codec standard() {
        return KryoCodec.INSTANCE;
    }

    byte[] encodeEvent(Change change, Map<String, String> metadata);

    EventPayload decodeEvent(byte[] blob);

    byte[] encodeState(ThreadState state);

    /** Decodes a state stored for a thread; the state gets {@code key} (a fork stores its own). */
    ThreadState decodeState(ThreadKey key, byte[] blob);

    /** Encodes a memory item with its vector; backends store these bytes. */
    byte[] encodeMemory(MemoryRecord record);

    MemoryRecord decodeMemory(byte[] blob);

    /** A decoded event body. */
    record EventPayload(Change change, Map<String, String> metadata) {
    }
}
