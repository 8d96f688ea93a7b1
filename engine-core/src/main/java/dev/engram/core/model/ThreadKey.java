package dev.engram.core.model;

import dev.engram.core.internal.Ids;

/**
 * Names one thread: the tenant that owns it, its id, and the checkpoint namespace (a sub-agent's own log;
 * empty by default). Every part is validated on construction: 1..256 characters of {@code [A-Za-z0-9._:@-]},
 * the namespace may also be empty.
 */
public record ThreadKey(String tenant, String threadId, String namespace) {

    public static final String DEFAULT_TENANT = "default";

    public ThreadKey {
        Ids.require(tenant, "tenant");
        Ids.require(threadId, "threadId");
        Ids.requireOrEmpty(namespace, "namespace");
    }

    /** A thread of the default tenant in the default namespace. */
    public static ThreadKey of(String threadId) {
        return new ThreadKey(DEFAULT_TENANT, threadId, "");
    }

    public static ThreadKey of(String tenant, String threadId) {
        return new ThreadKey(tenant, threadId, "");
    }

    public ThreadKey withNamespace(String namespace) {
        return new ThreadKey(tenant, threadId, namespace);
    }

    @Override
    public String toString() {
        return tenant + "/" + threadId + (namespace.isEmpty() ? "" : "#" + namespace);
    }
}
