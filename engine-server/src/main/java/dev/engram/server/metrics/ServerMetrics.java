package dev.engram.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

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
