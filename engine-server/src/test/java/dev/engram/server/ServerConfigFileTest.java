package dev.engram.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.ConfigurationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerConfigFileTest {

    @TempDir
    Path dir;

    @Test
    void anApiKeyNamedByAVariableIsTheVariablesValueNotItsName() throws IOException {
        Path file = write("""
                server:
                  auth:
                    apiKeys:
                      ${KEY_ACME}: acme
                      ${KEY_OTHER:-fallback-key-0123456789}: other
                """);
        ServerOptions options = ServerConfigFile.read(file, Map.of("KEY_ACME", "acme-key-0123456789abcdef"));
        assertThat(options.getAuth().getApiKeys())
                .containsExactlyInAnyOrderEntriesOf(Map.of("acme-key-0123456789abcdef", "acme", "fallback-key-0123456789", "other"));
    }

    @Test
    void anUnsetVariableInAKeyIsAnErrorThatDoesNotShowTheKey() throws IOException {
        Path file = write("""
                server:
                  auth:
                    apiKeys:
                      ${KEY_ACME}: acme
                """);
        assertThatThrownBy(() -> ServerConfigFile.read(file, Map.of()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("variable KEY_ACME is not set");
    }

    @Test
    void twoKeysThatBecomeTheSameAreRefused() throws IOException {
        Path file = write("""
                server:
                  auth:
                    apiKeys:
                      ${A}: acme
                      ${B}: other
                """);
        assertThatThrownBy(() -> ServerConfigFile.read(file, Map.of("A", "same-key-0123456789", "B", "same-key-0123456789")))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("two keys are the same");
    }

    private Path write(String yaml) throws IOException {
        Path file = dir.resolve("engram.yaml");
        Files.writeString(file, yaml);
        return file;
    }
}
