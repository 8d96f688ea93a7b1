package dev.engram.core.local;

import dev.engram.core.config.ProviderOptions;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.BackendContext;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/** Opening backends over a directory and building raw appends, for the local provider's unit tests. */
final class LocalTesting {

    private LocalTesting() {
    }

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        private final AtomicLong millis = new AtomicLong(1_700_000_000_000L);

        void advance(Duration d) {
            millis.addAndGet(d.toMillis());
        }

        @Override
        public long millis() {
            return millis.get();
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }
    }

    /** Opens the local backend on {@code dir}; {@code options} are name, value pairs. */
    static LocalBackend open(Path dir, Clock clock, String... options) {
        Map<String, String> values = new TreeMap<>();
        values.put("dataDir", dir.toString());
        for (int i = 0; i < options.length; i += 2) {
            values.put(options[i], options[i + 1]);
        }
        return (LocalBackend) new LocalProvider().create(new BackendContext(new ProviderOptions("local", values), clock));
    }

    static EventRecord event(UUID id, String text, long nowMillis) {
        return new EventRecord(0, id, "custom", nowMillis, text.getBytes(StandardCharsets.UTF_8));
    }

    static EventRecord event(String text, long nowMillis) {
        return event(UUID.randomUUID(), text, nowMillis);
    }

    static LogAppend append(ThreadKey key, ExpectedVersion expected, long nowMillis, EventRecord... events) {
        return new LogAppend(key, expected, List.of(events), Map.of(), null, nowMillis);
    }

    static LogAppend append(ThreadKey key, ExpectedVersion expected, long nowMillis, @Nullable Duration ttl, EventRecord... events) {
        return new LogAppend(key, expected, List.of(events), Map.of(), ttl, nowMillis);
    }

    static String text(EventRecord e) {
        return new String(e.data(), StandardCharsets.UTF_8);
    }

    static List<String> texts(List<EventRecord> events) {
        return events.stream().map(LocalTesting::text).toList();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static boolean sameBytes(byte[] a, byte[] b) {
        return Arrays.equals(a, b);
    }
}
