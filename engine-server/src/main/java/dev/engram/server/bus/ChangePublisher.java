package dev.engram.server.bus;

import dev.engram.core.model.ThreadKey;
import dev.engram.server.ThreadService;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;

/**
 * Publishes every change made through this server twice: at {@code engram.thread.changed.<threadId>} with the owning
 * tenant in a header (for verticles in the same Vert.x), and at {@code engram.thread.changed.<tenant>/<threadId>}, the
 * only one bridge clients may register, and only for their own tenant.
 */
public final class ChangePublisher implements ThreadService.ChangeListener {

    private final EventBus bus;

    public ChangePublisher(EventBus bus) {
        this.bus = bus;
    }

    @Override
    public void changed(ThreadKey key, JsonObject change) {
        DeliveryOptions headers = new DeliveryOptions().addHeader(Addresses.TENANT_HEADER, key.tenant()).addHeader("ns", key.namespace());
        bus.publish(Addresses.changed(key.threadId()), change, headers);
        bus.publish(Addresses.changed(key.tenant(), key.threadId()), change, headers);
    }
}
