package dev.engram.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.BackendUnavailableException;
import dev.engram.core.ConfigurationException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class ErrorMapperTest {

    @Test
    void aRefusedConfigurationIsAnInternalErrorThatKeepsItsDetailsInTheLog() {
        ErrorMapper.ApiError error = ErrorMapper.map(new CompletionException(new ConfigurationException(
                "PostgreSQL refused the configuration while appending to t: [28000] role \"engram_prod\" does not exist")));
        assertThat(error.status()).isEqualTo(500);
        assertThat(error.code()).isEqualTo(ErrorMapper.INTERNAL);
        assertThat(error.body().getString("message")).contains("misconfigured").doesNotContain("engram_prod").doesNotContain("28000");
        assertThat(ErrorMapper.isBackendFailure(new ConfigurationException("x"))).as("counted among the backend's failures").isTrue();
    }

    @Test
    void anUnavailableBackendIsARetryableServiceUnavailable() {
        ErrorMapper.ApiError error = ErrorMapper.map(new BackendUnavailableException("connection reset"));
        assertThat(error.status()).isEqualTo(503);
        assertThat(error.code()).isEqualTo(ErrorMapper.BACKEND_UNAVAILABLE);
        assertThat(ErrorMapper.isBackendFailure(new BackendUnavailableException("x"))).isTrue();
    }
}
