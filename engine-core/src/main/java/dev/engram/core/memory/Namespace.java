package dev.engram.core.memory;

import dev.engram.core.InvalidInputException;
import dev.engram.core.internal.Ids;
import java.util.ArrayList;
import java.util.List;

/**
 * A namespace path such as {@code ["user-42", "facts"]}. Each segment follows the id rule (1..256 characters of
 * {@code [A-Za-z0-9._:@-]}); at most {@link #MAX_DEPTH} segments. An item's namespace has at least one segment; a
 * search or listing prefix may be empty (the whole tenant). Segments never contain '/', so {@link #path()} is unambiguous.
 */
public record Namespace(List<String> segments) {

    public static final int MAX_DEPTH = 16;
    /** Namespaces whose first segment starts with this are the engine's own (extraction marks); the public API refuses them. */
    public static final String RESERVED_PREFIX = "engram.";
    public static final Namespace ROOT = new Namespace(List.of());

    public Namespace {
        if (segments == null) {
            throw new InvalidInputException("namespace is required");
        }
        if (segments.size() > MAX_DEPTH) {
            throw new InvalidInputException("namespace has at most " + MAX_DEPTH + " segments, got " + segments.size());
        }
        List<String> copy = new ArrayList<>(segments.size());
        for (int i = 0; i < segments.size(); i++) {
            copy.add(Ids.require(segments.get(i), "namespace[" + i + "]"));
        }
        segments = List.copyOf(copy);
    }

    public static Namespace of(String... segments) {
        return new Namespace(List.of(segments));
    }

    /** Parses {@link #path()}'s form; the empty string is {@link #ROOT}. */
    public static Namespace parse(String path) {
        return path.isEmpty() ? ROOT : new Namespace(List.of(path.split("/", -1)));
    }

    public int depth() {
        return segments.size();
    }

    public boolean isRoot() {
        return segments.isEmpty();
    }

    /** The segments joined by '/'; empty for the root. */
    public String path() {
        return String.join("/", segments);
    }

    /** Whether {@code prefix}'s segments are the first segments of this namespace (every namespace starts with the root). */
    public boolean startsWith(Namespace prefix) {
        int n = prefix.segments.size();
        return n <= segments.size() && segments.subList(0, n).equals(prefix.segments);
    }

    /** Whether the last segments of this namespace are {@code suffix}'s. */
    public boolean endsWith(Namespace suffix) {
        int n = suffix.segments.size();
        return n <= segments.size() && segments.subList(segments.size() - n, segments.size()).equals(suffix.segments);
    }

    /** The first {@code depth} segments (all of them when the namespace is not that deep). */
    public Namespace truncate(int depth) {
        return depth >= segments.size() ? this : new Namespace(segments.subList(0, depth));
    }

    public Namespace child(String segment) {
        List<String> s = new ArrayList<>(segments);
        s.add(segment);
        return new Namespace(s);
    }

    /** Whether the first segment is reserved for the engine (see {@link #RESERVED_PREFIX}). */
    public boolean isReserved() {
        return !segments.isEmpty() && segments.get(0).startsWith(RESERVED_PREFIX);
    }

    @Override
    public String toString() {
        return segments.toString();
    }
}
