package dev.engram.core.memory;

import dev.engram.core.InvalidInputException;
import dev.engram.core.internal.Ids;
import dev.engram.core.model.ThreadKey;

/** Names one memory item: its tenant, a namespace of at least one segment, and a key (both following the id rule). */
public record MemoryKey(String tenant, Namespace namespace, String key) {

    public MemoryKey {
        Ids.require(tenant, "tenant");
        if (namespace == null) {
            throw new InvalidInputException("namespace is required");
        }
        if (namespace.isRoot()) {
            throw new InvalidInputException("namespace must have at least one segment");
        }
        Ids.require(key, "key");
    }

    /** An item of the default tenant. */
    public static MemoryKey of(Namespace namespace, String key) {
        return new MemoryKey(ThreadKey.DEFAULT_TENANT, namespace, key);
    }

    @Override
    public String toString() {
        return tenant + "/" + namespace.path() + "#" + key;
    }
}
