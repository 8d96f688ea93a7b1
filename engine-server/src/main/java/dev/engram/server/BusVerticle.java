package dev.engram.server;

import dev.engram.server.bus.BridgeGuard;
import dev.engram.server.bus.ChangePublisher;
import dev.engram.server.bus.MemoryBusConsumers;
import dev.engram.server.bus.ThreadBusConsumers;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.net.NetServerOptions;
import io.vertx.ext.eventbus.bridge.tcp.TcpEventBusBridge;

/** The event bus side: request/reply consumers, change publications, and the TCP bridge when it has a port. */
final class BusVerticle extends VerticleBase {

    private final ServerContext server;
    private final int tcpPort;
    private ThreadBusConsumers consumers;
    private MemoryBusConsumers memoryConsumers;
    private TcpEventBusBridge tcp;

    BusVerticle(ServerContext server, int tcpPort) {
        this.server = server;
        this.tcpPort = tcpPort;
    }

    @Override
    public Future<?> start() {
        server.threads().onChange(new ChangePublisher(vertx.eventBus()));
        consumers = new ThreadBusConsumers(server.threads());
        memoryConsumers = new MemoryBusConsumers(server.memories());
        Future<Void> registered = Future.all(consumers.register(vertx.eventBus()), memoryConsumers.register(vertx.eventBus())).mapEmpty();
        if (tcpPort < 0) {
            return registered;
        }
        NetServerOptions net = new NetServerOptions().setHost(server.options().getHost()).setPort(tcpPort);
        BridgeGuard guard = server.bridgeGuard();
        tcp = TcpEventBusBridge.create(vertx, BridgeGuard.tcpOptions(), net, guard::handleTcp);
        return registered.compose(v -> tcp.listen());
    }

    @Override
    public Future<?> stop() {
        Future<Void> bridge = tcp == null ? Future.succeededFuture() : tcp.close();
        return bridge.compose(v -> Future.all(consumers.unregister(), memoryConsumers.unregister())).mapEmpty();
    }
}
