package dev.engram.server.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.engram.core.model.AppendBatch;
import dev.engram.core.model.Change;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.Message;
import dev.engram.core.model.NewEvent;
import dev.engram.server.ApiException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** Reads the JSON request bodies of the thread API into the engine's model, refusing anything it does not know. */
public final class Requests {

    /** Fields the event bus adds to every body to name the thread. */
    public static final Set<String> ADDRESSING = Set.of("threadId", "ns");

    private static final Set<String> APPEND = Set.of("expectedVersion", "metadata", "events");
    private static final Set<String> EVENT_MESSAGE = Set.of("id", "type", "metadata", "message");
    private static final Set<String> EVENT_VALUES = Set.of("id", "type", "metadata", "set", "remove");
    private static final Set<String> EVENT_COMPACT = Set.of("id", "type", "metadata", "upTo", "summary");
    private static final Set<String> EVENT_CUSTOM = Set.of("id", "type", "metadata", "name", "data");
    private static final Set<String> MESSAGE = Set.of("role", "content", "name", "toolCallId", "id", "attributes");
    private static final Set<String> FORK = Set.of("to", "atVersion");
    private static final Set<String> METADATA_PATCH = Set.of("set", "remove");

    private Requests() {
    }

    /** The fields of {@code body} besides {@code extra} (the event bus's addressing fields) must be those of an append. */
    public static AppendBatch append(ObjectNode body, Set<String> extra, int maxEvents) {
        Fields f = Fields.of(body, "", union(APPEND, extra));
        ArrayNode events = f.array("events");
        if (events.isEmpty()) {
            throw ApiException.invalidInput("events must hold at least one event");
        }
        if (events.size() > maxEvents) {
            throw ApiException.tooLarge("an append carries at most " + maxEvents + " events, got " + events.size());
        }
        List<NewEvent> out = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            event(events.get(i), "events[" + i + "]", out);
        }
        if (out.size() > maxEvents) {
            throw ApiException.tooLarge("an append carries at most " + maxEvents + " events, got " + out.size()
                    + " (a values event with both set and remove counts twice)");
        }
        return AppendBatch.of(out).expect(expected(f.raw("expectedVersion"))).metadata(f.stringMap("metadata"));
    }

    private static ExpectedVersion expected(JsonNode v) {
        if (v == null) {
            return ExpectedVersion.any();
        }
        if (v.isTextual() && "any".equals(v.textValue())) {
            return ExpectedVersion.any();
        }
        if (v.isTextual() && "none".equals(v.textValue())) {
            return ExpectedVersion.noThread();
        }
        if (v.isIntegralNumber() && v.canConvertToLong() && v.longValue() >= 0) {
            return ExpectedVersion.exactly(v.longValue());
        }
        throw ApiException.invalidInput("expectedVersion must be a version (0 or more), \"any\" or \"none\", got " + v);
    }

    private static void event(JsonNode node, String path, List<NewEvent> out) {
        if (node == null || !node.isObject()) {
            throw ApiException.invalidInput(path + " must be an object, got " + Fields.kind(node));
        }
        JsonNode typeNode = node.get("type");
        if (typeNode == null || !typeNode.isTextual()) {
            throw ApiException.invalidInput(path + ".type is required: message, values, compact or custom");
        }
        String type = typeNode.textValue();
        switch (type) {
            case "message" -> {
                Fields f = Fields.of(node, path, EVENT_MESSAGE);
                out.add(new NewEvent(id(f), Change.message(message(f.object("message", MESSAGE))), f.stringMap("metadata")));
            }
            case "values" -> {
                Fields f = Fields.of(node, path, EVENT_VALUES);
                Map<String, Object> set = f.valueMap("set");
                List<String> remove = f.stringList("remove");
                if (set == null && remove == null) {
                    throw ApiException.invalidInput(path + " needs set, remove or both");
                }
                UUID id = id(f);
                if (set != null) {
                    out.add(new NewEvent(id, Change.set(set), f.stringMap("metadata")));
                }
                if (remove != null) {
                    // a stable second id keeps a retried batch idempotent
                    UUID removeId = set == null ? id : UUID.nameUUIDFromBytes((id + "/remove").getBytes(StandardCharsets.UTF_8));
                    out.add(new NewEvent(removeId, Change.remove(new HashSet<>(remove)), f.stringMap("metadata")));
                }
            }
            case "compact" -> {
                Fields f = Fields.of(node, path, EVENT_COMPACT);
                out.add(new NewEvent(id(f), Change.compact(f.integer("upTo"), message(f.object("summary", MESSAGE))), f.stringMap("metadata")));
            }
            case "custom" -> {
                Fields f = Fields.of(node, path, EVENT_CUSTOM);
                byte[] data;
                try {
                    data = Base64.getDecoder().decode(f.string("data"));
                } catch (IllegalArgumentException e) {
                    throw ApiException.invalidInput(f.path("data") + " must be base64: " + e.getMessage());
                }
                out.add(new NewEvent(id(f), Change.custom(f.string("name"), data), f.stringMap("metadata")));
            }
            default -> throw ApiException.invalidInput(path + ".type must be message, values, compact or custom, got '" + type + "'");
        }
    }

    private static UUID id(Fields f) {
        String id = f.optionalString("id");
        if (id == null) {
            return UUID.randomUUID();
        }
        try {
            UUID uuid = UUID.fromString(id);
            if (!uuid.toString().equalsIgnoreCase(id)) {
                throw new IllegalArgumentException(id);
            }
            return uuid;
        } catch (IllegalArgumentException e) {
            throw ApiException.invalidInput(f.path("id") + " must be a UUID, got '" + id + "'");
        }
    }

    private static Message message(Fields f) {
        Map<String, Object> attributes = f.valueMap("attributes");
        return new Message(f.string("role"), f.string("content"), f.optionalString("name"), f.optionalString("toolCallId"),
                f.optionalString("id"), attributes == null ? Map.of() : attributes);
    }

    /** A fork request: the new thread's id and the version to copy up to (the source's head when absent). */
    public record Fork(String to, Long atVersion) {
    }

    public static Fork fork(ObjectNode body, Set<String> extra) {
        Fields f = Fields.of(body, "", union(FORK, extra));
        Long at = f.optionalInteger("atVersion");
        if (at != null && at < 0) {
            throw ApiException.invalidInput("atVersion must be 0 or more, got " + at);
        }
        return new Fork(f.string("to"), at);
    }

    /** A metadata change: entries to set and keys to remove. */
    public record MetadataPatch(Map<String, String> set, Set<String> remove) {
    }

    public static MetadataPatch metadata(ObjectNode body, Set<String> extra) {
        Fields f = Fields.of(body, "", union(METADATA_PATCH, extra));
        List<String> remove = f.stringList("remove");
        // a mutable set: the engine asks contains(null), which immutable sets refuse
        return new MetadataPatch(f.stringMap("set"), remove == null ? new HashSet<>() : new HashSet<>(remove));
    }

    /** A body that carries nothing but the event bus's addressing fields and {@code allowed}. */
    public static Fields only(ObjectNode body, Set<String> allowed) {
        return Fields.of(body, "", allowed);
    }

    public static Set<String> union(Set<String> a, Set<String> b) {
        if (b.isEmpty()) {
            return a;
        }
        Set<String> out = new HashSet<>(a);
        out.addAll(b);
        return out;
    }
}
