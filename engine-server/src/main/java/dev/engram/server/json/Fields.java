package dev.engram.server.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.engram.server.ApiException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/** Typed, strict access to one JSON object's fields: unknown fields and wrong types are {@code invalid_input} naming the path. */
public final class Fields {

    private final ObjectNode node;
    private final String path;

    private Fields(ObjectNode node, String path) {
        this.node = node;
        this.path = path;
    }

    /** Reads {@code node}, refusing any field not in {@code allowed}. */
    public static Fields of(JsonNode node, String path, Set<String> allowed) {
        if (node == null || !node.isObject()) {
            throw ApiException.invalidInput(label(path) + " must be an object, got " + kind(node));
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                throw ApiException.invalidInput("unknown field '" + at(path, name) + "'; allowed: " + String.join(", ", new TreeSet<>(allowed)));
            }
        }
        return new Fields((ObjectNode) node, path);
    }

    public boolean has(String name) {
        JsonNode v = node.get(name);
        return v != null && !v.isNull();
    }

    public @Nullable JsonNode raw(String name) {
        JsonNode v = node.get(name);
        return v == null || v.isNull() ? null : v;
    }

    public String string(String name) {
        String s = optionalString(name);
        if (s == null) {
            throw ApiException.invalidInput(at(path, name) + " is required");
        }
        return s;
    }

    public @Nullable String optionalString(String name) {
        JsonNode v = raw(name);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw wrongType(name, "a string", v);
        }
        return v.textValue();
    }

    public long integer(String name) {
        Long v = optionalInteger(name);
        if (v == null) {
            throw ApiException.invalidInput(at(path, name) + " is required");
        }
        return v;
    }

    public @Nullable Long optionalInteger(String name) {
        JsonNode v = raw(name);
        if (v == null) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw wrongType(name, "an integer", v);
        }
        return v.longValue();
    }

    public Fields object(String name, Set<String> allowed) {
        JsonNode v = raw(name);
        if (v == null) {
            throw ApiException.invalidInput(at(path, name) + " is required");
        }
        return of(v, at(path, name), allowed);
    }

    /** A string-to-string map (metadata); empty when absent. */
    public Map<String, String> stringMap(String name) {
        JsonNode v = raw(name);
        if (v == null) {
            return Map.of();
        }
        if (!v.isObject()) {
            throw wrongType(name, "an object of strings", v);
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : v.properties()) {
            if (!e.getValue().isTextual()) {
                throw ApiException.invalidInput(at(at(path, name), e.getKey()) + " must be a string, got " + kind(e.getValue()));
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return out;
    }

    /** A map of JSON values (state values, attributes); null when absent. */
    public @Nullable Map<String, Object> valueMap(String name) {
        JsonNode v = raw(name);
        if (v == null) {
            return null;
        }
        if (!v.isObject()) {
            throw wrongType(name, "an object", v);
        }
        return JsonValuesReader.map((ObjectNode) v);
    }

    /** A list of strings; null when absent. */
    public @Nullable List<String> stringList(String name) {
        JsonNode v = raw(name);
        if (v == null) {
            return null;
        }
        if (!v.isArray()) {
            throw wrongType(name, "an array of strings", v);
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual()) {
                throw ApiException.invalidInput(at(path, name) + "[" + i + "] must be a string, got " + kind(v.get(i)));
            }
            out.add(v.get(i).textValue());
        }
        return out;
    }

    public ArrayNode array(String name) {
        JsonNode v = raw(name);
        if (v == null) {
            throw ApiException.invalidInput(at(path, name) + " is required");
        }
        if (!v.isArray()) {
            throw wrongType(name, "an array", v);
        }
        return (ArrayNode) v;
    }

    public String path(String name) {
        return at(path, name);
    }

    private ApiException wrongType(String name, String expected, JsonNode got) {
        return ApiException.invalidInput(at(path, name) + " must be " + expected + ", got " + kind(got));
    }

    static String at(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private static String label(String path) {
        return path.isEmpty() ? "the body" : path;
    }

    static String kind(@Nullable JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return "null";
        }
        if (node.isObject()) {
            return "an object";
        }
        if (node.isArray()) {
            return "an array";
        }
        if (node.isTextual()) {
            return "a string";
        }
        if (node.isBoolean()) {
            return "a boolean";
        }
        return node.isNumber() ? "a number" : "a value";
    }
}
