package dev.engram.core.memory;

import dev.engram.core.InvalidInputException;
import dev.engram.core.internal.Ids;
import dev.engram.core.model.ThreadKey;
import org.jspecify.annotations.Nullable;

/**
 * Lists the distinct namespaces holding live items of a tenant, in path order.
 *
 * @param prefix   only namespaces starting with these segments (the root: all)
 * @param suffix   only namespaces ending with these segments (the root: no condition)
 * @param maxDepth namespaces deeper than this are cut to their first {@code maxDepth} segments (then de-duplicated); null: no cut
 */
public record NamespaceQuery(String tenant, Namespace prefix, Namespace suffix, @Nullable Integer maxDepth, int limit, int offset) {

    public static final int DEFAULT_LIMIT = 100;

    public NamespaceQuery {
        Ids.require(tenant, "tenant");
        if (prefix == null || suffix == null) {
            throw new InvalidInputException("prefix and suffix are required (use Namespace.ROOT for none)");
        }
        if (maxDepth != null && maxDepth < 1) {
            throw new InvalidInputException("maxDepth must be at least 1, got " + maxDepth);
        }
        if (limit < 1) {
            throw new InvalidInputException("limit must be at least 1, got " + limit);
        }
        if (offset < 0) {
            throw new InvalidInputException("offset must not be negative, got " + offset);
        }
    }

    public static NamespaceQuery all() {
        return new NamespaceQuery(ThreadKey.DEFAULT_TENANT, Namespace.ROOT, Namespace.ROOT, null, DEFAULT_LIMIT, 0);
    }

    public static NamespaceQuery of(String tenant) {
        return new NamespaceQuery(tenant, Namespace.ROOT, Namespace.ROOT, null, DEFAULT_LIMIT, 0);
    }

    public NamespaceQuery prefix(Namespace p) {
        return new NamespaceQuery(tenant, p, suffix, maxDepth, limit, offset);
    }

    public NamespaceQuery suffix(Namespace s) {
        return new NamespaceQuery(tenant, prefix, s, maxDepth, limit, offset);
    }

    public NamespaceQuery maxDepth(@Nullable Integer depth) {
        return new NamespaceQuery(tenant, prefix, suffix, depth, limit, offset);
    }

    public NamespaceQuery limit(int max) {
        return new NamespaceQuery(tenant, prefix, suffix, maxDepth, max, offset);
    }

    public NamespaceQuery offset(int skip) {
        return new NamespaceQuery(tenant, prefix, suffix, maxDepth, limit, skip);
    }
}
