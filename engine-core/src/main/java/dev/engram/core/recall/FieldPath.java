package dev.engram.core.recall;

import dev.engram.core.InvalidInputException;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** A dotted name reaching into nested objects of a value: {@code address.city}. */
record FieldPath(String name, List<String> parts) {

    static FieldPath parse(String name, String what) {
        if (name.isEmpty()) {
            throw new InvalidInputException(what + " has an empty field name");
        }
        List<String> parts = List.of(name.split("\\.", -1));
        for (String p : parts) {
            if (p.isEmpty()) {
                throw new InvalidInputException(what + " has a field name with an empty part: '" + name + "'");
            }
        }
        return new FieldPath(name, parts);
    }

    /** The value at this path, or null when a part is missing or a step is not an object. */
    @Nullable Object lookup(Map<String, Object> value) {
        Object current = value;
        for (String part : parts) {
            if (!(current instanceof Map<?, ?> map)) {
                return null;
            }
            current = map.get(part);
        }
        return current;
    }
}
