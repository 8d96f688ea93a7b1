package dev.engram.core;

import dev.engram.core.config.EngramConfig;
import dev.engram.core.config.ExtractionSettings;
import dev.engram.core.config.MemorySettings;
import dev.engram.core.extraction.Extraction;
import dev.engram.core.extraction.ExtractionPipeline;
import dev.engram.core.extraction.OpenAiEmbedder;
import dev.engram.core.extraction.OpenAiFactExtractor;
import dev.engram.core.memory.Embedder;
import dev.engram.core.memory.FactExtractor;
import dev.engram.core.memory.MemoryStore;
import dev.engram.core.model.Page;
import dev.engram.core.model.ThreadInfo;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadQuery;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.BackendContext;
import dev.engram.core.recall.DefaultMemoryStore;
import dev.engram.core.spi.BackendProviders;
import dev.engram.core.thread.ThreadEngine;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * An open engine: threads over one backend. Thread-safe; open one per application and share it.
 *
 * <pre>{@code
 * try (Engram engram = Engram.open(EngramConfig.load())) {
 *     ThreadHandle chat = engram.thread("user-42:chat-7");
 *     chat.append(Change.message(Message.user("hi"))).subscribe();
 * }
 * }</pre>
 */
public final class Engram implements AutoCloseable {

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final ThreadEngine engine;
    private final Backend backend;
    private final String providerName;
    private final EngramConfig config;
    private final Clock clock;
    private final @Nullable Embedder embedder;
    private volatile @Nullable DefaultMemoryStore memories;
    private final Extraction extraction;
    private final @Nullable ExtractionPipeline pipeline;

    private Engram(ThreadEngine engine, Backend backend, String providerName, EngramConfig config, Clock clock, @Nullable Embedder embedder,
                   @Nullable DefaultMemoryStore memories, @Nullable ExtractionPipeline pipeline) {
        this.engine = engine;
        this.backend = backend;
        this.providerName = providerName;
        this.config = config;
        this.clock = clock;
        this.embedder = embedder;
        this.memories = memories;
        this.pipeline = pipeline;
        this.extraction = pipeline != null ? pipeline : Extraction.disabled();
    }

    /** Opens an engine on the provider the config names (see {@link BackendProviders#select}). */
    public static Engram open(EngramConfig config) {
        return open(config, Clock.systemUTC());
    }

    /** Opens an engine whose timestamps and expiry follow {@code clock}. */
    public static Engram open(EngramConfig config, Clock clock) {
        return builder(config).clock(clock).open();
    }

    /** For what {@link #open(EngramConfig)} cannot set: a clock, or an embedder or fact extractor of your own. */
    public static Builder builder(EngramConfig config) {
        return new Builder(Objects.requireNonNull(config, "config"));
    }

    /**
     * Opens an engine with parts of the caller's choosing. Without an embedder or extractor set here, the engine
     * builds the OpenAI-compatible clients when {@code memory.embedding} or {@code memory.extraction} is enabled.
     */
    public static final class Builder {

        private final EngramConfig config;
        private Clock clock = Clock.systemUTC();
        private @Nullable Embedder embedder;
        private @Nullable FactExtractor extractor;

        private Builder(EngramConfig config) {
            this.config = config;
        }

        /** The clock for timestamps and expiry (default: system UTC). */
        public Builder clock(Clock c) {
            this.clock = Objects.requireNonNull(c, "clock");
            return this;
        }

        /** Embeds memory items and queries, whatever {@code memory.embedding.enabled} says. */
        public Builder embedder(Embedder e) {
            this.embedder = Objects.requireNonNull(e, "embedder");
            return this;
        }

        /** Extracts facts from turns when {@code memory.extraction.enabled} is set. */
        public Builder factExtractor(FactExtractor x) {
            this.extractor = Objects.requireNonNull(x, "factExtractor");
            return this;
        }

        public Engram open() {
            MemorySettings memory = config.memory();
            // the clients read their API keys now: a missing variable fails here, before the backend is opened
            Embedder e = embedder != null ? embedder
                    : memory.embedding().enabled() ? new OpenAiEmbedder(memory.embedding().endpoint()) : null;
            ExtractionSettings extracting = memory.extraction();
            FactExtractor x = !extracting.enabled() ? null
                    : extractor != null ? extractor : new OpenAiFactExtractor(extracting.endpoint());
            BackendProviders.Selected selected = BackendProviders.select(config);
            Backend backend = selected.provider().create(new BackendContext(selected.options(), clock));
            if (x == null) {
                return new Engram(new ThreadEngine(backend, config, clock), backend, selected.name(), config, clock, e, null, null);
            }
            DefaultMemoryStore store = new DefaultMemoryStore(backend.memories(), memory, clock, e);
            ExtractionPipeline pipeline = new ExtractionPipeline(extracting, x, store, backend.memories(), backend.events(), clock,
                    memory.maxMemories());
            ThreadEngine engine = new ThreadEngine(backend, config, clock, pipeline::appended);
            return new Engram(engine, backend, selected.name(), config, clock, e, store, pipeline);
        }
    }

    /** Opens an engine with the default configuration: {@code engram.yaml} if present, the environment, else the local provider under {@code ./data}. */
    public static Engram open() {
        return open(EngramConfig.load());
    }

    /** A thread of the default tenant in the default namespace. */
    public ThreadHandle thread(String threadId) {
        return engine.thread(ThreadKey.of(threadId));
    }

    public ThreadHandle thread(ThreadKey key) {
        return engine.thread(Objects.requireNonNull(key, "key"));
    }

    /** Emits one page of a tenant's threads, filtered by metadata. */
    public Mono<Page<ThreadInfo>> threads(ThreadQuery query) {
        return engine.threads(Objects.requireNonNull(query, "query"));
    }

    /**
     * The cross-thread memory store: facts and summaries by (tenant, namespace, key), searched by namespace prefix with
     * filters and a ranked query. Its items live in this engine's backend.
     */
    public MemoryStore memories() {
        return memoryStore();
    }

    /** Built on first use: only engines that use memories ask the backend for its memory storage. */
    private DefaultMemoryStore memoryStore() {
        DefaultMemoryStore m = memories;
        if (m == null) {
            synchronized (this) {
                m = memories;
                if (m == null) {
                    m = new DefaultMemoryStore(backend.memories(), config.memory(), clock, embedder);
                    memories = m;
                }
            }
        }
        return m;
    }

    /**
     * Background fact extraction: {@code catchUp} and {@code reextract} a thread, counters for metrics. Disabled (its
     * requests fail with a {@link ConfigurationException}) unless {@code memory.extraction.enabled} is set.
     */
    public Extraction extraction() {
        return extraction;
    }

    /** The name of the provider in use (after any fallback). */
    public String provider() {
        return providerName;
    }

    /** The backend in use, for health checks and for the memory store. */
    public Backend backend() {
        return backend;
    }

    /** Stops background work (extraction first: it writes through the backend) and closes the backend; completes when both are done. */
    public Mono<Void> shutdown() {
        Mono<Void> extractionDone = pipeline == null ? Mono.empty() : pipeline.shutdown();
        return extractionDone.then(engine.shutdown()).then(backend.close());
    }

    /** Waits (at most 30 s) for {@link #shutdown()}; for try-with-resources and {@code main}. */
    @Override
    public void close() {
        try {
            shutdown().toFuture().get(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            throw new BackendUnavailableException("engine did not close cleanly: " + e.getMessage(), e);
        }
    }
}
