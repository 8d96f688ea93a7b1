package dev.engram.core.memory;

import dev.engram.core.model.ThreadKey;
import java.util.List;

/**
 * What an extractor reads: the new turns of one thread and the facts already known about its user.
 *
 * @param namespace  where the user's facts live, e.g. {@code ["user-42", "facts"]}
 * @param turns      the turns not yet extracted, oldest first
 * @param knownFacts the user's existing facts most relevant to the turns; decisions refer to them by key
 */
public record ExtractionRequest(ThreadKey thread, String user, Namespace namespace, List<Turn> turns, List<MemoryItem> knownFacts) {

    public ExtractionRequest {
        turns = List.copyOf(turns);
        knownFacts = List.copyOf(knownFacts);
    }

    /** One message of the conversation at its version in the thread's log. */
    public record Turn(long version, String role, String content) {
    }
}
