package dev.engram.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.ConfigurationException;
import dev.engram.core.config.ProviderOptions;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.BackendContext;
import dev.engram.core.spi.BackendProvider;
import dev.engram.core.spi.BackendProviders;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslVerifyMode;
import io.lettuce.core.cluster.SlotHash;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedisOptionsTest {

    private static RedisSettings parse(Map<String, String> values) {
        return RedisOptions.parse(new ProviderOptions("providers.redis", values));
    }

    @Test
    void defaultsPointAtALocalRedis() {
        RedisSettings s = parse(Map.of());
        assertThat(s.uris()).singleElement().satisfies(u -> {
            assertThat(u.getHost()).isEqualTo("127.0.0.1");
            assertThat(u.getPort()).isEqualTo(6379);
            assertThat(u.isSsl()).isFalse();
            assertThat(u.getTimeout()).isEqualTo(Duration.ofSeconds(10));
        });
        assertThat(s.keyPrefix()).isEqualTo("engram");
        assertThat(s.cluster()).isFalse();
        assertThat(s.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void urlCredentialsDatabaseAndTlsAreRead() {
        RedisSettings s = parse(Map.of("url", "rediss://app:s%40cret@redis.example:6380/3", "commandTimeout", "2s"));
        RedisURI u = s.uris().get(0);
        assertThat(u.getHost()).isEqualTo("redis.example");
        assertThat(u.getPort()).isEqualTo(6380);
        assertThat(u.getDatabase()).isEqualTo(3);
        assertThat(u.isSsl()).isTrue();
        assertThat(u.getVerifyMode()).isEqualTo(SslVerifyMode.FULL);
        assertThat(u.getTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(u.getCredentialsProvider().resolveCredentials().block().getUsername()).isEqualTo("app");
        assertThat(new String(u.getCredentialsProvider().resolveCredentials().block().getPassword())).isEqualTo("s@cret");
    }

    @Test
    void optionsOverrideTheUrl() {
        RedisSettings s = parse(Map.of("url", "redis://:old@h:1/2", "password", "new", "dbIndex", "5", "tls", "true",
                "tlsVerify", "false"));
        RedisURI u = s.uris().get(0);
        assertThat(u.getDatabase()).isEqualTo(5);
        assertThat(u.isSsl()).isTrue();
        assertThat(u.getVerifyMode()).isEqualTo(SslVerifyMode.NONE);
        assertThat(new String(u.getCredentialsProvider().resolveCredentials().block().getPassword())).isEqualTo("new");
    }

    @Test
    void clusterSeedsAreCommaSeparated() {
        RedisSettings s = parse(Map.of("url", "redis://:pw@a:7000,b:7001,c:7002", "cluster", "true"));
        assertThat(s.uris()).extracting(RedisURI::getHost).containsExactly("a", "b", "c");
        assertThat(s.uris()).extracting(RedisURI::getPort).containsExactly(7000, 7001, 7002);
        assertThat(s.uris()).allSatisfy(u ->
                assertThat(new String(u.getCredentialsProvider().resolveCredentials().block().getPassword())).isEqualTo("pw"));
    }

    @Test
    void invalidOptionsAreConfigurationErrorsThatNeverShowThePassword() {
        assertThatThrownBy(() -> parse(Map.of("url", "http://h:1"))).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("redis://");
        assertThatThrownBy(() -> parse(Map.of("url", "redis://u:topsecret@a:1,b:2"))).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("cluster: true").hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> parse(Map.of("url", "redis://u:topsecret@a:notaport"))).isInstanceOf(ConfigurationException.class)
                .hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> parse(Map.of("url", "redis://a:1,b:2", "cluster", "true", "dbIndex", "1")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("database 0");
        assertThatThrownBy(() -> parse(Map.of("keyPrefix", "a{b}"))).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("keyPrefix");
        assertThatThrownBy(() -> parse(Map.of("keyPrefix", "has space"))).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> parse(Map.of("commandTimeout", "0s"))).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> parse(Map.of("dbIndex", "-1"))).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> parse(Map.of("username", "u"))).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("password");
        assertThatThrownBy(() -> parse(Map.of("keyprefix", "x"))).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("keyPrefix");
        assertThatThrownBy(() -> parse(Map.of("password", "p", "cluster", "maybe"))).isInstanceOf(ConfigurationException.class);
    }

    @Test
    void thePasswordIsMaskedWhenOptionsArePrinted() {
        ProviderOptions options = new ProviderOptions("providers.redis", Map.of("url", "redis://u:topsecret@h:1", "password", "other"));
        assertThat(options.toString()).doesNotContain("topsecret").doesNotContain("other");
        assertThat(RedisOptions.PASSWORD.isSensitive()).isTrue();
    }

    @Test
    void theProviderIsFoundByNameAndRefusesBadOptionsAtCreate() {
        assertThat(BackendProviders.available(getClass().getClassLoader())).extracting(BackendProvider::name).contains("redis");
        assertThatThrownBy(() -> new RedisProvider().create(new BackendContext(
                new ProviderOptions("providers.redis", Map.of("keyPrefix", "{x}")), Clock.systemUTC())))
                .isInstanceOf(ConfigurationException.class);
    }

    @Test
    void everyKeyOfAThreadSharesOneSlotAndThePrefixStaysOutsideTheTag() {
        RedisKeys keys = new RedisKeys("engram");
        ThreadKey key = new ThreadKey("acme", "t-1", "sub.agent");
        assertThat(keys.record(key)).isEqualTo("engram:{acme|t-1|sub.agent}:thread");
        int slot = SlotHash.getSlot(keys.record(key));
        assertThat(keys.all(key)).hasSize(5).allSatisfy(k -> assertThat(SlotHash.getSlot(k)).isEqualTo(slot));
        assertThat(SlotHash.getSlot(new RedisKeys("other").record(key))).as("prefix outside the braces").isEqualTo(slot);
        assertThat(keys.record(new ThreadKey("acme", "t-1", ""))).isEqualTo("engram:{acme|t-1|}:thread");
    }

    @Test
    void anAppendCarriesTheThreadsKeysInScriptOrderAndItsChannelIsNamedAfterTheRecordKey() {
        RedisKeys keys = new RedisKeys("engram");
        ThreadKey key = new ThreadKey("acme", "t:1@x", "sub.agent");
        assertThat(keys.all(key)).extracting(b -> new String(b, StandardCharsets.UTF_8))
                .containsExactly(keys.record(key), keys.events(key), keys.eventIds(key), keys.checkpoints(key), keys.checkpointMeta(key));
        // the append script publishes on the record key with its "thread" replaced by "head"
        String record = keys.record(key);
        assertThat(keys.channel(key)).isEqualTo(record.substring(0, record.length() - "thread".length()) + "head");
    }

    @Test
    void indexMembersSortInListingOrder() {
        // '-' and '.' sort below '/', so a '/' separator would put "a-b" before "a"; ',' sorts below every id character
        String a = RedisKeys.member(new ThreadKey("t", "a", "z"));
        String ab = RedisKeys.member(new ThreadKey("t", "a-b", ""));
        String aDot = RedisKeys.member(new ThreadKey("t", "a.", ""));
        assertThat(a).isLessThan(ab).isLessThan(aDot);
        assertThat(RedisKeys.member(new ThreadKey("t", "a", ""))).isLessThan(a);
        assertThat(RedisKeys.cursorMember("a/z")).isEqualTo(a);
        assertThat(RedisKeys.fromMember("t", a)).isEqualTo(new ThreadKey("t", "a", "z"));
        assertThat(RedisKeys.fromMember("t", "garbage")).isNull();
    }
}
