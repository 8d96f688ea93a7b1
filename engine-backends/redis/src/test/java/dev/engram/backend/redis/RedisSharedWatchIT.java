package dev.engram.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.Engram;
import dev.engram.core.config.EngramConfig;
import dev.engram.core.model.Change;
import dev.engram.core.model.Message;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadUpdate;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** Two engines over the same Redis, as two servers would be: each one's watch sees the other's appends. */
class RedisSharedWatchIT {

    private final String prefix = RedisTestSupport.uniquePrefix("watch");
    private Engram left;
    private Engram right;

    @BeforeEach
    void open() {
        RedisTestSupport.requireRedis();
        EngramConfig config = EngramConfig.defaults()
                .withProvider(RedisProvider.NAME)
                .withStrict(true)
                .withProviderOption(RedisProvider.NAME, "url", RedisTestSupport.URL)
                .withProviderOption(RedisProvider.NAME, "keyPrefix", prefix);
        left = Engram.open(config);
        right = Engram.open(config);
    }

    @AfterEach
    void close() {
        left.close();
        right.close();
        RedisTestSupport.dropPrefix(RedisTestSupport.URL, prefix);
    }

    @Test
    void eachEngineWatchesTheOthersAppends() {
        ThreadKey key = ThreadKey.of("acme", "shared-watch");
        assertThat(left.provider()).isEqualTo("redis");
        StepVerifier.create(left.thread(key).watch(1).map(ThreadUpdate::lastVersion))
                .then(() -> right.thread(key).append(Change.message(Message.user("from the right"))).block())
                .expectNext(1L)
                .then(() -> right.thread(key).append(Change.message(Message.user("again"))).block())
                .expectNext(2L)
                .thenCancel()
                .verify(Duration.ofSeconds(10));
        StepVerifier.create(right.thread(key).watch(3).map(ThreadUpdate::lastVersion))
                .then(() -> left.thread(key).append(Change.message(Message.user("from the left"))).block())
                .expectNext(3L)
                .thenCancel()
                .verify(Duration.ofSeconds(10));
        assertThat(right.thread(key).state().block().messages()).hasSize(3);
    }
}
