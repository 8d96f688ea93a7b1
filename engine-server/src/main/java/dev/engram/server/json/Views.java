package dev.engram.server.json;

import dev.engram.core.model.Appended;
import dev.engram.core.model.Change;
import dev.engram.core.model.CheckpointInfo;
import dev.engram.core.model.Event;
import dev.engram.core.model.Message;
import dev.engram.core.model.ThreadInfo;
import dev.engram.core.model.ThreadState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The JSON form of the engine's values, the same on every surface; events read back in the shape they were appended. */
public final class Views {

    private Views() {
    }

    public static JsonObject appended(Appended a) {
        return new JsonObject().put("threadId", a.key().threadId()).put("ns", a.key().namespace())
                .put("firstVersion", a.firstVersion()).put("lastVersion", a.lastVersion()).put("deduplicated", a.deduplicated());
    }

    public static JsonObject event(Event e) {
        JsonObject json = new JsonObject().put("version", e.version()).put("id", e.eventId().toString())
                .put("timestamp", time(e.timestamp()));
        Change c = e.change();
        if (c instanceof Change.MessageAppended m) {
            json.put("type", "message").put("message", message(m.message()));
        } else if (c instanceof Change.ValuesSet s) {
            json.put("type", "values").put("set", new JsonObject(copy(s.values())));
        } else if (c instanceof Change.ValuesRemoved r) {
            json.put("type", "values").put("remove", new JsonArray(List.copyOf(r.keys())));
        } else if (c instanceof Change.MessagesCompacted k) {
            json.put("type", "compact").put("upTo", k.upToVersion()).put("summary", message(k.summary()));
        } else if (c instanceof Change.Custom x) {
            json.put("type", "custom").put("name", x.customType()).put("data", Base64.getEncoder().encodeToString(x.data()));
        }
        if (!e.metadata().isEmpty()) {
            json.put("metadata", new JsonObject(Map.copyOf(e.metadata())));
        }
        return json;
    }

    public static JsonArray events(List<Event> events) {
        JsonArray out = new JsonArray();
        events.forEach(e -> out.add(event(e)));
        return out;
    }

    public static JsonObject message(Message m) {
        JsonObject json = new JsonObject().put("role", m.role()).put("content", m.content());
        if (m.name() != null) {
            json.put("name", m.name());
        }
        if (m.toolCallId() != null) {
            json.put("toolCallId", m.toolCallId());
        }
        if (m.id() != null) {
            json.put("id", m.id());
        }
        if (!m.attributes().isEmpty()) {
            json.put("attributes", new JsonObject(copy(m.attributes())));
        }
        return json;
    }

    /** A thread's state; {@code info} adds metadata (absent for a thread that does not exist yet). */
    public static JsonObject state(ThreadState s, @Nullable ThreadInfo info) {
        JsonArray messages = new JsonArray();
        s.messages().forEach(m -> messages.add(message(m)));
        return new JsonObject().put("threadId", s.key().threadId()).put("ns", s.key().namespace()).put("version", s.version())
                .put("messages", messages).put("values", new JsonObject(copy(s.values())))
                .put("metadata", new JsonObject(info == null ? Map.of() : Map.copyOf(info.metadata())))
                .put("updatedAt", s.version() == 0 ? null : time(s.updatedAt()));
    }

    public static JsonObject info(ThreadInfo i) {
        return new JsonObject().put("threadId", i.key().threadId()).put("ns", i.key().namespace()).put("version", i.version())
                .put("metadata", new JsonObject(Map.copyOf(i.metadata()))).put("createdAt", time(i.createdAt()))
                .put("updatedAt", time(i.updatedAt())).put("expiresAt", i.expiresAt() == null ? null : time(i.expiresAt()));
    }

    public static JsonObject checkpoint(CheckpointInfo c) {
        return new JsonObject().put("threadId", c.key().threadId()).put("ns", c.key().namespace()).put("version", c.version())
                .put("createdAt", time(c.createdAt())).put("sizeBytes", c.sizeBytes());
    }

    static String time(Instant t) {
        return t.toString();
    }

    /** A mutable deep copy: Vert.x's JsonObject wraps maps and lists and must not be handed the engine's immutable ones. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> copy(Map<String, ?> map) {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        map.forEach((k, v) -> out.put(k, copyValue(v)));
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Object copyValue(Object v) {
        if (v instanceof Map<?, ?> m) {
            return new JsonObject(copy((Map<String, ?>) m));
        }
        if (v instanceof List<?> l) {
            JsonArray a = new JsonArray();
            l.forEach(x -> a.add(copyValue(x)));
            return a;
        }
        return v;
    }
}
