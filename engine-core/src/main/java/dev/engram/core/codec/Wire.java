package dev.engram.core.codec;

import dev.engram.core.CorruptDataException;
import dev.engram.core.InvalidInputException;
import dev.engram.core.internal.JsonValues;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The body format's primitives, written by hand: counts, and JSON-like values with one tag byte each (strings are
 * {@link BodyOutput}'s). Maps are always written in key order, so equal content gives equal bytes whatever the map's class.
 */
final class Wire {

    static final int TAG_NULL = 0;
    static final int TAG_STRING = 1;
    static final int TAG_TRUE = 2;
    static final int TAG_FALSE = 3;
    static final int TAG_LONG = 4;
    static final int TAG_DOUBLE = 5;
    static final int TAG_BIG_INTEGER = 6;
    static final int TAG_BIG_DECIMAL = 7;
    static final int TAG_LIST = 8;
    static final int TAG_MAP = 9;

    private static final Comparator<Map.Entry<?, ?>> BY_KEY = Comparator.comparing(e -> (String) e.getKey());

    private Wire() {
    }

    /** Reads a count of items that take at least one byte each, so a corrupt count cannot make a huge allocation. */
    static int readCount(BodyInput in, String what) {
        int n = in.readVarInt(true);
        if (n < 0 || n > in.limit() - in.position()) {
            throw new CorruptDataException(what + " count " + n + " exceeds the " + (in.limit() - in.position()) + " bytes left");
        }
        return n;
    }

    static byte[] readBytes(BodyInput in, String what) {
        return in.readBytes(readCount(in, what));
    }

    static void writeValue(BodyOutput out, @Nullable Object value) {
        if (value == null) {
            out.writeByte(TAG_NULL);
        } else if (value instanceof String s) {
            out.writeByte(TAG_STRING);
            out.writeText(s);
        } else if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            // the narrower integers are what JsonValues.normalize widens to Long: same value, same bytes
            out.writeByte(TAG_LONG);
            out.writeVarLong(((Number) value).longValue(), false);
        } else if (value instanceof Boolean b) {
            out.writeByte(b ? TAG_TRUE : TAG_FALSE);
        } else if (value instanceof Map<?, ?> map) {
            out.writeByte(TAG_MAP);
            writeMap(out, map, "map");
        } else if (value instanceof List<?> list) {
            out.writeByte(TAG_LIST);
            out.writeVarInt(list.size(), true);
            for (Object item : list) {
                writeValue(out, item);
            }
        } else if (value instanceof Double || value instanceof Float) {
            out.writeByte(TAG_DOUBLE);
            out.writeDouble(((Number) value).doubleValue());
        } else if (value instanceof BigInteger i) {
            out.writeByte(TAG_BIG_INTEGER);
            writeBigInteger(out, i);
        } else if (value instanceof BigDecimal d) {
            out.writeByte(TAG_BIG_DECIMAL);
            out.writeVarInt(d.scale(), false);
            writeBigInteger(out, d.unscaledValue());
        } else {
            throw new InvalidInputException("cannot encode a value of type " + value.getClass().getName()
                    + " (allowed: null, string, boolean, number, list, map)");
        }
    }

    static @Nullable Object readValue(BodyInput in) {
        int tag = in.readByte();
        return switch (tag) {
            case TAG_NULL -> null;
            case TAG_STRING -> in.readText();
            case TAG_TRUE -> Boolean.TRUE;
            case TAG_FALSE -> Boolean.FALSE;
            case TAG_LONG -> in.readVarLong(false);
            case TAG_DOUBLE -> in.readDouble();
            case TAG_BIG_INTEGER -> readBigInteger(in);
            case TAG_BIG_DECIMAL -> {
                int scale = in.readVarInt(false);
                yield new BigDecimal(readBigInteger(in), scale);
            }
            case TAG_LIST -> readList(in);
            case TAG_MAP -> readMap(in);
            default -> throw new CorruptDataException("unknown value tag " + tag);
        };
    }

    private static void writeBigInteger(BodyOutput out, BigInteger i) {
        byte[] bytes = i.toByteArray();
        out.writeVarInt(bytes.length, true);
        out.writeBytes(bytes);
    }

    private static BigInteger readBigInteger(BodyInput in) {
        int length = readCount(in, "big integer byte");
        if (length == 0) {
            throw new CorruptDataException("a big integer has no bytes");
        }
        BigInteger i = new BigInteger(in.getBuffer(), in.position(), length);
        in.setPosition(in.position() + length);
        return i;
    }

    private static List<@Nullable Object> readList(BodyInput in) {
        int n = readCount(in, "list");
        if (n == 0) {
            return Collections.emptyList();
        }
        Object[] items = new Object[n];
        for (int i = 0; i < n; i++) {
            items[i] = readValue(in);
        }
        return Collections.unmodifiableList(Arrays.asList(items));
    }

    /** Writes a map with string keys in key order; {@code what} names it in the error for a non-string key. */
    static void writeMap(BodyOutput out, Map<?, ?> map, String what) {
        out.writeVarInt(map.size(), true);
        if (JsonValues.isNormalized(map)) {
            // string keys already in order (message attributes, nested values): nothing to check or sort
            map.forEach((key, value) -> {
                out.writeText((String) key);
                writeValue(out, value);
            });
            return;
        }
        for (Map.Entry<?, ?> e : inKeyOrder(map, what)) {
            out.writeText((String) e.getKey());
            writeValue(out, e.getValue());
        }
    }

    /** Reads a map as JsonValues normalises one: immutable and sorted by key. */
    static Map<String, Object> readMap(BodyInput in) {
        int n = readCount(in, "map");
        if (n == 0) {
            return Map.of();
        }
        TreeMap<String, Object> map = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            map.put(in.readText(), readValue(in));
        }
        if (map.size() != n) {
            throw new CorruptDataException("a map of " + n + " entries repeats a key");
        }
        // values were read as normalised ones, so the model's constructors need not copy the map again
        return JsonValues.trusted(map);
    }

    /** Writes a string-to-string map (event metadata) in key order. */
    static void writeStringMap(BodyOutput out, Map<String, String> map, String what) {
        out.writeVarInt(map.size(), true);
        for (Map.Entry<?, ?> e : inKeyOrder(map, what)) {
            if (!(e.getValue() instanceof String value)) {
                throw new InvalidInputException(what + "." + e.getKey() + " is null");
            }
            out.writeText((String) e.getKey());
            out.writeText(value);
        }
    }

    static Map<String, String> readStringMap(BodyInput in, String what) {
        int n = readCount(in, what);
        if (n == 0) {
            return Map.of();
        }
        TreeMap<String, String> map = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            map.put(in.readText(), in.readText());
        }
        if (map.size() != n) {
            throw new CorruptDataException(what + " of " + n + " entries repeats a key");
        }
        return Collections.unmodifiableMap(map);
    }

    /** The map's entries sorted by key: the map itself when it already iterates in order (normalised maps do). */
    private static Iterable<? extends Map.Entry<?, ?>> inKeyOrder(Map<?, ?> map, String what) {
        String previous = null;
        boolean sorted = true;
        for (Object key : map.keySet()) {
            if (!(key instanceof String k)) {
                throw new InvalidInputException(what + " has a non-string key " + key);
            }
            if (previous != null && previous.compareTo(k) >= 0) {
                sorted = false;
            }
            previous = k;
        }
        if (sorted) {
            return map.entrySet();
        }
        Map.Entry<?, ?>[] entries = map.entrySet().toArray(new Map.Entry<?, ?>[0]);
        Arrays.sort(entries, BY_KEY);
        return Arrays.asList(entries);
    }
}
