package dev.engram.core.extraction;

/**
 * Counters of the extraction pipeline since the engine opened, and its current backlog. Counters only grow.
 *
 * @param queued         threads accepted into the queue (an append to a thread already waiting is not counted again)
 * @param calls          successful extractor calls
 * @param extractedTurns turns whose decisions were applied and whose thread's mark moved past them
 * @param factsAdded     facts written under a new key
 * @param factsUpdated   facts written over an existing key (a new value, or a wider provenance)
 * @param factsDeleted   facts deleted
 * @param failures       extractions that failed after their retries (or at once, when not transient)
 * @param retries        retries after a transient failure (rate limits, timeouts, 5xx, an unreachable API)
 * @param queueFull      times the queue was full when a thread was offered (the offer is then retried with backoff)
 * @param dropped        offers given up after the queue stayed full through every retry; the thread is extracted on
 *                       its next append or on {@link Extraction#catchUp}
 * @param pending        threads waiting now: queued, waiting for their user's other extraction, or for a retry
 * @param running        extractions running now
 */
public record ExtractionStats(long queued, long calls, long extractedTurns, long factsAdded, long factsUpdated, long factsDeleted,
                              long failures, long retries, long queueFull, long dropped, int pending, int running) {

    /** All zero: what a disabled pipeline reports. */
    public static final ExtractionStats NONE = new ExtractionStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}
