package dev.engram.core.spi;

import dev.engram.core.memory.MemoryItem;
import dev.engram.core.memory.MemoryKey;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A memory item as a backend stores it: the item and, when an embedder produced one, its vector (unit length, so
 * cosine similarity is a dot product). Backends encode it with {@link dev.engram.core.codec.Codec#encodeMemory} and
 * address it by {@link #key()} and {@link #expiresAt()}.
 *
 * <p>A record also carries one memo slot the engine fills with what it derives for ranking (the item's terms), so a
 * backend that keeps records in memory lets the engine tokenise each item once rather than on every search.
 */
public final class MemoryRecord {

    private final MemoryItem item;
    private final float @Nullable [] vector;
    private volatile @Nullable Memo memo;

    public MemoryRecord(MemoryItem item, float @Nullable [] vector) {
        this.item = Objects.requireNonNull(item, "item");
        this.vector = vector;
    }

    public MemoryItem item() {
        return item;
    }

    public MemoryKey key() {
        return item.key();
    }

    public @Nullable Instant expiresAt() {
        return item.expiresAt();
    }

    /** The unit vector, or null; callers must not change it. */
    public float @Nullable [] vector() {
        return vector;
    }

    /** The same item and vector with another expiry (a TTL refreshed on read). */
    public MemoryRecord withExpiresAt(@Nullable Instant expiresAt) {
        MemoryItem i = item;
        return new MemoryRecord(new MemoryItem(i.key(), i.value(), i.kind(), i.provenance(), i.createdAt(), i.updatedAt(), expiresAt), vector);
    }

    /** What {@code derive} makes of this record for {@code owner}, computed once per owner and kept. */
    @SuppressWarnings("unchecked")
    public <T> T derived(Object owner, Function<MemoryRecord, T> derive) {
        Memo m = memo;
        if (m != null && m.owner == owner) {
            return (T) m.value;
        }
        T value = derive.apply(this);
        memo = new Memo(owner, value);
        return value;
    }

    private record Memo(Object owner, Object value) {
    }

    @Override
    public String toString() {
        return "MemoryRecord[" + item.key() + (vector == null ? "" : ", " + vector.length + "-d vector") + "]";
    }
}
