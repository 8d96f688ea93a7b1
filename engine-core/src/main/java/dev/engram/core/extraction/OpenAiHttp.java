package dev.engram.core.extraction;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.engram.core.ConfigurationException;
import dev.engram.core.ModelResponseException;
import dev.engram.core.ModelUnavailableException;
import dev.engram.core.config.ModelEndpoint;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * One OpenAI-compatible endpoint: posts a JSON body with the JDK's asynchronous HTTP client and translates what can
 * go wrong into Engram's exceptions — transient ({@link ModelUnavailableException}) for 429, 408, 5xx, timeouts and
 * connection failures; non-transient ({@link ModelResponseException}) for other 4xx and bodies that are not JSON.
 * Messages name the endpoint and never the key.
 */
final class OpenAiHttp {

    static final ObjectMapper JSON = new ObjectMapper();
    /** How much of an error body goes into a message. */
    private static final int MAX_QUOTED = 300;

    private final ModelEndpoint endpoint;
    private final @Nullable String apiKey;
    private final HttpClient client;

    /** Reads the key now, so a missing variable is found at start-up rather than on the first call. */
    OpenAiHttp(ModelEndpoint endpoint, Function<String, @Nullable String> environment) {
        this.endpoint = endpoint;
        String variable = endpoint.apiKeyEnv();
        if (variable == null) {
            this.apiKey = null;
        } else {
            String value = environment.apply(variable);
            if (value == null || value.isBlank()) {
                throw new ConfigurationException("the environment variable " + variable + " (apiKeyEnv of " + endpoint.baseUrl()
                        + ") is not set; set it to the API key, or set apiKeyEnv to ~ for an API that needs none");
            }
            this.apiKey = value.strip();
        }
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(endpoint.timeout());
        if (endpoint.baseUrl().startsWith("http:")) {
            // plain HTTP would offer an h2c upgrade, which some local model servers mishandle on a POST with a body
            builder.version(HttpClient.Version.HTTP_1_1);
        }
        this.client = builder.build();
    }

    ModelEndpoint endpoint() {
        return endpoint;
    }

    /** {@code POST baseUrl + path}; emits the answer's JSON, or errors as described on the class. Nothing happens before subscription. */
    Mono<JsonNode> post(String path, ObjectNode body) {
        String url = endpoint.baseUrl() + path;
        return Mono.defer(() -> {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                    .timeout(endpoint.timeout())
                    .header("Content-Type", "application/json")
                    .header("Accept", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(bytes(body)));
            if (apiKey != null) {
                request.header("Authorization", "Bearer " + apiKey);
            }
            return send(request.build());
        })
                // sendAsync may resolve the host name on the calling thread: keep that off event loops and parallel threads
                .subscribeOn(Schedulers.boundedElastic())
                // the request timeout covers the headers; this one also covers a body that never ends
                .timeout(endpoint.timeout().plusMillis(endpoint.timeout().toMillis() / 10 + 100))
                .onErrorMap(e -> translate(url, e))
                .map(response -> answer(url, response));
    }

    /**
     * The call as a Mono; cancelling it aborts the request. Once cancelled (an engine shutting down, a timeout), what
     * the aborted request completes with is nobody's business: it is not handed to Reactor, which would log it as a
     * dropped error.
     */
    private Mono<HttpResponse<String>> send(HttpRequest request) {
        return Mono.create(sink -> {
            AtomicBoolean cancelled = new AtomicBoolean();
            CompletableFuture<HttpResponse<String>> call = client.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            sink.onCancel(() -> {
                cancelled.set(true);
                call.cancel(true);
            });
            call.whenComplete((response, error) -> {
                if (cancelled.get()) {
                    return;
                }
                if (error != null) {
                    sink.error(error); // translate() unwraps it
                } else {
                    sink.success(response);
                }
            });
        });
    }

    private static byte[] bytes(ObjectNode body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a request body could not be written", e);
        }
    }

    private JsonNode answer(String url, HttpResponse<String> response) {
        int status = response.statusCode();
        String text = response.body() == null ? "" : response.body();
        if (status == 429 || status == 408 || status >= 500) {
            Duration wait = retryAfter(response);
            throw new ModelUnavailableException("POST " + url + " answered " + status + describe(text)
                    + (wait == null ? "" : "; retry after " + wait.toMillis() + " ms"), wait);
        }
        if (status < 200 || status >= 300) {
            throw new ModelResponseException("POST " + url + " answered " + status + describe(text));
        }
        try {
            JsonNode json = JSON.readTree(text);
            if (json == null || !json.isObject()) {
                throw new ModelResponseException("POST " + url + " answered " + status + " with a body that is not a JSON object: " + quote(text));
            }
            return json;
        } catch (JsonProcessingException e) {
            throw new ModelResponseException("POST " + url + " answered " + status + " with a body that is not JSON: " + quote(text));
        }
    }

    /** The API's own error message when the body has one ({@code {"error": {"message": ...}}}), else the body, shortened. */
    private String describe(String text) {
        if (text.isBlank()) {
            return "";
        }
        try {
            JsonNode json = JSON.readTree(text);
            JsonNode message = json == null ? null : json.path("error").path("message");
            if (message != null && message.isTextual()) {
                return ": " + quote(message.asText());
            }
        } catch (JsonProcessingException e) {
            // not JSON: quote it as it is
        }
        return ": " + quote(text);
    }

    /** A piece of what the server said, cut short, with the key masked should the server have echoed it. */
    String quote(String text) {
        String t = apiKey == null ? text : text.replace(apiKey, "****");
        t = t.strip();
        return t.length() > MAX_QUOTED ? t.substring(0, MAX_QUOTED) + "…" : t;
    }

    /** {@code Retry-After} in seconds or as an HTTP date, or the {@code retry-after-ms} some APIs send; null when absent or unreadable. */
    private static @Nullable Duration retryAfter(HttpResponse<?> response) {
        Optional<String> millis = response.headers().firstValue("retry-after-ms");
        if (millis.isPresent()) {
            try {
                return positive(Duration.ofMillis((long) Double.parseDouble(millis.get().strip())));
            } catch (NumberFormatException e) {
                // fall through to Retry-After
            }
        }
        Optional<String> header = response.headers().firstValue("retry-after");
        if (header.isEmpty()) {
            return null;
        }
        String value = header.get().strip();
        try {
            return positive(Duration.ofMillis((long) (Double.parseDouble(value) * 1000)));
        } catch (NumberFormatException e) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
                return positive(Duration.between(ZonedDateTime.now(at.getZone()), at));
            } catch (DateTimeParseException e2) {
                return null;
            }
        }
    }

    private static @Nullable Duration positive(Duration d) {
        return d.isNegative() ? Duration.ZERO : d;
    }

    private Throwable translate(String url, Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof ModelUnavailableException || cause instanceof ModelResponseException) {
            return cause;
        }
        if (cause instanceof HttpTimeoutException || cause instanceof TimeoutException) {
            return new ModelUnavailableException("POST " + url + " did not answer within " + endpoint.timeout().toMillis() + " ms", cause);
        }
        if (cause instanceof IOException) {
            return new ModelUnavailableException("POST " + url + " failed: " + (cause.getMessage() == null
                    ? cause.getClass().getSimpleName() : quote(cause.getMessage())), cause);
        }
        return e;
    }
}
