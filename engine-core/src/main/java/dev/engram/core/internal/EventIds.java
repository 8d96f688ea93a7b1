package dev.engram.core.internal;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * New event ids: RFC 9562 version 7 UUIDs (48-bit Unix milliseconds, then 74 random bits). Time-ordered ids keep the
 * backends' event-id indexes append-mostly, and {@link ThreadLocalRandom} avoids {@code SecureRandom}'s cost on every
 * append; ids need to be unique within a thread, not unguessable.
 */
public final class EventIds {

    private EventIds() {
    }

    public static UUID next() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long millis = System.currentTimeMillis();
        long high = (millis << 16) | 0x7000L | (random.nextLong() & 0x0FFFL);
        long low = (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new UUID(high, low);
    }
}
