package dev.engram.backend.redis;

import dev.engram.core.memory.MemoryKey;
import dev.engram.core.model.ThreadKey;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Names the keys of one deployment. A thread's keys share the hash tag {@code {tenant|threadId|namespace}}, so they
 * live in one Cluster slot; {@code |} cannot occur in ids, so two threads never share a tag. A memory space (a
 * tenant's items whose namespaces share a first segment) has the tag {@code {tenant|segment}}: one {@code |} where a
 * thread's tag has two, so no memory key is ever a thread's.
 */
final class RedisKeys {

    /** Sorts below every character ids may hold, so the index's byte order is (threadId, namespace) order. */
    static final char MEMBER_SEPARATOR = ',';
    /** Separates a memory item's namespace path from its key; ids never hold it. */
    static final char MEMORY_KEY_SEPARATOR = '#';

    private static final String RECORD_SUFFIX = "thread";
    private static final String EVENTS_SUFFIX = "events";
    private static final String EVENT_IDS_SUFFIX = "ids";
    private static final String CHECKPOINTS_SUFFIX = "cp";
    private static final String CHECKPOINT_META_SUFFIX = "cpmeta";
    private static final byte[] RECORD = RECORD_SUFFIX.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENTS = EVENTS_SUFFIX.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT_IDS = EVENT_IDS_SUFFIX.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CHECKPOINTS = CHECKPOINTS_SUFFIX.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CHECKPOINT_META = CHECKPOINT_META_SUFFIX.getBytes(StandardCharsets.US_ASCII);

    private final String prefix;

    RedisKeys(String prefix) {
        this.prefix = prefix;
    }

    String prefix() {
        return prefix;
    }

    private String tagged(ThreadKey key, String suffix) {
        return prefix + ":{" + key.tenant() + '|' + key.threadId() + '|' + key.namespace() + "}:" + suffix;
    }

    String record(ThreadKey key) {
        return tagged(key, RECORD_SUFFIX);
    }

    String events(ThreadKey key) {
        return tagged(key, EVENTS_SUFFIX);
    }

    String eventIds(ThreadKey key) {
        return tagged(key, EVENT_IDS_SUFFIX);
    }

    String checkpoints(ThreadKey key) {
        return tagged(key, CHECKPOINTS_SUFFIX);
    }

    String checkpointMeta(ThreadKey key) {
        return tagged(key, CHECKPOINT_META_SUFFIX);
    }

    /**
     * Every key of the thread, encoded, in the order the append script expects: record, events, event ids, checkpoints,
     * checkpoint metadata. The part they share is encoded once, as this runs for every append on the caller's thread.
     */
    List<byte[]> all(ThreadKey key) {
        byte[] stem = tagged(key, "").getBytes(StandardCharsets.UTF_8);
        return List.of(join(stem, RECORD), join(stem, EVENTS), join(stem, EVENT_IDS), join(stem, CHECKPOINTS), join(stem, CHECKPOINT_META));
    }

    private static byte[] join(byte[] stem, byte[] suffix) {
        byte[] key = Arrays.copyOf(stem, stem.length + suffix.length);
        System.arraycopy(suffix, 0, key, stem.length, suffix.length);
        return key;
    }

    /**
     * The pub/sub channel that carries the thread's new heads. The append script names it from the record key
     * (its "thread" replaced by "head"), so the two suffixes change together or not at all.
     */
    String channel(ThreadKey key) {
        return tagged(key, "head");
    }

    /** The sorted set of a tenant's threads; in its own slot, so it is kept beside the thread, not inside its scripts. */
    String tenantIndex(String tenant) {
        return prefix + ":tenant:" + tenant + ":threads";
    }

    private String memoryTagged(String tenant, String segment, String suffix) {
        return prefix + ":{" + tenant + '|' + segment + "}:" + suffix;
    }

    /** What every item key of a memory space starts with; an item's key is this followed by its member. */
    String memoryItemStem(String tenant, String segment) {
        return memoryTagged(tenant, segment, "m:");
    }

    /** The string key holding one memory item's encoded record. */
    String memoryItem(MemoryKey key) {
        return memoryItemStem(key.tenant(), firstSegment(key)) + memoryMember(key);
    }

    /** The sorted set naming every item of a memory space, scored by expiry (epoch millis of the engine's clock; +inf: never). */
    String memoryIndex(String tenant, String segment) {
        return memoryTagged(tenant, segment, "items");
    }

    /** The sorted set (all scores 0) of a tenant's memory spaces, by first segment; in its own slot, like the thread index. */
    String memorySpaces(String tenant) {
        return prefix + ":tenant:" + tenant + ":memories";
    }

    static String firstSegment(MemoryKey key) {
        return key.namespace().segments().get(0);
    }

    /** An item's member in its space's index: {@code path#key}; neither '/' nor '#' occurs in segments or keys. */
    static String memoryMember(MemoryKey key) {
        return key.namespace().path() + MEMORY_KEY_SEPARATOR + key.key();
    }

    /** The namespace path of an index member. */
    static String memoryMemberPath(String member) {
        int sep = member.lastIndexOf(MEMORY_KEY_SEPARATOR);
        return sep < 0 ? member : member.substring(0, sep);
    }

    static String member(ThreadKey key) {
        return key.threadId() + MEMBER_SEPARATOR + key.namespace();
    }

    /** The thread a member of {@code tenant}'s index names, or null when the member is not one this backend wrote. */
    static @Nullable ThreadKey fromMember(String tenant, String member) {
        int sep = member.indexOf(MEMBER_SEPARATOR);
        if (sep <= 0) {
            return null;
        }
        try {
            return new ThreadKey(tenant, member.substring(0, sep), member.substring(sep + 1));
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The index member a listing cursor ({@code threadId/namespace}) stands for. */
    static String cursorMember(String cursor) {
        int slash = cursor.indexOf('/');
        String threadId = slash < 0 ? cursor : cursor.substring(0, slash);
        String namespace = slash < 0 ? "" : cursor.substring(slash + 1);
        return threadId + MEMBER_SEPARATOR + namespace;
    }
}
