package dev.engram.core.internal;

import dev.engram.core.InvalidInputException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * JSON-like values: {@code null}, {@link String}, {@link Boolean}, {@link Long}, {@link Double},
 * {@link BigInteger}, {@link BigDecimal}, {@link List} and {@link Map} with string keys.
 * Normalising makes values immutable and their encoding deterministic (maps sorted by key),
 * which is what lets a retried append be recognised byte for byte.
 */
public final class JsonValues {

    private JsonValues() {
    }

    /** Returns an immutable, normalised copy of {@code value}, or throws {@link InvalidInputException} naming {@code path}. */
    public static Object normalize(Object value, String path) {
        if (value == null || value instanceof String || value instanceof Boolean || value instanceof Long
                || value instanceof Double || value instanceof BigInteger || value instanceof BigDecimal) {
            return value;
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof Float f) {
            return f.doubleValue();
        }
        if (value instanceof Map<?, ?> map) {
            return normalizeMap(map, path);
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            for (int i = 0; i < list.size(); i++) {
                out.add(normalize(list.get(i), path + "[" + i + "]"));
            }
            return Collections.unmodifiableList(out);
        }
        throw new InvalidInputException(path + " has unsupported type " + value.getClass().getName()
                + " (allowed: null, string, boolean, number, list, map)");
    }

    /** Normalises a map with string keys into an immutable map sorted by key; a map this class made is returned as it is. */
    public static Map<String, Object> normalizeMap(Map<?, ?> map, String path) {
        if (map == null) {
            throw new InvalidInputException(path + " is required");
        }
        if (map instanceof NormalizedMap normalized) {
            return normalized;
        }
        TreeMap<String, Object> out = new TreeMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String key)) {
                throw new InvalidInputException(path + " has a non-string key " + e.getKey());
            }
            out.put(key, normalize(e.getValue(), path + "." + key));
        }
        return new NormalizedMap(out);
    }

    /**
     * Wraps a map whose values are already normalised (a decoder's output) without copying it again.
     * The caller hands the map over and must not change it afterwards.
     */
    public static Map<String, Object> trusted(TreeMap<String, Object> normalized) {
        return new NormalizedMap(normalized);
    }

    /** Whether {@code map} was normalised here (or trusted as normalised): string keys in ascending order, normalised values. */
    public static boolean isNormalized(Map<?, ?> map) {
        return map instanceof NormalizedMap;
    }

    /** An immutable, key-sorted map of normalised values; normalising it again costs nothing. */
    private static final class NormalizedMap extends AbstractMap<String, Object> {
        private final Map<String, Object> view;

        NormalizedMap(TreeMap<String, Object> map) {
            this.view = Collections.unmodifiableMap(map);
        }

        @Override
        public Set<Entry<String, Object>> entrySet() {
            return view.entrySet();
        }

        @Override
        public Object get(Object key) {
            return view.get(key);
        }

        @Override
        public boolean containsKey(Object key) {
            return view.containsKey(key);
        }

        @Override
        public int size() {
            return view.size();
        }

        @Override
        public void forEach(BiConsumer<? super String, ? super Object> action) {
            // the sorted map's own walk: no iterator and no read-only entry wrappers
            view.forEach(action);
        }
    }

    /** Validates a string-to-string map (event and thread metadata), returning an immutable copy sorted by key. */
    public static Map<String, String> normalizeStrings(Map<String, String> map, String path) {
        if (map == null) {
            throw new InvalidInputException(path + " is required");
        }
        if (map.isEmpty()) {
            return Map.of();
        }
        TreeMap<String, String> out = new TreeMap<>();
        for (Map.Entry<String, String> e : map.entrySet()) {
            if (e.getKey() == null || e.getKey().isEmpty()) {
                throw new InvalidInputException(path + " has an empty key");
            }
            if (e.getValue() == null) {
                throw new InvalidInputException(path + "." + e.getKey() + " is null");
            }
            out.put(e.getKey(), e.getValue());
        }
        return Collections.unmodifiableMap(out);
    }
}
