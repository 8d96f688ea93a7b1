package dev.engram.core.spi.support;

import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/** Searches a failure's chain of causes, for the one place per backend that translates driver failures. */
public final class Causes {

    /** Deep enough for any driver's wrapping; a bound, because a chain of causes may loop back on itself. */
    private static final int MAX_DEPTH = 32;

    private Causes() {
    }

    /** The first of {@code failure} and its causes, outermost first, that {@code test} accepts; null if none does. */
    public static @Nullable Throwable find(Throwable failure, Predicate<Throwable> test) {
        Throwable t = failure;
        for (int depth = 0; t != null && depth < MAX_DEPTH; depth++) {
            if (test.test(t)) {
                return t;
            }
            t = t.getCause() == t ? null : t.getCause();
        }
        return null;
    }
}
