package dev.engram.core.model;

import java.util.List;
import org.jspecify.annotations.Nullable;

/** One page of a listing; {@code next} is the cursor for the following page, null on the last one. */
public record Page<T>(List<T> items, @Nullable String next) {

    public Page {
        items = List.copyOf(items);
    }
}
