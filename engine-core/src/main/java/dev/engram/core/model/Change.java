package dev.engram.core.model;

import dev.engram.core.InvalidInputException;
import dev.engram.core.internal.Ids;
import dev.engram.core.internal.JsonValues;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** What one event does to a thread's state. The built-in reducer interprets every kind except {@link Custom}, which it carries in the log. */
public sealed interface Change {

    /** The event type stored beside the change, e.g. {@code message}. */
    String type();

    static Change message(Message message) {
        return new MessageAppended(message);
    }

    static Change set(Map<String, ?> values) {
        return new ValuesSet(JsonValues.normalizeMap(values, "values"));
    }

    static Change set(String key, Object value) {
        return set(Collections.singletonMap(key, value));
    }

    static Change remove(Set<String> keys) {
        return new ValuesRemoved(keys);
    }

    static Change remove(String... keys) {
        return new ValuesRemoved(Set.of(keys));
    }

    static Change compact(long upToVersion, Message summary) {
        return new MessagesCompacted(upToVersion, summary);
    }

    static Change custom(String type, byte[] data) {
        return new Custom(type, data);
    }

    /** Appends a message to the conversation. */
    record MessageAppended(Message message) implements Change {
        public static final String TYPE = "message";

        public MessageAppended {
            if (message == null) {
                throw new InvalidInputException("message is required");
            }
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** Sets (adds or replaces) state values. */
    record ValuesSet(Map<String, Object> values) implements Change {
        public static final String TYPE = "values.set";

        public ValuesSet {
            values = JsonValues.normalizeMap(values, "values");
            if (values.isEmpty()) {
                throw new InvalidInputException("values must name at least one key");
            }
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** Removes state values by key; absent keys are ignored. */
    record ValuesRemoved(Set<String> keys) implements Change {
        public static final String TYPE = "values.removed";

        public ValuesRemoved {
            if (keys == null || keys.isEmpty()) {
                throw new InvalidInputException("keys must name at least one key");
            }
            TreeSet<String> sorted = new TreeSet<>();
            for (String k : keys) {
                if (k == null) {
                    throw new InvalidInputException("keys contains null");
                }
                sorted.add(k);
            }
            keys = Collections.unmodifiableSet(sorted);
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /**
     * Replaces every message appended at or before {@code upToVersion} with one summary message
     * (context-window summarisation). The events stay in the log; only the folded state shrinks.
     */
    record MessagesCompacted(long upToVersion, Message summary) implements Change {
        public static final String TYPE = "messages.compacted";

        public MessagesCompacted {
            if (upToVersion < 1) {
                throw new InvalidInputException("upToVersion must be at least 1, got " + upToVersion);
            }
            if (summary == null) {
                throw new InvalidInputException("summary is required");
            }
        }

        @Override
        public String type() {
            return TYPE;
        }
    }

    /** An application's own event: stored and replayed, not interpreted by the built-in reducer. */
    record Custom(String customType, byte[] data) implements Change {
        public static final String TYPE = "custom";

        public Custom {
            Ids.require(customType, "custom event type");
            if (data == null) {
                throw new InvalidInputException("custom event data is required");
            }
            data = data.clone();
        }

        @Override
        public String type() {
            return TYPE;
        }

        @Override
        public byte[] data() {
            return data.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Custom c && c.customType.equals(customType) && Arrays.equals(c.data, data);
        }

        @Override
        public int hashCode() {
            return customType.hashCode() * 31 + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "Custom[" + customType + ", " + data.length + " bytes]";
        }
    }
}
