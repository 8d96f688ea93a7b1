package dev.engram.core.extraction;

import dev.engram.core.ConfigurationException;
import dev.engram.core.model.ThreadKey;
import reactor.core.publisher.Mono;

/**
 * Background fact extraction ({@code engram.extraction()}). When {@code memory.extraction.enabled} is set, every
 * acknowledged append to a thread whose metadata names a user (under {@code memory.extraction.userMetadataKey}) queues
 * the thread; workers send its turns after the thread's high-water mark to the {@link dev.engram.core.memory.FactExtractor}
 * and apply the decisions to the user's facts namespace. Each turn is extracted once, across restarts.
 *
 * <p>After a restart nothing is lost but nothing runs by itself either: a thread whose mark is behind its head is
 * extracted when it is next appended to, or when {@link #catchUp} asks for it.
 */
public interface Extraction {

    /** Whether extraction is enabled; when it is not, {@link #catchUp} and {@link #reextract} fail with a {@link ConfigurationException}. */
    boolean enabled();

    /**
     * Extracts the thread's turns after its mark now, ahead of the queue's capacity. Completes once the thread is
     * extracted up to the head it had when its extraction started; errors with {@link dev.engram.core.NotFoundException}
     * when the thread does not exist, {@link dev.engram.core.InvalidInputException} when its metadata names no user, or
     * with the extraction's own failure (the thread is then retried later, as after any failure).
     */
    Mono<Void> catchUp(ThreadKey thread);

    /**
     * Rebuilds the thread's facts from its log: deletes the user's facts whose provenance is this thread, resets the
     * mark, and extracts the whole log again (with the current extractor and prompt). Completes and errors like
     * {@link #catchUp}. Facts that a later turn of another thread took over (their provenance names that thread) are
     * kept: to rebuild a user's facts entirely, reextract each of their threads, oldest first.
     */
    Mono<Void> reextract(ThreadKey thread);

    /** The counters and the backlog, for metrics. */
    ExtractionStats stats();

    /** Completes when nothing is queued, running or waiting for a retry (at once when that is already so); for tests and benchmarks. */
    Mono<Void> whenIdle();

    /** The pipeline of an engine without extraction. */
    static Extraction disabled() {
        return Disabled.INSTANCE;
    }

    /** What {@link #disabled()} returns. */
    enum Disabled implements Extraction {
        INSTANCE;

        @Override
        public boolean enabled() {
            return false;
        }

        @Override
        public Mono<Void> catchUp(ThreadKey thread) {
            return Mono.error(() -> new ConfigurationException("fact extraction is not enabled (memory.extraction.enabled)"));
        }

        @Override
        public Mono<Void> reextract(ThreadKey thread) {
            return catchUp(thread);
        }

        @Override
        public ExtractionStats stats() {
            return ExtractionStats.NONE;
        }

        @Override
        public Mono<Void> whenIdle() {
            return Mono.empty();
        }
    }
}
