package dev.engram.core.memory;

import dev.engram.core.InvalidInputException;
import dev.engram.core.model.ThreadKey;
import org.jspecify.annotations.Nullable;

/**
 * Where an item came from: the thread (with its checkpoint namespace) and the version range of the turns it was
 * drawn from, and the extractor and model that produced it (null for an item put by hand).
 */
public record Provenance(ThreadKey thread, long fromVersion, long toVersion, @Nullable String extractor, @Nullable String model) {

    public Provenance {
        if (thread == null) {
            throw new InvalidInputException("provenance.thread is required");
        }
        if (fromVersion < 1 || toVersion < fromVersion) {
            throw new InvalidInputException("provenance versions must satisfy 1 <= fromVersion <= toVersion, got "
                    + fromVersion + ".." + toVersion);
        }
    }

    /** This provenance with its range widened to cover {@code other}'s, and {@code other}'s extractor and model. */
    public Provenance extendedBy(Provenance other) {
        if (!thread.equals(other.thread)) {
            return other;
        }
        return new Provenance(thread, Math.min(fromVersion, other.fromVersion), Math.max(toVersion, other.toVersion),
                other.extractor, other.model);
    }
}
