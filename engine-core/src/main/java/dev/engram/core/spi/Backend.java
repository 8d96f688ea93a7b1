package dev.engram.core.spi;

import java.util.Set;
import reactor.core.publisher.Mono;

/** One configured storage backend. */
public interface Backend {

    EventLog events();

    CheckpointStore checkpoints();

    ChangeFeed changes();

    /** The memory store's storage. */
    MemoryStorage memories();

    Set<Capability> capabilities();

    /** Answers when the backend can serve requests (for readiness checks). */
    Mono<Void> ping();

    /** Releases connections, files and threads. Appends acknowledged before it completes are durable per the backend's sync mode. */
    Mono<Void> close();
}
