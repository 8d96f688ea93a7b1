package dev.engram.server.bus;

import dev.engram.server.auth.Authenticator;
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
 * The bridge event handler of the SockJS and TCP bridges. A SockJS socket is bound to one tenant when it is created
 * (token in the {@code Authorization} header or the {@code access_token} query parameter) and closed when the token is
 * missing or bad. A TCP bridge message carries its token in its {@code authorization} header (the TCP bridge reports no
 * socket events), and SEND and REGISTER without a valid one are refused. SEND gets the tenant written into its
 * {@code tenant} header (any value from the client is replaced); PUBLISH from clients is refused; REGISTER is allowed
 * only on the caller's own tenant-scoped change address; RECEIVE of a change (SockJS) is checked again against the
 * socket's tenant.
 */
public final class BridgeGuard {

    private static final Logger LOG = LoggerFactory.getLogger(BridgeGuard.class);

    private final Authenticator authenticator;
    private final RateLimiter rateLimiter;
    private final ServerMetrics metrics;
    private final Map<SockJSSocket, String> sockJsTenants = new ConcurrentHashMap<>();

    public BridgeGuard(Authenticator authenticator, RateLimiter rateLimiter, ServerMetrics metrics) {
        this.authenticator = authenticator;
        this.rateLimiter = rateLimiter;
        this.metrics = metrics;
    }

    /** Inbound: the request addresses; outbound: tenant-scoped thread changes. Nothing else crosses the bridge. */
    public static BridgeOptions tcpOptions() {
        BridgeOptions options = new BridgeOptions();
        Addresses.REQUESTS.forEach(a -> options.addInboundPermitted(new PermittedOptions().setAddress(a)));
        options.addOutboundPermitted(new PermittedOptions().setAddressRegex(changedRegex()));
        return options;
    }

    public static SockJSBridgeOptions sockJsOptions() {
        SockJSBridgeOptions options = new SockJSBridgeOptions().setMaxHandlersPerSocket(100).setMaxAddressLength(600);
        Addresses.REQUESTS.forEach(a -> options.addInboundPermitted(new PermittedOptions().setAddress(a)));
        options.addOutboundPermitted(new PermittedOptions().setAddressRegex(changedRegex()));
        return options;
    }

    private static String changedRegex() {
        return "engram\\.thread\\.changed\\.[A-Za-z0-9._:@-]{1,256}/[A-Za-z0-9._:@-]{1,256}";
    }

    public void handleSockJs(io.vertx.ext.web.handler.sockjs.BridgeEvent event) {
        SockJSSocket socket = event.socket();
        switch (event.type()) {
            case SOCKET_CREATED -> {
                String token = Authenticator.bearer(socket.headers().get("Authorization"));
                if (token == null) {
                    List<String> fromQuery = new QueryStringDecoder(socket.uri()).parameters().get("access_token");
                    token = fromQuery == null || fromQuery.isEmpty() ? null : fromQuery.get(0);
                }
                authenticator.tenant(token).onSuccess(tenant -> {
                    sockJsTenants.put(socket, tenant);
                    metrics.bridgeSockets().incrementAndGet();
                    event.complete(true);
                }).onFailure(e -> {
                    LOG.debug("SockJS bridge socket refused: {}", e.getMessage());
                    event.complete(false);
                    socket.close(4401, "unauthorized");
                });
            }
            case SOCKET_CLOSED -> {
                if (sockJsTenants.remove(socket) != null) {
                    metrics.bridgeSockets().decrementAndGet();
                }
                event.complete(true);
            }
            case SEND, REGISTER -> {
                String tenant = sockJsTenants.get(socket);
                if (tenant == null) {
                    event.complete(false);
                } else {
                    admit(event, tenant);
                }
            }
            case RECEIVE -> event.complete(mayReceive(event.getRawMessage(), sockJsTenants.get(socket)));
            case PUBLISH -> event.complete(false);
            default -> event.complete(true);
        }
    }

    public void handleTcp(io.vertx.ext.eventbus.bridge.tcp.BridgeEvent event) {
        switch (event.type()) {
            case SEND, REGISTER -> tokenTenant(event.getRawMessage()).onSuccess(tenant -> admit(event, tenant)).onFailure(e -> {
                LOG.debug("TCP bridge {} refused: {}", event.type(), e.getMessage());
                event.complete(false);
            });
            case PUBLISH -> event.complete(false);
            default -> event.complete(true);
        }
    }

    private void admit(BaseBridgeEvent event, String tenant) {
        JsonObject raw = event.getRawMessage();
        if (event.type() == io.vertx.ext.bridge.BridgeEventType.REGISTER) {
            event.complete(Addresses.isChangedOf(raw.getString("address", ""), tenant));
            return;
        }
        if (!rateLimiter.tryAcquire(tenant)) {
            metrics.rateLimited();
            event.complete(false);
            return;
        }
        JsonObject headers = raw.getJsonObject("headers", new JsonObject()).copy();
        headers.remove(Addresses.AUTHORIZATION_HEADER);
        headers.put(Addresses.TENANT_HEADER, tenant);
        event.setRawMessage(raw.copy().put("headers", headers));
        event.complete(true);
    }

    /** Thread changes reach only their own tenant's sockets; replies go to the socket that asked. */
    private static boolean mayReceive(@Nullable JsonObject raw, @Nullable String socketTenant) {
        if (raw == null || socketTenant == null) {
            return false;
        }
        String address = raw.getString("address", "");
        return !address.startsWith(Addresses.CHANGED_PREFIX) || Addresses.isChangedOf(address, socketTenant);
    }

    private Future<String> tokenTenant(@Nullable JsonObject raw) {
        JsonObject headers = raw == null ? null : raw.getJsonObject("headers");
        Object header = headers == null ? null : headers.getValue(Addresses.AUTHORIZATION_HEADER);
        if (header == null) {
            return authenticator.isEnabled() ? Future.failedFuture("no token") : authenticator.tenant(null);
        }
        String text = header.toString();
        String bearer = Authenticator.bearer(text);
        return authenticator.tenant(bearer != null ? bearer : text);
    }
}
