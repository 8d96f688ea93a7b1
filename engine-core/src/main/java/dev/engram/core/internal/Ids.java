package dev.engram.core.internal;

import dev.engram.core.InvalidInputException;

/** Validation of identifiers: 1..256 characters of {@code [A-Za-z0-9._:@-]}. Safe as key parts in every backend. */
public final class Ids {

    public static final int MAX_LENGTH = 256;
    public static final String RULE = "1..256 characters of [A-Za-z0-9._:@-]";

    private Ids() {
    }

    /** Returns {@code value} when it is a valid id, otherwise throws {@link InvalidInputException} naming {@code what}. */
    public static String require(String value, String what) {
        if (value == null) {
            throw new InvalidInputException(what + " is required");
        }
        if (!isValid(value)) {
            throw new InvalidInputException(what + " must be " + RULE + ", got " + quote(value));
        }
        return value;
    }

    /** Like {@link #require} but also accepts the empty string. */
    public static String requireOrEmpty(String value, String what) {
        if (value == null) {
            throw new InvalidInputException(what + " is required");
        }
        return value.isEmpty() ? value : require(value, what);
    }

    public static boolean isValid(String value) {
        int n = value.length();
        if (n == 0 || n > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (!isIdChar(value.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isIdChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '.' || c == '_' || c == ':' || c == '@' || c == '-';
    }

    /** Quotes a user-supplied value for an error message, cut to a readable length. */
    public static String quote(String value) {
        String shown = value.length() > 64 ? value.substring(0, 64) + "…(" + value.length() + " chars)" : value;
        return "'" + shown + "'";
    }
}
