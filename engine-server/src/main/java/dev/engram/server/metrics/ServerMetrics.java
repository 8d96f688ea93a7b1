package dev.engram.server.metrics;

import dev.engram.core.extraction.ExtractionStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/** Engram's own meters, beside the HTTP request rates and latencies that Vert.x records in the same registry. */
public final class ServerMetrics {

    private final Counter appends;
    private final Counter appendedEvents;
    private final Counter conflicts;
    private final Counter checkpoints;
    private final Counter backendErrors;
    private final Counter overflows;
    private final Counter rateLimited;
    private final AtomicInteger wsConnections = new AtomicInteger();
    private final AtomicInteger wsSubscriptions = new AtomicInteger();
    private final AtomicInteger bridgeSockets = new AtomicInteger();
    /** Held here because meters keep only a weak reference to the object they read: a lambda alone would be collected. */
    private Supplier<ExtractionStats> extractionStats = () -> ExtractionStats.NONE;

    public ServerMetrics(MeterRegistry registry) {
        appends = Counter.builder("engram.appends").description("Acknowledged appends").register(registry);
        appendedEvents = Counter.builder("engram.appended.events").description("Events in acknowledged appends").register(registry);
        conflicts = Counter.builder("engram.version.conflicts").description("Appends refused for a version conflict").register(registry);
        checkpoints = Counter.builder("engram.checkpoints").description("Checkpoints taken on request").register(registry);
        backendErrors = Counter.builder("engram.backend.errors").description("Operations failed by the backend").register(registry);
        overflows = Counter.builder("engram.websocket.overflows").description("Subscriptions cut off for falling behind").register(registry);
        rateLimited = Counter.builder("engram.rate.limited").description("Requests refused by the per-tenant rate limit").register(registry);
        Gauge.builder("engram.websocket.connections", wsConnections, AtomicInteger::get).register(registry);
        Gauge.builder("engram.websocket.subscribers", wsSubscriptions, AtomicInteger::get)
                .description("Live WebSocket subscriptions").register(registry);
        Gauge.builder("engram.bridge.sockets", bridgeSockets, AtomicInteger::get)
                .description("Open event bus bridge sockets (SockJS and TCP)").register(registry);
    }

    /**
     * Fact extraction's counters and backlog, read from the engine's stats when scraped. A scrape takes one snapshot
     * per meter, cheap enough (the stats are a handful of atomic reads) to keep the meters independent.
     */
    public void extraction(MeterRegistry registry, Supplier<ExtractionStats> source) {
        extractionStats = source;
        Supplier<ExtractionStats> stats = extractionStats;
        counter(registry, "engram.extraction.queued", "Threads queued for fact extraction", stats, ExtractionStats::queued);
        counter(registry, "engram.extraction.calls", "Successful extractor calls", stats, ExtractionStats::calls);
        counter(registry, "engram.extraction.turns", "Turns extracted", stats, ExtractionStats::extractedTurns);
        counter(registry, "engram.extraction.facts.added", "Facts added", stats, ExtractionStats::factsAdded);
        counter(registry, "engram.extraction.facts.updated", "Facts updated", stats, ExtractionStats::factsUpdated);
        counter(registry, "engram.extraction.facts.deleted", "Facts deleted", stats, ExtractionStats::factsDeleted);
        counter(registry, "engram.extraction.failures", "Extractions failed after their retries", stats, ExtractionStats::failures);
        counter(registry, "engram.extraction.retries", "Extraction retries after a transient failure", stats, ExtractionStats::retries);
        counter(registry, "engram.extraction.queue.full", "Offers that found the extraction queue full", stats, ExtractionStats::queueFull);
        counter(registry, "engram.extraction.dropped", "Offers given up while the queue stayed full", stats, ExtractionStats::dropped);
        Gauge.builder("engram.extraction.pending", stats, s -> s.get().pending())
                .description("Threads waiting for extraction").register(registry);
        Gauge.builder("engram.extraction.running", stats, s -> s.get().running())
                .description("Extractions running").register(registry);
    }

    private static void counter(MeterRegistry registry, String name, String description, Supplier<ExtractionStats> stats,
                                ToDoubleFunction<ExtractionStats> value) {
        FunctionCounter.builder(name, stats, s -> value.applyAsDouble(s.get())).description(description).register(registry);
    }

    public void appended(int events) {
        appends.increment();
        appendedEvents.increment(events);
    }

    public void conflict() {
        conflicts.increment();
    }

    public void checkpoint() {
        checkpoints.increment();
    }

    public void backendError() {
        backendErrors.increment();
    }

    public void overflow() {
        overflows.increment();
    }

    public void rateLimited() {
        rateLimited.increment();
    }

    public AtomicInteger wsConnections() {
        return wsConnections;
    }

    public AtomicInteger wsSubscriptions() {
        return wsSubscriptions;
    }

    public AtomicInteger bridgeSockets() {
        return bridgeSockets;
    }
}
