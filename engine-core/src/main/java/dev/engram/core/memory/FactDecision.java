package dev.engram.core.memory;

import dev.engram.core.internal.Ids;
import dev.engram.core.internal.JsonValues;
import java.util.Map;

/** What an extractor decided about one fact, by key within the user's facts namespace. */
public sealed interface FactDecision {

    String key();

    /** A new fact. If the key exists already, this is an update. */
    record Add(String key, Map<String, Object> value) implements FactDecision {
        public Add {
            Ids.require(key, "fact key");
            value = JsonValues.normalizeMap(value, "fact value");
        }
    }

    /** A known fact with a new value (a contradicting later turn); its provenance is extended. */
    record Update(String key, Map<String, Object> value) implements FactDecision {
        public Update {
            Ids.require(key, "fact key");
            value = JsonValues.normalizeMap(value, "fact value");
        }
    }

    /** A known fact that no longer holds. */
    record Delete(String key) implements FactDecision {
        public Delete {
            Ids.require(key, "fact key");
        }
    }
}
