package dev.engram.core.codec;

import dev.engram.core.model.Change;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadState;
import java.util.Map;

/** Kryo implementation of {@link Codec}. */
final class KryoCodec implements Codec {

    static final KryoCodec INSTANCE = new KryoCodec();

    @Override
    public byte[] encodeEvent(Change change, Map<String, String> metadata) {
        throw new UnsupportedOperationException("not yet");
    }

    @Override
    public EventPayload decodeEvent(byte[] blob) {
        throw new UnsupportedOperationException("not yet");
    }

    @Override
    public byte[] encodeState(ThreadState state) {
        throw new UnsupportedOperationException("not yet");
    }

    @Override
    public ThreadState decodeState(ThreadKey key, byte[] blob) {
        throw new UnsupportedOperationException("not yet");
    }
}
