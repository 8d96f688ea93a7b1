package dev.engram.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.Namespace;
import io.lettuce.core.cluster.SlotHash;
import org.junit.jupiter.api.Test;

class RedisMemoryKeysTest {

    private final RedisKeys keys = new RedisKeys("engram");

    @Test
    void anItemSharesTheSlotOfItsSpaceAndNeverATagWithAThread() {
        MemoryKey key = new MemoryKey("acme", Namespace.of("user-42", "facts"), "diet");
        assertThat(keys.memoryItem(key)).isEqualTo("engram:{acme|user-42}:m:user-42/facts#diet");
        assertThat(keys.memoryIndex("acme", "user-42")).isEqualTo("engram:{acme|user-42}:items");
        assertThat(SlotHash.getSlot(keys.memoryItem(key))).isEqualTo(SlotHash.getSlot(keys.memoryIndex("acme", "user-42")));
        assertThat(keys.memoryItem(key)).startsWith(keys.memoryItemStem("acme", "user-42"));
        assertThat(keys.memorySpaces("acme")).isEqualTo("engram:tenant:acme:memories").isNotEqualTo(keys.tenantIndex("acme"));
    }

    @Test
    void membersGiveBackTheirNamespacePath() {
        MemoryKey key = new MemoryKey("t", Namespace.of("a", "b.c"), "k:1");
        assertThat(RedisKeys.memoryMember(key)).isEqualTo("a/b.c#k:1");
        assertThat(RedisKeys.memoryMemberPath(RedisKeys.memoryMember(key))).isEqualTo("a/b.c");
    }

    @Test
    void aPrefixMatchesWholeSegmentsOnly() {
        assertThat(RedisMemoryStorage.within("a", "a")).isTrue();
        assertThat(RedisMemoryStorage.within("a/x", "a")).isTrue();
        assertThat(RedisMemoryStorage.within("ab", "a")).as("'ab' is not under 'a'").isFalse();
        assertThat(RedisMemoryStorage.within("a", "a/x")).isFalse();
        assertThat(RedisMemoryStorage.within("anything", "")).as("the root holds everything").isTrue();
    }

    @Test
    void indexScoresSayWhetherAnItemIsLive() {
        assertThat(RedisMemoryStorage.liveScore(RedisRecords.text("inf"), Long.MAX_VALUE)).isTrue();
        assertThat(RedisMemoryStorage.liveScore(RedisRecords.text(""), 5)).as("unindexed: trust the key").isTrue();
        assertThat(RedisMemoryStorage.liveScore(RedisRecords.text("1700000000000"), 1_699_999_999_999L)).isTrue();
        assertThat(RedisMemoryStorage.liveScore(RedisRecords.text("1700000000000"), 1_700_000_000_000L)).as("expiry at now").isFalse();
    }
}
