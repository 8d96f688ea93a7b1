package dev.engram.core.internal;

import dev.engram.core.InvalidInputException;
import dev.engram.core.model.Change;
import dev.engram.core.model.Message;
import java.util.List;
import java.util.Map;

/**
 * Refuses text that UTF-8 cannot carry: a lone UTF-16 surrogate would come back as {@code ?} from whatever sends or
 * stores text as UTF-8 (the JSON edge, backends' text fields, codec format 1), though codec format 2 keeps it.
 * Checked on the append path only, so decoding stored events stays a single pass.
 */
public final class WellFormedText {

    private WellFormedText() {
    }

    /** Throws {@link InvalidInputException} naming the field that holds a lone surrogate; allocation-free when all is well. */
    public static void check(Change change, Map<String, String> metadata) {
        if (isWellFormed(change) && (metadata.isEmpty() || isWellFormedValue(metadata))) {
            return;
        }
        locate(change, metadata);
    }

    /** The same for a JSON-like value (a memory item's), naming {@code what} and the path to the bad string. */
    public static void checkValue(Map<String, Object> value, String what) {
        if (!isWellFormedValue(value)) {
            checkValue((Object) value, what);
        }
    }

    private static boolean isWellFormed(Change change) {
        if (change instanceof Change.MessageAppended m) {
            return isWellFormed(m.message());
        } else if (change instanceof Change.ValuesSet s) {
            return isWellFormedValue(s.values());
        } else if (change instanceof Change.ValuesRemoved r) {
            for (String k : r.keys()) {
                if (!wellFormed(k)) {
                    return false;
                }
            }
        } else if (change instanceof Change.MessagesCompacted c) {
            return isWellFormed(c.summary());
        }
        return true;
    }

    private static boolean isWellFormed(Message m) {
        return wellFormed(m.role()) && wellFormed(m.content()) && (m.name() == null || wellFormed(m.name()))
                && (m.toolCallId() == null || wellFormed(m.toolCallId())) && (m.id() == null || wellFormed(m.id()))
                && (m.attributes().isEmpty() || isWellFormedValue(m.attributes()));
    }

    private static boolean isWellFormedValue(Object value) {
        if (value instanceof String s) {
            return wellFormed(s);
        } else if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!wellFormed((String) e.getKey()) || !isWellFormedValue(e.getValue())) {
                    return false;
                }
            }
        } else if (value instanceof List<?> list) {
            for (Object item : list) {
                if (!isWellFormedValue(item)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean wellFormed(String s) {
        return badIndex(s) < 0;
    }

    /** The slow path, taken only for bad input: finds the field and throws with its name. */
    private static void locate(Change change, Map<String, String> metadata) {
        if (change instanceof Change.MessageAppended m) {
            check(m.message(), "message");
        } else if (change instanceof Change.ValuesSet s) {
            checkValue(s.values(), "values");
        } else if (change instanceof Change.ValuesRemoved r) {
            r.keys().forEach(k -> check(k, "values key"));
        } else if (change instanceof Change.MessagesCompacted c) {
            check(c.summary(), "summary");
        }
        metadata.forEach((k, v) -> {
            check(k, "event metadata key");
            check(v, "event metadata." + k);
        });
    }

    private static void check(Message m, String what) {
        check(m.role(), what + ".role");
        check(m.content(), what + ".content");
        checkNullable(m.name(), what + ".name");
        checkNullable(m.toolCallId(), what + ".toolCallId");
        checkNullable(m.id(), what + ".id");
        checkValue(m.attributes(), what + ".attributes");
    }

    private static void checkValue(Object value, String what) {
        if (value instanceof String s) {
            check(s, what);
        } else if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> {
                check((String) k, what + " key");
                checkValue(v, what + "." + k);
            });
        } else if (value instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                checkValue(list.get(i), what + "[" + i + "]");
            }
        }
    }

    private static void checkNullable(String s, String what) {
        if (s != null) {
            check(s, what);
        }
    }

    static void check(String s, String what) {
        int i = badIndex(s);
        if (i >= 0) {
            throw new InvalidInputException(what + " has an unpaired UTF-16 surrogate at index " + i);
        }
    }

    private static int badIndex(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return i;
                }
            }
        }
        return -1;
    }
}
