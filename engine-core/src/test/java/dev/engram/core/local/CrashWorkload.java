package dev.engram.core.local;

import dev.engram.core.model.Change;
import dev.engram.core.model.Message;
import dev.engram.core.model.NewEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * What the crash test's writer appends, as a pure function of (thread, version). Each thread's log is tiled into
 * batches whose sizes depend only on where they start, so a log that is whole ends exactly on a batch boundary, and
 * the event at any version, its id and its content are known without asking the writer.
 */
final class CrashWorkload {

    static final int THREADS = 16;

    private CrashWorkload() {
    }

    static String threadId(int index) {
        return String.format("crash-%02d", index);
    }

    /** The size (1..3) of the batch that starts at {@code start}. */
    static int batchSize(String threadId, long start) {
        return 1 + Math.floorMod((threadId.hashCode() * 31L + start) * 0x9E3779B97F4A7C15L >>> 33, 3);
    }

    static UUID eventId(String threadId, long version) {
        return UUID.nameUUIDFromBytes(("engram-crash/" + threadId + "/" + version).getBytes(StandardCharsets.UTF_8));
    }

    /** Mostly messages of varying length; every fifth version sets a value, so the fold exercises both. */
    static Change change(String threadId, long version, long batchStart, int batchSize) {
        if (version % 5 == 0) {
            return Change.set(valueKey(version), version);
        }
        String filler = ("lorem-" + version % 13 + " ").repeat((int) (version % 17));
        return Change.message(Message.user(threadId + " v" + version + " batch " + batchStart + "+" + batchSize + " " + filler));
    }

    static String valueKey(long version) {
        return "k" + version % 7;
    }

    /** The events of the batch that starts at {@code start}. */
    static List<NewEvent> batch(String threadId, long start) {
        int size = batchSize(threadId, start);
        List<NewEvent> events = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            long v = start + i;
            events.add(NewEvent.of(eventId(threadId, v), change(threadId, v, start, size)));
        }
        return events;
    }

    /** The start of the batch that ends exactly at {@code head}, or -1 when {@code head} is not a batch boundary. */
    static long lastBatchStart(String threadId, long head) {
        long start = 1;
        while (start + batchSize(threadId, start) - 1 < head) {
            start += batchSize(threadId, start);
        }
        return start + batchSize(threadId, start) - 1 == head ? start : -1;
    }
}
