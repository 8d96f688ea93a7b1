package dev.engram.server;

import dev.engram.core.ConfigurationException;
import dev.engram.core.config.Sizes;
import dev.engram.server.auth.AuthOptions;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import java.util.TreeSet;

/**
 * How the server listens and what it accepts: the {@code server} section of {@code engram.yaml}. Every limit has a
 * default; none is unlimited.
 */
public final class ServerOptions {

    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_TCP_BRIDGE_PORT = 7000;
    public static final int DEFAULT_INSTANCES = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
    public static final int DEFAULT_MAX_FRAME_BYTES = 64 * 1024;
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
    public static final int DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION = 100;
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
    public static final int DEFAULT_REQUESTS_PER_SECOND = 1_000;
    public static final int DEFAULT_WRITE_QUEUE_BYTES = 256 * 1024;
    public static final int DEFAULT_PAGE_LIMIT = 100;

    private static final Set<String> KEYS = Set.of("host", "port", "tcpBridgePort", "instances", "maxBodyBytes", "maxFrameBytes",
            "maxMessageBytes", "maxSubscriptionsPerConnection", "maxConnections", "requestsPerSecond", "writeQueueBytes", "auth");

    private String host = DEFAULT_HOST;
    private int port = DEFAULT_PORT;
    private int tcpBridgePort = DEFAULT_TCP_BRIDGE_PORT;
    private int instances = DEFAULT_INSTANCES;
    private long maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    private int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
    private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
    private int maxSubscriptionsPerConnection = DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private int requestsPerSecond = DEFAULT_REQUESTS_PER_SECOND;
    private int writeQueueBytes = DEFAULT_WRITE_QUEUE_BYTES;
    private AuthOptions auth = new AuthOptions();

    public ServerOptions() {
    }

    public ServerOptions(ServerOptions other) {
        host = other.host;
        port = other.port;
        tcpBridgePort = other.tcpBridgePort;
        instances = other.instances;
        maxBodyBytes = other.maxBodyBytes;
        maxFrameBytes = other.maxFrameBytes;
        maxMessageBytes = other.maxMessageBytes;
        maxSubscriptionsPerConnection = other.maxSubscriptionsPerConnection;
        maxConnections = other.maxConnections;
        requestsPerSecond = other.requestsPerSecond;
        writeQueueBytes = other.writeQueueBytes;
        auth = new AuthOptions(other.auth);
    }

    /** Reads the JSON form; unknown keys and unreadable values are a {@link ConfigurationException}. */
    public ServerOptions(JsonObject json) {
        requireKnown(json, KEYS, "server");
        host = json.getString("host", DEFAULT_HOST);
        port = intValue(json, "port", DEFAULT_PORT);
        tcpBridgePort = intValue(json, "tcpBridgePort", DEFAULT_TCP_BRIDGE_PORT);
        instances = intValue(json, "instances", DEFAULT_INSTANCES);
        maxBodyBytes = bytes(json, "maxBodyBytes", DEFAULT_MAX_BODY_BYTES);
        maxFrameBytes = (int) bytes(json, "maxFrameBytes", DEFAULT_MAX_FRAME_BYTES);
        maxMessageBytes = (int) bytes(json, "maxMessageBytes", DEFAULT_MAX_MESSAGE_BYTES);
        maxSubscriptionsPerConnection = intValue(json, "maxSubscriptionsPerConnection", DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION);
        maxConnections = intValue(json, "maxConnections", DEFAULT_MAX_CONNECTIONS);
        requestsPerSecond = intValue(json, "requestsPerSecond", DEFAULT_REQUESTS_PER_SECOND);
        writeQueueBytes = (int) bytes(json, "writeQueueBytes", DEFAULT_WRITE_QUEUE_BYTES);
        Object authJson = json.getValue("auth");
        if (authJson != null && !(authJson instanceof JsonObject)) {
            throw new ConfigurationException("server.auth: expected a mapping");
        }
        auth = authJson == null ? new AuthOptions() : new AuthOptions((JsonObject) authJson);
        validate();
    }

    public JsonObject toJson() {
        return new JsonObject().put("host", host).put("port", port).put("tcpBridgePort", tcpBridgePort).put("instances", instances)
                .put("maxBodyBytes", maxBodyBytes).put("maxFrameBytes", maxFrameBytes).put("maxMessageBytes", maxMessageBytes)
                .put("maxSubscriptionsPerConnection", maxSubscriptionsPerConnection).put("maxConnections", maxConnections)
                .put("requestsPerSecond", requestsPerSecond).put("writeQueueBytes", writeQueueBytes).put("auth", auth.toJson());
    }

    /** Throws {@link ConfigurationException} naming the first value out of range. */
    public ServerOptions validate() {
        positive("port", port, true);
        if (tcpBridgePort < -1 || tcpBridgePort > 65535) {
            throw new ConfigurationException("server.tcpBridgePort must be -1 (off), 0 (any free port) or a port, got " + tcpBridgePort);
        }
        positive("instances", instances, false);
        positive("maxBodyBytes", maxBodyBytes, false);
        positive("maxFrameBytes", maxFrameBytes, false);
        positive("maxMessageBytes", maxMessageBytes, false);
        positive("maxSubscriptionsPerConnection", maxSubscriptionsPerConnection, false);
        positive("maxConnections", maxConnections, false);
        positive("requestsPerSecond", requestsPerSecond, false);
        positive("writeQueueBytes", writeQueueBytes, false);
        if (maxFrameBytes > maxMessageBytes) {
            throw new ConfigurationException("server.maxFrameBytes must not exceed server.maxMessageBytes");
        }
        auth.validate();
        return this;
    }

    private static void positive(String name, long value, boolean zeroAllowed) {
        if (value < (zeroAllowed ? 0 : 1)) {
            throw new ConfigurationException("server." + name + " must be " + (zeroAllowed ? "0 or more" : "at least 1") + ", got " + value);
        }
    }

    static void requireKnown(JsonObject json, Set<String> known, String path) {
        for (String key : json.fieldNames()) {
            if (!known.contains(key)) {
                throw new ConfigurationException(path + ": unknown key '" + key + "'; known keys: " + String.join(", ", new TreeSet<>(known)));
            }
        }
    }

    private static int intValue(JsonObject json, String key, int fallback) {
        Object v = json.getValue(key);
        if (v == null) {
            return fallback;
        }
        try {
            return v instanceof Number n ? Math.toIntExact(n.longValue()) : Integer.parseInt(v.toString().trim().replace("_", ""));
        } catch (RuntimeException e) {
            throw new ConfigurationException("server." + key + ": expected an integer, got '" + v + "'");
        }
    }

    private static long bytes(JsonObject json, String key, long fallback) {
        Object v = json.getValue(key);
        if (v == null) {
            return fallback;
        }
        try {
            long n = v instanceof Number num ? num.longValue() : Sizes.parseBytes(v.toString().trim());
            if (n > Integer.MAX_VALUE) {
                throw new ConfigurationException("server." + key + " must be below 2GiB");
            }
            return n;
        } catch (ConfigurationException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ConfigurationException("server." + key + ": expected a size such as 65536 or 1MiB, got '" + v + "'");
        }
    }

    public String getHost() {
        return host;
    }

    public ServerOptions setHost(String host) {
        this.host = host;
        return this;
    }

    public int getPort() {
        return port;
    }

    public ServerOptions setPort(int port) {
        this.port = port;
        return this;
    }

    /** -1: no TCP bridge; 0: any free port. */
    public int getTcpBridgePort() {
        return tcpBridgePort;
    }

    public ServerOptions setTcpBridgePort(int tcpBridgePort) {
        this.tcpBridgePort = tcpBridgePort;
        return this;
    }

    public int getInstances() {
        return instances;
    }

    public ServerOptions setInstances(int instances) {
        this.instances = instances;
        return this;
    }

    public long getMaxBodyBytes() {
        return maxBodyBytes;
    }

    public ServerOptions setMaxBodyBytes(long maxBodyBytes) {
        this.maxBodyBytes = maxBodyBytes;
        return this;
    }

    public int getMaxFrameBytes() {
        return maxFrameBytes;
    }

    public ServerOptions setMaxFrameBytes(int maxFrameBytes) {
        this.maxFrameBytes = maxFrameBytes;
        return this;
    }

    public int getMaxMessageBytes() {
        return maxMessageBytes;
    }

    public ServerOptions setMaxMessageBytes(int maxMessageBytes) {
        this.maxMessageBytes = maxMessageBytes;
        return this;
    }

    public int getMaxSubscriptionsPerConnection() {
        return maxSubscriptionsPerConnection;
    }

    public ServerOptions setMaxSubscriptionsPerConnection(int max) {
        this.maxSubscriptionsPerConnection = max;
        return this;
    }

    public int getMaxConnections() {
        return maxConnections;
    }

    public ServerOptions setMaxConnections(int maxConnections) {
        this.maxConnections = maxConnections;
        return this;
    }

    public int getRequestsPerSecond() {
        return requestsPerSecond;
    }

    public ServerOptions setRequestsPerSecond(int requestsPerSecond) {
        this.requestsPerSecond = requestsPerSecond;
        return this;
    }

    /** Bytes queued on one WebSocket before its subscriptions stop reading the log (and, past watch.maxLag, overflow). */
    public int getWriteQueueBytes() {
        return writeQueueBytes;
    }

    public ServerOptions setWriteQueueBytes(int writeQueueBytes) {
        this.writeQueueBytes = writeQueueBytes;
        return this;
    }

    public AuthOptions getAuth() {
        return auth;
    }

    public ServerOptions setAuth(AuthOptions auth) {
        this.auth = auth;
        return this;
    }

    @Override
    public String toString() {
        return toJson().encode();
    }
}
