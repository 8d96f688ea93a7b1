package dev.engram.core.internal;

import dev.engram.core.InvalidInputException;
import dev.engram.core.model.Change;
import dev.engram.core.model.Message;
import java.util.List;
import java.util.Map;

/**
 * Refuses text that UTF-8 cannot carry: a lone UTF-16 surrogate would be stored as {@code ?} and come back changed.
 * Checked on the append path only, so decoding stored events stays a single pass.
 */
public final class WellFormedText {

    private WellFormedText() {
    }

    public static void check(Change change, Map<String, String> metadata) {
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
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    throw new InvalidInputException(what + " has an unpaired UTF-16 surrogate at index " + i);
                }
            }
        }
    }
}
