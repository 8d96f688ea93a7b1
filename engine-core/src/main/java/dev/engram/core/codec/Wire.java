package dev.engram.core.codec;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import dev.engram.core.CorruptDataException;
import dev.engram.core.InvalidInputException;
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
 * The body format's primitives, written by hand: bulk UTF-8 strings, counts, and JSON-like values with one tag
 * byte each. Maps are always written in key order, so equal content gives equal bytes whatever the map's class.
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

    static void writeString(Output out, String s) {
        byte[] bytes = s.getBytes(UTF_8);
        out.writeVarInt(bytes.length, true);
        out.writeBytes(bytes);
    }

    /** Writes varint (length + 1), 0 meaning null. */
    static void writeNullableString(Output out, @Nullable String s) {
        if (s == null) {
            out.writeVarInt(0, true);
            return;
        }
        byte[] bytes = s.getBytes(UTF_8);
        out.writeVarInt(bytes.length + 1, true);
        out.writeBytes(bytes);
    }

    static String readString(Input in) {
        return readUtf8(in, in.readVarInt(true));
    }

    static @Nullable String readNullableString(Input in) {
        int n = in.readVarInt(true);
        return n == 0 ? null : readUtf8(in, n - 1);
    }

    private static String readUtf8(Input in, int length) {
        int position = in.position();
        if (length < 0 || length > in.limit() - position) {
            throw new CorruptDataException("a string of " + length + " bytes overruns the body (" + (in.limit() - position) + " left)");
        }
        if (length == 0) {
            return "";
        }
        // decodes straight from the blob: Input wraps it without a copy
        String s = new String(in.getBuffer(), position, length, UTF_8);
        in.setPosition(position + length);
        return s;
    }

    /** Reads a count of items that take at least one byte each, so a corrupt count cannot make a huge allocation. */
    static int readCount(Input in, String what) {
        int n = in.readVarInt(true);
        if (n < 0 || n > in.limit() - in.position()) {
            throw new CorruptDataException(what + " count " + n + " exceeds the " + (in.limit() - in.position()) + " bytes left");
        }
        return n;
    }

    static byte[] readBytes(Input in, String what) {
        return in.readBytes(readCount(in, what));
    }

    static void writeValue(Output out, @Nullable Object value) {
        if (value == null) {
            out.writeByte(TAG_NULL);
        } else if (value instanceof String s) {
            out.writeByte(TAG_STRING);
            writeString(out, s);
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

    static @Nullable Object readValue(Input in) {
        int tag = in.readByte();
        return switch (tag) {
            case TAG_NULL -> null;
            case TAG_STRING -> readString(in);
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

    private static void writeBigInteger(Output out, BigInteger i) {
        byte[] bytes = i.toByteArray();
        out.writeVarInt(bytes.length, true);
        out.writeBytes(bytes);
    }

    private static BigInteger readBigInteger(Input in) {
        int length = readCount(in, "big integer byte");
        if (length == 0) {
            throw new CorruptDataException("a big integer has no bytes");
        }
        BigInteger i = new BigInteger(in.getBuffer(), in.position(), length);
        in.setPosition(in.position() + length);
        return i;
    }

    private static List<@Nullable Object> readList(Input in) {
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
    static void writeMap(Output out, Map<?, ?> map, String what) {
        out.writeVarInt(map.size(), true);
        for (Map.Entry<?, ?> e : inKeyOrder(map, what)) {
            writeString(out, (String) e.getKey());
            writeValue(out, e.getValue());
        }
    }

    /** Reads a map as JsonValues normalises one: immutable and sorted by key. */
    static Map<String, Object> readMap(Input in) {
        int n = readCount(in, "map");
        if (n == 0) {
            return Map.of();
        }
        TreeMap<String, Object> map = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            map.put(readString(in), readValue(in));
        }
        if (map.size() != n) {
            throw new CorruptDataException("a map of " + n + " entries repeats a key");
        }
        return Collections.unmodifiableMap(map);
    }

    /** Writes a string-to-string map (event metadata) in key order. */
    static void writeStringMap(Output out, Map<String, String> map, String what) {
        out.writeVarInt(map.size(), true);
        for (Map.Entry<?, ?> e : inKeyOrder(map, what)) {
            if (!(e.getValue() instanceof String value)) {
                throw new InvalidInputException(what + "." + e.getKey() + " is null");
            }
            writeString(out, (String) e.getKey());
            writeString(out, value);
        }
    }

    static Map<String, String> readStringMap(Input in, String what) {
        int n = readCount(in, what);
        if (n == 0) {
            return Map.of();
        }
        TreeMap<String, String> map = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            map.put(readString(in), readString(in));
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
