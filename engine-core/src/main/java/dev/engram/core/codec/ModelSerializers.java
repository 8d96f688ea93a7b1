package dev.engram.core.codec;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import dev.engram.core.CorruptDataException;
import dev.engram.core.model.Change;
import dev.engram.core.model.Message;
import dev.engram.core.model.ThreadState;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Hand-written Kryo serializers for the model types; their fields and order are those of formats 1 and 2 (which differ
 * only in how {@link BodyOutput} writes strings) and must not change. They read and write through the codec's
 * {@link BodyInput} and {@link BodyOutput}.
 */
final class ModelSerializers {

    static final int CHANGE_MESSAGE_APPENDED = 1;
    static final int CHANGE_VALUES_SET = 2;
    static final int CHANGE_VALUES_REMOVED = 3;
    static final int CHANGE_MESSAGES_COMPACTED = 4;
    static final int CHANGE_CUSTOM = 5;

    private ModelSerializers() {
    }

    /** Registers every model type with its serializer; nothing else may be serialized. */
    static void register(Kryo kryo) {
        kryo.setRegistrationRequired(true);
        kryo.setReferences(false);
        // registration ids never reach the stored bytes: bodies are written with writeObject, which writes no class id
        kryo.register(Message.class, new MessageSerializer(), 20);
        kryo.register(ThreadState.Entry.class, new EntrySerializer(), 21);
        ChangeSerializer change = new ChangeSerializer();
        kryo.register(Change.class, change, 22);
        kryo.register(Change.MessageAppended.class, change, 23);
        kryo.register(Change.ValuesSet.class, change, 24);
        kryo.register(Change.ValuesRemoved.class, change, 25);
        kryo.register(Change.MessagesCompacted.class, change, 26);
        kryo.register(Change.Custom.class, change, 27);
    }

    /** role, content, name?, toolCallId?, id?, attributes. */
    static final class MessageSerializer extends Serializer<Message> {

        MessageSerializer() {
            super(false, true);
        }

        @Override
        public void write(Kryo kryo, Output output, Message m) {
            BodyOutput out = (BodyOutput) output;
            out.writeText(m.role());
            out.writeText(m.content());
            out.writeNullableText(m.name());
            out.writeNullableText(m.toolCallId());
            out.writeNullableText(m.id());
            Wire.writeMap(out, m.attributes(), "message.attributes");
        }

        @Override
        public Message read(Kryo kryo, Input input, Class<? extends Message> type) {
            BodyInput in = (BodyInput) input;
            String role = in.readText();
            String content = in.readText();
            String name = in.readNullableText();
            String toolCallId = in.readNullableText();
            String id = in.readNullableText();
            Map<String, Object> attributes = Wire.readMap(in);
            return new Message(role, content, name, toolCallId, id, attributes);
        }
    }

    /** version, message. */
    static final class EntrySerializer extends Serializer<ThreadState.Entry> {

        EntrySerializer() {
            super(false, true);
        }

        @Override
        public void write(Kryo kryo, Output out, ThreadState.Entry e) {
            out.writeVarLong(e.version(), true);
            kryo.writeObject(out, e.message());
        }

        @Override
        public ThreadState.Entry read(Kryo kryo, Input in, Class<? extends ThreadState.Entry> type) {
            long version = in.readVarLong(true);
            return new ThreadState.Entry(version, kryo.readObject(in, Message.class));
        }
    }

    /** A tag byte naming the kind of change, then its fields. */
    static final class ChangeSerializer extends Serializer<Change> {

        ChangeSerializer() {
            super(false, true);
        }

        @Override
        public void write(Kryo kryo, Output output, Change change) {
            BodyOutput out = (BodyOutput) output;
            if (change instanceof Change.MessageAppended m) {
                out.writeByte(CHANGE_MESSAGE_APPENDED);
                kryo.writeObject(out, m.message());
            } else if (change instanceof Change.ValuesSet s) {
                out.writeByte(CHANGE_VALUES_SET);
                Wire.writeMap(out, s.values(), "values");
            } else if (change instanceof Change.ValuesRemoved r) {
                out.writeByte(CHANGE_VALUES_REMOVED);
                out.writeVarInt(r.keys().size(), true);
                for (String key : r.keys()) {
                    out.writeText(key);
                }
            } else if (change instanceof Change.MessagesCompacted c) {
                out.writeByte(CHANGE_MESSAGES_COMPACTED);
                out.writeVarLong(c.upToVersion(), true);
                kryo.writeObject(out, c.summary());
            } else if (change instanceof Change.Custom c) {
                out.writeByte(CHANGE_CUSTOM);
                out.writeText(c.customType());
                byte[] data = c.data();
                out.writeVarInt(data.length, true);
                out.writeBytes(data);
            } else {
                throw new IllegalStateException("no encoding for change " + change.getClass().getName());
            }
        }

        @Override
        public Change read(Kryo kryo, Input input, Class<? extends Change> type) {
            BodyInput in = (BodyInput) input;
            int tag = in.readByte();
            switch (tag) {
                case CHANGE_MESSAGE_APPENDED:
                    return new Change.MessageAppended(kryo.readObject(in, Message.class));
                case CHANGE_VALUES_SET:
                    return new Change.ValuesSet(Wire.readMap(in));
                case CHANGE_VALUES_REMOVED: {
                    int n = Wire.readCount(in, "removed keys");
                    Set<String> keys = new HashSet<>(n * 2);
                    for (int i = 0; i < n; i++) {
                        keys.add(in.readText());
                    }
                    return new Change.ValuesRemoved(keys);
                }
                case CHANGE_MESSAGES_COMPACTED: {
                    long upToVersion = in.readVarLong(true);
                    return new Change.MessagesCompacted(upToVersion, kryo.readObject(in, Message.class));
                }
                case CHANGE_CUSTOM: {
                    String customType = in.readText();
                    return new Change.Custom(customType, Wire.readBytes(in, "custom data byte"));
                }
                default:
                    throw new CorruptDataException("unknown change tag " + tag);
            }
        }
    }
}
