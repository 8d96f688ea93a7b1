package dev.engram.core.recall;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The text of a value that ranking reads: the strings at the configured fields, or every string when none is configured. */
final class ItemText {

    private final List<FieldPath> fields;

    /** @param fields dotted field names; empty: every string in the value */
    ItemText(List<String> fields, String what) {
        this.fields = fields.stream().map(f -> FieldPath.parse(f, what)).toList();
    }

    /** The strings, in field order (or in the value's key order); a field holding a list or object gives every string inside it. */
    List<String> strings(Map<String, Object> value) {
        List<String> out = new ArrayList<>();
        if (fields.isEmpty()) {
            collect(value, out);
        } else {
            for (FieldPath f : fields) {
                Object v = f.lookup(value);
                if (v != null) {
                    collect(v, out);
                }
            }
        }
        return out;
    }

    /** The strings joined by newlines; empty when there are none. */
    String joined(Map<String, Object> value) {
        return String.join("\n", strings(value));
    }

    private static void collect(Object v, List<String> out) {
        if (v instanceof String s) {
            out.add(s);
        } else if (v instanceof Map<?, ?> m) {
            for (Object x : m.values()) {
                if (x != null) {
                    collect(x, out);
                }
            }
        } else if (v instanceof List<?> l) {
            for (Object x : l) {
                if (x != null) {
                    collect(x, out);
                }
            }
        }
    }
}
