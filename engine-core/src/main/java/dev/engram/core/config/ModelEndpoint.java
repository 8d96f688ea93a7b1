package dev.engram.core.config;

import dev.engram.core.ConfigurationException;
import java.net.URI;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * An OpenAI-compatible HTTP API: where it is, which model to ask, and which environment variable holds the API key
 * (the key itself never goes into a file).
 *
 * @param baseUrl   the API's base, including its version path, e.g. {@code https://api.openai.com/v1} or
 *                  {@code http://127.0.0.1:11434/v1}; the clients append {@code /embeddings} and {@code /chat/completions}
 * @param apiKeyEnv the environment variable holding the bearer key; null: send none (a local model server)
 * @param timeout   the longest one request may take
 */
public record ModelEndpoint(String baseUrl, String model, @Nullable String apiKeyEnv, Duration timeout) {

    public static final String DEFAULT_BASE_URL = "https://api.openai.com/v1";
    public static final String DEFAULT_API_KEY_ENV = "OPENAI_API_KEY";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    public ModelEndpoint {
        if (baseUrl == null || baseUrl.isBlank()) {
            throw new ConfigurationException("baseUrl is required");
        }
        URI uri;
        try {
            uri = URI.create(baseUrl);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("baseUrl is not a URL: " + baseUrl);
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new ConfigurationException("baseUrl must be an http or https URL with a host, got " + baseUrl);
        }
        baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        if (model == null || model.isBlank()) {
            throw new ConfigurationException("model is required");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new ConfigurationException("timeout must be positive");
        }
    }

    public ModelEndpoint withBaseUrl(String url) {
        return new ModelEndpoint(url, model, apiKeyEnv, timeout);
    }

    public ModelEndpoint withModel(String name) {
        return new ModelEndpoint(baseUrl, name, apiKeyEnv, timeout);
    }

    public ModelEndpoint withApiKeyEnv(@Nullable String variable) {
        return new ModelEndpoint(baseUrl, model, variable, timeout);
    }

    public ModelEndpoint withTimeout(Duration t) {
        return new ModelEndpoint(baseUrl, model, apiKeyEnv, t);
    }
}
