package dev.engram.server;

import dev.engram.server.auth.Authenticator;
import dev.engram.server.bus.BridgeGuard;
import dev.engram.server.limits.ConnectionLimiter;
import dev.engram.server.limits.RateLimiter;
import dev.engram.server.metrics.ServerMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** What every verticle instance of one server shares: the engine's operations, authentication, limits and meters. */
public record ServerContext(ServerOptions options, ThreadService threads, MemoryService memories, Authenticator authenticator,
                            RateLimiter rateLimiter, ConnectionLimiter connections, ServerMetrics metrics, PrometheusMeterRegistry registry, BridgeGuard bridgeGuard) {
}
