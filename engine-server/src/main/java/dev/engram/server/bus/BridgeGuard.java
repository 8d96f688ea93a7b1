package dev.engram.server.bus;

import dev.engram.server.auth.Authenticator;
import dev.engram.server.limits.ConnectionLimiter;
import dev.engram.server.limits.RateLimiter;
import dev.engram.server.metrics.ServerMetrics;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BaseBridgeEvent;
import io.vertx.ext.bridge.BridgeOptions;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge event handler of the SockJS and TCP bridges. A socket is bound to one tenant: a SockJS socket when it is
 * created (token in the {@code Authorization} header or the {@code access_token} query parameter), a TCP socket by the
 * first message whose {@code authorization} header holds a valid token (every SEND and REGISTER must carry one, and it
 * must name the same tenant). SEND gets the tenant written into its {@code tenant} header (any value from the client is
 * replaced); PUBLISH from clients is refused; REGISTER needs an authenticated socket; RECEIVE of a thread change is
 * delivered only when its tenant header is the socket's tenant.
 */
public final class BridgeGuard {

    private static final Logger LOG = LoggerFactory.getLogger(BridgeGuard.class);

    private final Authenticator authenticator;
    private final RateLimiter rateLimiter;
    private final ConnectionLimiter connections;
    private final ServerMetrics metrics;
    private final Map<Object, String> tenants = new ConcurrentHashMap<>();

    public BridgeGuard(Authenticator authenticator, RateLimiter rateLimiter, ConnectionLimiter connections, ServerMetrics metrics) {
        this.authenticator = authenticator;
        this.rateLimiter = rateLimiter;
        this.connections = connections;
        this.metrics = metrics;
    }

    /** Inbound: the request addresses; outbound: thread changes. Nothing else crosses the bridge. */
    public static BridgeOptions tcpOptions() {
        BridgeOptions options = new BridgeOptions();
        Addresses.REQUESTS.forEach(a -> options.addInboundPermitted(new PermittedOptions().setAddress(a)));
        options.addOutboundPermitted(new PermittedOptions().setAddressRegex(changedRegex()));
        return options;
    }

    public static SockJSBridgeOptions sockJsOptions() {
        SockJSBridgeOptions options = new SockJSBridgeOptions().setMaxHandlersPerSocket(100).setMaxAddressLength(300);
        Addresses.REQUESTS.forEach(a -> options.addInboundPermitted(new PermittedOptions().setAddress(a)));
        options.addOutboundPermitted(new PermittedOptions().setAddressRegex(changedRegex()));
        return options;
    }

    private static String changedRegex() {
        return "engram\\.thread\\.changed\\.[A-Za-z0-9._:@-]{1,256}";
    }

    public void handleSockJs(io.vertx.ext.web.handler.sockjs.BridgeEvent event) {
        SockJSSocket socket = event.socket();
        if (event.type() == io.vertx.ext.bridge.BridgeEventType.SOCKET_CREATED) {
            String token = Authenticator.bearer(socket.headers().get("Authorization"));
            if (token == null) {
                List<String> fromQuery = new QueryStringDecoder(socket.uri()).parameters().get("access_token");
                token = fromQuery == null || fromQuery.isEmpty() ? null : fromQuery.get(0);
            }
            authenticator.tenant(token).onSuccess(tenant -> {
                tenants.put(socket, tenant);
                metrics.bridgeSockets().incrementAndGet();
                event.complete(true);
            }).onFailure(e -> {
                LOG.debug("SockJS bridge socket refused: {}", e.getMessage());
                event.complete(false);
            });
            return;
        }
        handle(event, socket, false);
    }

    public void handleTcp(io.vertx.ext.eventbus.bridge.tcp.BridgeEvent event) {
        if (event.type() == io.vertx.ext.bridge.BridgeEventType.SOCKET_CREATED) {
            if (!connections.tryOpen()) {
                event.complete(false);
                return;
            }
            tenants.put(event.socket(), "");
            metrics.bridgeSockets().incrementAndGet();
            event.complete(true);
            return;
        }
        if (event.type() == io.vertx.ext.bridge.BridgeEventType.SOCKET_CLOSED && tenants.containsKey(event.socket())) {
            connections.closed();
        }
        handle(event, event.socket(), true);
    }

    private void handle(BaseBridgeEvent event, Object socket, boolean tokenPerMessage) {
        switch (event.type()) {
            case SOCKET_CLOSED -> {
                if (tenants.remove(socket) != null) {
                    metrics.bridgeSockets().decrementAndGet();
                }
                event.complete(true);
            }
            case SEND, REGISTER -> tenantOf(event, socket, tokenPerMessage).onSuccess(tenant -> {
                if (event.type() == io.vertx.ext.bridge.BridgeEventType.SEND && !rateLimiter.tryAcquire(tenant)) {
                    metrics.rateLimited();
                    event.complete(false);
                    return;
                }
                JsonObject raw = event.getRawMessage();
                JsonObject headers = raw.getJsonObject("headers", new JsonObject()).copy();
                headers.remove(Addresses.AUTHORIZATION_HEADER);
                headers.put(Addresses.TENANT_HEADER, tenant);
                event.setRawMessage(raw.copy().put("headers", headers));
                event.complete(true);
            }).onFailure(e -> {
                LOG.debug("Bridge {} refused: {}", event.type(), e.getMessage());
                event.complete(false);
            });
            case PUBLISH -> event.complete(false);
            case RECEIVE -> event.complete(mayReceive(event.getRawMessage(), tenants.get(socket)));
            default -> event.complete(true);
        }
    }

    /** Thread changes reach only their own tenant's sockets; replies go to the socket that asked. */
    private static boolean mayReceive(@Nullable JsonObject raw, @Nullable String socketTenant) {
        if (raw == null) {
            return false;
        }
        String address = raw.getString("address", "");
        if (!address.startsWith(Addresses.CHANGED_PREFIX)) {
            return true;
        }
        JsonObject headers = raw.getJsonObject("headers");
        String tenant = headers == null ? null : headers.getString(Addresses.TENANT_HEADER);
        return tenant != null && !tenant.isEmpty() && tenant.equals(socketTenant);
    }

    private Future<String> tenantOf(BaseBridgeEvent event, Object socket, boolean tokenPerMessage) {
        String bound = tenants.get(socket);
        JsonObject raw = event.getRawMessage();
        JsonObject headers = raw == null ? null : raw.getJsonObject("headers");
        Object header = headers == null ? null : headers.getValue(Addresses.AUTHORIZATION_HEADER);
        if (header == null) {
            if (!authenticator.isEnabled()) {
                return authenticator.tenant(null);
            }
            return bound != null && !bound.isEmpty() && !tokenPerMessage ? Future.succeededFuture(bound) : Future.failedFuture("no token");
        }
        String text = header.toString();
        String token = Authenticator.bearer(text) != null ? Authenticator.bearer(text) : text;
        return authenticator.tenant(token).compose(tenant -> {
            String previous = tenants.get(socket);
            if (previous != null && !previous.isEmpty() && !previous.equals(tenant)) {
                return Future.failedFuture("a socket serves one tenant");
            }
            if (previous != null) {
                tenants.put(socket, tenant);
            }
            return Future.succeededFuture(tenant);
        });
    }
}
