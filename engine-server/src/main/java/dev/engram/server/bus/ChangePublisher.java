package dev.engram.server.bus;

import dev.engram.core.model.ThreadKey;
import dev.engram.server.ThreadService;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;

/**
 * Publishes every change made through this server at {@code engram.thread.changed.<threadId>}, with the owning tenant
 * in a header that the bridge checks before a client receives it.
 */
public final class ChangePublisher implements ThreadService.ChangeListener {

    private final EventBus bus;

    public ChangePublisher(EventBus bus) {
        this.bus = bus;
    }

    @Override
    public void changed(ThreadKey key, JsonObject change) {
        bus.publish(Addresses.changed(key.threadId()), change,
                new DeliveryOptions().addHeader(Addresses.TENANT_HEADER, key.tenant()).addHeader("ns", key.namespace()));
    }
}
