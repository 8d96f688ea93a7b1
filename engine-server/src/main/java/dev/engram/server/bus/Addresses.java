package dev.engram.server.bus;

import java.util.List;
import java.util.stream.Stream;

/** The event bus addresses the server answers and publishes on. */
public final class Addresses {

    public static final String APPEND = "engram.thread.append";
    public static final String STATE = "engram.thread.state";
    public static final String EVENTS = "engram.thread.events";
    public static final String CHECKPOINT = "engram.thread.checkpoint";
    public static final String DELETE = "engram.thread.delete";
    public static final String MEMORY_PUT = "engram.memory.put";
    public static final String MEMORY_GET = "engram.memory.get";
    public static final String MEMORY_DELETE = "engram.memory.delete";
    public static final String MEMORY_SEARCH = "engram.memory.search";
    public static final String MEMORY_NAMESPACES = "engram.memory.namespaces";
    /**
     * Followed by the thread id, for verticles in the same Vert.x (the owning tenant is in the {@value #TENANT_HEADER}
     * header); followed by {@code <tenant>/<threadId>} for bridge clients, who may only register their own tenant's.
     */
    public static final String CHANGED_PREFIX = "engram.thread.changed.";
    /** The header that names the tenant of a request or a publication; set by the bridge, never taken from outside clients. */
    public static final String TENANT_HEADER = "tenant";
    public static final String AUTHORIZATION_HEADER = "authorization";

    public static final List<String> THREAD_REQUESTS = List.of(APPEND, STATE, EVENTS, CHECKPOINT, DELETE);
    public static final List<String> MEMORY_REQUESTS = List.of(MEMORY_PUT, MEMORY_GET, MEMORY_DELETE, MEMORY_SEARCH, MEMORY_NAMESPACES);
    /** Every request/reply address: the only ones bridge clients may send to. */
    public static final List<String> REQUESTS = Stream.concat(THREAD_REQUESTS.stream(), MEMORY_REQUESTS.stream()).toList();

    private Addresses() {
    }

    public static String changed(String threadId) {
        return CHANGED_PREFIX + threadId;
    }

    /** The tenant-scoped change address: '/' cannot occur in ids, so it never collides with another tenant's. */
    public static String changed(String tenant, String threadId) {
        return CHANGED_PREFIX + tenant + "/" + threadId;
    }

    /** Whether {@code address} is a change address of {@code tenant}'s threads. */
    public static boolean isChangedOf(String address, String tenant) {
        String prefix = CHANGED_PREFIX + tenant + "/";
        return address.startsWith(prefix) && address.length() > prefix.length();
    }
}
