package dev.engram.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.ConfigurationException;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.BackendContext;
import dev.engram.core.config.ProviderOptions;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.test.StepVerifier;

/**
 * Credentials the server refuses fail at once with a {@link ConfigurationException} naming the reply, not as a
 * transient failure to retry: a private redis-server whose ACL has a full user, a user without scripts, and no
 * default user.
 */
class RedisCredentialsIT {

    private static final String PASSWORD = "right-password-for-engram";
    private static RedisServerProcess server;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        server = RedisServerProcess.start(RedisServerProcess.freePort(), dir);
        assertThat(server.command("ACL SETUSER engram on >" + PASSWORD + " ~* &* +@all")).isEqualTo("+OK");
        assertThat(server.command("ACL SETUSER reader on >" + PASSWORD + " ~* &* +@all -@scripting")).isEqualTo("+OK");
        // last: from here on, a connection must authenticate
        assertThat(server.command("ACL SETUSER default off")).isEqualTo("+OK");
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theRightCredentialsAppend() {
        Backend backend = backend(Map.of("username", "engram", "password", PASSWORD));
        try {
            assertThat(backend.events().append(RedisBasicsIT.append(ThreadKey.of("ok"), ExpectedVersion.noThread(),
                    List.of(RedisBasicsIT.event((byte) 1)))).block().lastVersion()).isEqualTo(1);
        } finally {
            backend.close().block();
        }
    }

    @Test
    void aWrongPasswordIsAConfigurationError() {
        refused(Map.of("username", "engram", "password", "not-the-password"), "WRONGPASS");
    }

    @Test
    void noCredentialsWhereTheServerNeedsThemIsAConfigurationError() {
        refused(Map.of(), "NOAUTH");
    }

    @Test
    void aUserWithoutTheCommandsIsAConfigurationError() {
        refused(Map.of("username", "reader", "password", PASSWORD), "NOPERM");
    }

    private static void refused(Map<String, String> credentials, String reply) {
        Backend backend = backend(credentials);
        try {
            StepVerifier.create(backend.events().append(RedisBasicsIT.append(ThreadKey.of("refused"), ExpectedVersion.any(),
                            List.of(RedisBasicsIT.event((byte) 1)))))
                    .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(ConfigurationException.class)
                            .hasMessageContaining(reply).hasMessageContaining("credentials"))
                    .verify(Duration.ofSeconds(10));
        } finally {
            backend.close().block();
        }
    }

    private static Backend backend(Map<String, String> credentials) {
        Map<String, String> options = new HashMap<>(Map.of("url", server.url(), "keyPrefix", "creds:"));
        options.putAll(credentials);
        return new RedisProvider().create(new BackendContext(new ProviderOptions("providers.redis", options), Clock.systemUTC()));
    }
}
