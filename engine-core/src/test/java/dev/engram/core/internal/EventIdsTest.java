package dev.engram.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class EventIdsTest {

    @Test
    void idsAreVersion7AndUnique() {
        Set<UUID> seen = new HashSet<>();
        long before = System.currentTimeMillis();
        for (int i = 0; i < 100_000; i++) {
            UUID id = EventIds.next();
            assertThat(id.version()).isEqualTo(7);
            assertThat(id.variant()).isEqualTo(2);
            assertThat(seen.add(id)).as("id %d is new", i).isTrue();
        }
        UUID last = EventIds.next();
        assertThat(last.getMostSignificantBits() >>> 16).as("the leading 48 bits are the time in ms")
                .isBetween(before, System.currentTimeMillis());
    }
}
