package dev.engram.core.spi.support;

import dev.engram.core.model.Page;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.ThreadRecord;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Paging of thread listings in (threadId, namespace) order. The cursor is the last key's threadId and namespace
 * joined by {@code /}, a character ids cannot contain.
 */
public final class ThreadCursor {

    public static final Comparator<ThreadKey> ORDER = Comparator.comparing(ThreadKey::threadId).thenComparing(ThreadKey::namespace);

    private ThreadCursor() {
    }

    public static String of(ThreadKey key) {
        return key.threadId() + "/" + key.namespace();
    }

    /** Whether {@code key} comes after the cursor (always, when the cursor is null). */
    public static boolean isAfter(ThreadKey key, @Nullable String cursor) {
        if (cursor == null) {
            return true;
        }
        int slash = cursor.indexOf('/');
        String threadId = slash < 0 ? cursor : cursor.substring(0, slash);
        String namespace = slash < 0 ? "" : cursor.substring(slash + 1);
        int c = key.threadId().compareTo(threadId);
        return c > 0 || (c == 0 && key.namespace().compareTo(namespace) > 0);
    }

    /** The first {@code limit} of the sorted {@code matches}, with a cursor when more follow. */
    public static Page<ThreadRecord> page(List<ThreadRecord> matches, int limit) {
        if (matches.size() <= limit) {
            return new Page<>(matches, null);
        }
        List<ThreadRecord> items = matches.subList(0, limit);
        return new Page<>(items, of(items.get(limit - 1).key()));
    }
}
