package dev.engram.core.codec;

import dev.engram.core.CorruptDataException;
import dev.engram.core.memory.MemoryItem;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.Namespace;
import dev.engram.core.memory.Provenance;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.MemoryRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The body of a memory-item blob (layout in {@link KryoCodec}'s documentation). */
final class MemoryItems {

    private MemoryItems() {
    }

    static void write(BodyOutput out, MemoryRecord record) {
        MemoryItem item = record.item();
        MemoryKey key = item.key();
        out.writeText(key.tenant());
        List<String> segments = key.namespace().segments();
        out.writeVarInt(segments.size(), true);
        for (String segment : segments) {
            out.writeText(segment);
        }
        out.writeText(key.key());
        out.writeText(item.kind());
        Wire.writeMap(out, item.value(), "memory value");
        out.writeVarLong(item.createdAt().toEpochMilli(), false);
        out.writeVarLong(item.updatedAt().toEpochMilli(), false);
        out.writeVarLong(item.expiresAt() == null ? 0 : item.expiresAt().toEpochMilli() + 1, true);
        Provenance p = item.provenance();
        if (p == null) {
            out.writeByte(0);
        } else {
            out.writeByte(1);
            out.writeText(p.thread().tenant());
            out.writeText(p.thread().threadId());
            out.writeText(p.thread().namespace());
            out.writeVarLong(p.fromVersion(), true);
            out.writeVarLong(p.toVersion(), true);
            out.writeNullableText(p.extractor());
            out.writeNullableText(p.model());
        }
        float[] vector = record.vector();
        if (vector == null) {
            out.writeVarInt(0, true);
        } else {
            out.writeVarInt(vector.length, true);
            out.writeFloats(vector, 0, vector.length);
        }
    }

    static MemoryRecord read(BodyInput in) {
        String tenant = in.readText();
        int depth = Wire.readCount(in, "namespace segment");
        List<String> segments = new ArrayList<>(depth);
        for (int i = 0; i < depth; i++) {
            segments.add(in.readText());
        }
        String key = in.readText();
        String kind = in.readText();
        Map<String, Object> value = Wire.readMap(in);
        Instant createdAt = Instant.ofEpochMilli(in.readVarLong(false));
        Instant updatedAt = Instant.ofEpochMilli(in.readVarLong(false));
        long expires = in.readVarLong(true);
        Instant expiresAt = expires == 0 ? null : Instant.ofEpochMilli(expires - 1);
        Provenance provenance = switch (in.readByte()) {
            case 0 -> null;
            case 1 -> new Provenance(new ThreadKey(in.readText(), in.readText(), in.readText()),
                    in.readVarLong(true), in.readVarLong(true), in.readNullableText(), in.readNullableText());
            default -> throw new CorruptDataException("unknown provenance tag");
        };
        int dimension = in.readVarInt(true);
        if (dimension < 0 || dimension > (in.limit() - in.position()) / 4) {
            throw new CorruptDataException("vector dimension " + dimension + " exceeds the bytes left");
        }
        float @Nullable [] vector = null;
        if (dimension > 0) {
            vector = in.readFloats(dimension);
        }
        MemoryKey memoryKey = new MemoryKey(tenant, new Namespace(segments), key);
        return new MemoryRecord(new MemoryItem(memoryKey, value, kind, provenance, createdAt, updatedAt, expiresAt), vector);
    }
}
