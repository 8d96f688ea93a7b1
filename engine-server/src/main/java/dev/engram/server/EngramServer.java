package dev.engram.server;

import dev.engram.core.Engram;
import dev.engram.core.config.EngramConfig;
import dev.engram.server.auth.Authenticator;
import dev.engram.server.bus.BridgeGuard;
import dev.engram.server.limits.ConnectionLimiter;
import dev.engram.server.limits.RateLimiter;
import dev.engram.server.metrics.ServerMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import reactor.core.publisher.Mono;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running server: its own Vert.x, the engine, the HTTP verticles and the event bus verticle. */
public final class EngramServer {

    private static final Logger LOG = LoggerFactory.getLogger(EngramServer.class);

    private final Vertx vertx;
    private final Engram engram;
    private final int port;
    private final int tcpBridgePort;
    private final List<String> deployments;

    private EngramServer(Vertx vertx, Engram engram, int port, int tcpBridgePort, List<String> deployments) {
        this.vertx = vertx;
        this.engram = engram;
        this.port = port;
        this.tcpBridgePort = tcpBridgePort;
        this.deployments = deployments;
    }

    /**
     * Opens the engine and starts listening; completes once every listener is bound. Call from a thread that is not an
     * event loop ({@code main}, a test): opening the engine may touch the disk.
     */
    public static Future<EngramServer> start(EngramConfig config, ServerOptions serverOptions) {
        ServerOptions options = new ServerOptions(serverOptions).validate();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // a name of its own: Vert.x keeps metrics backends in a JVM-wide map by name, and a server sharing the default
        // one with another (or with one still closing) would report its Vert.x meters into that server's registry
        MicrometerMetricsOptions metricsOptions = new MicrometerMetricsOptions().setEnabled(true)
                .setRegistryName("engram-server-" + UUID.randomUUID())
                .addLabels(Label.HTTP_METHOD, Label.HTTP_CODE, Label.HTTP_ROUTE);
        Vertx vertx = Vertx.builder().with(new VertxOptions().setMetricsOptions(metricsOptions))
                .withMetrics(new MicrometerMetricsFactory(registry)).build();
        Engram engram;
        try {
            engram = Engram.open(config);
        } catch (RuntimeException e) {
            vertx.close();
            return Future.failedFuture(e);
        }
        ServerMetrics metrics = new ServerMetrics(registry);
        metrics.extraction(registry, () -> engram.extraction().stats());
        Authenticator authenticator = Authenticator.create(vertx, options.getAuth());
        RateLimiter rateLimiter = new RateLimiter(options.getRequestsPerSecond());
        ConnectionLimiter connections = new ConnectionLimiter(options.getMaxConnections());
        ServerContext context = new ServerContext(options, new ThreadService(engram, metrics, config.limits().maxEventsPerAppend()),
                new MemoryService(engram::memories, metrics), authenticator, rateLimiter, connections, metrics, registry,
                new BridgeGuard(authenticator, rateLimiter, metrics));
        if (!authenticator.isEnabled()) {
            LOG.warn("*** NO AUTHENTICATION CONFIGURED: single-tenant development mode. Every caller is tenant 'default'."
                    + " Configure server.auth (apiKeys or jwt) before exposing port {} ***", options.getPort());
        }
        int tcpPort = options.getTcpBridgePort() == 0 ? freePort(options.getHost()) : options.getTcpBridgePort();
        List<String> deployments = new ArrayList<>();
        HttpVerticle first = new HttpVerticle(context, options.getPort());
        return vertx.deployVerticle(first).compose(id -> {
            deployments.add(id);
            int port = first.actualPort();
            Future<String> rest = options.getInstances() > 1
                    ? vertx.deployVerticle(() -> new HttpVerticle(context, port), new DeploymentOptions().setInstances(options.getInstances() - 1))
                    : Future.succeededFuture();
            return rest.compose(restId -> {
                if (restId != null) {
                    deployments.add(restId);
                }
                return vertx.deployVerticle(new BusVerticle(context, tcpPort));
            }).map(busId -> {
                deployments.add(busId);
                LOG.info("Engram server on {}:{} (provider {}){}", options.getHost(), port, engram.provider(),
                        tcpPort >= 0 ? ", TCP event bus bridge on port " + tcpPort : "");
                return new EngramServer(vertx, engram, port, tcpPort, deployments);
            });
        }).recover(e -> failedStart(e, engram, vertx));
    }

    /**
     * Shuts the engine down, starts closing Vert.x and fails with the cause. Nothing here waits on a Vert.x callback:
     * once Vert.x closes, a callback is handed to a closed event loop and never runs.
     */
    private static Future<EngramServer> failedStart(Throwable cause, Engram engram, Vertx vertx) {
        CompletableFuture<EngramServer> failed = new CompletableFuture<>();
        engram.shutdown()
                .onErrorResume(e -> Mono.empty())
                .doFinally(signal -> {
                    vertx.close();
                    failed.completeExceptionally(cause);
                })
                .subscribe();
        return Future.fromCompletionStage(failed);
    }

    /** The HTTP port (the actual one when 0 was asked for). */
    public int port() {
        return port;
    }

    /** The TCP event bus bridge's port; -1 when it is off. */
    public int tcpBridgePort() {
        return tcpBridgePort;
    }

    public Vertx vertx() {
        return vertx;
    }

    public Engram engram() {
        return engram;
    }

    /** Stops listening, closes Vert.x, then shuts the engine down. */
    public Future<Void> stop() {
        return vertx.close().compose(v -> Reactive.detached(engram.shutdown()));
    }

    private static int freePort(String host) {
        // the TCP bridge does not report the port it bound, so "any free port" is chosen here
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
