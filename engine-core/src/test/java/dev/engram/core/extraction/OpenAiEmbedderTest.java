package dev.engram.core.extraction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.ConfigurationException;
import dev.engram.core.EngramException;
import dev.engram.core.ModelResponseException;
import dev.engram.core.ModelUnavailableException;
import dev.engram.core.config.ModelEndpoint;
import dev.engram.core.extraction.ScriptedModelServer.Reply;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** The embeddings client against a local server that answers as an OpenAI-compatible API would, errors included. */
class OpenAiEmbedderTest {

    private static final String KEY = "sk-test-0123456789abcdef";
    private static final Map<String, String> ENV = Map.of("TEST_OPENAI_KEY", KEY);

    private ScriptedModelServer server;

    @BeforeEach
    void start() throws IOException {
        server = ScriptedModelServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private ModelEndpoint endpoint() {
        return new ModelEndpoint(server.baseUrl(), "text-embedding-test", "TEST_OPENAI_KEY", Duration.ofSeconds(10));
    }

    private OpenAiEmbedder embedder() {
        return new OpenAiEmbedder(endpoint(), ENV::get);
    }

    /** An answer with one vector per input, [index, length of text, 1], listed in reverse order. */
    private static Reply vectorsFor(ScriptedModelServer.Request request) {
        List<Map<String, Object>> data = new ArrayList<>();
        for (int i = request.body().get("input").size() - 1; i >= 0; i--) {
            String text = request.body().get("input").get(i).asText();
            data.add(Map.of("object", "embedding", "index", i, "embedding", List.of(i, text.length(), 1.0)));
        }
        return Reply.ok(Map.of("object", "list", "data", data, "model", "text-embedding-test"));
    }

    @Test
    void embedsTextsInOrderWithTheModelAndTheBearerKey() {
        server.on("/v1/embeddings", OpenAiEmbedderTest::vectorsFor);

        List<float[]> vectors = embedder().embed(List.of("one", "three")).block(Duration.ofSeconds(10));

        assertThat(vectors).as("one vector per text, put back in input order by index").hasSize(2);
        assertThat(vectors.get(0)).containsExactly(0f, 3f, 1f);
        assertThat(vectors.get(1)).containsExactly(1f, 5f, 1f);
        ScriptedModelServer.Request sent = server.requests("/v1/embeddings").get(0);
        assertThat(sent.authorization()).isEqualTo("Bearer " + KEY);
        assertThat(sent.body().get("model").asText()).isEqualTo("text-embedding-test");
        assertThat(sent.body().get("encoding_format").asText()).isEqualTo("float");
        assertThat(sent.body().get("input")).extracting(n -> n.asText()).containsExactly("one", "three");
    }

    @Test
    void manyTextsAreSentInSeveralCallsAndComeBackInOrder() {
        server.on("/v1/embeddings", OpenAiEmbedderTest::vectorsFor);
        List<String> texts = IntStream.range(0, OpenAiEmbedder.MAX_INPUTS_PER_CALL + 3).mapToObj(i -> "t".repeat(i % 7 + 1)).toList();

        List<float[]> vectors = embedder().embed(texts).block(Duration.ofSeconds(10));

        assertThat(server.requests("/v1/embeddings")).as("two calls").hasSize(2);
        assertThat(vectors).hasSize(texts.size());
        assertThat(vectors.get(OpenAiEmbedder.MAX_INPUTS_PER_CALL + 2)).as("the last text's vector: index 2 of the second call")
                .containsExactly(2f, (float) texts.get(texts.size() - 1).length(), 1f);
    }

    @Test
    void noKeyVariableSendsNoAuthorization() {
        server.on("/v1/embeddings", OpenAiEmbedderTest::vectorsFor);
        OpenAiEmbedder local = new OpenAiEmbedder(endpoint().withApiKeyEnv(null), name -> null);

        assertThat(local.embed(List.of("x")).block(Duration.ofSeconds(10))).hasSize(1);
        assertThat(server.requests().get(0).authorization()).isNull();
    }

    @Test
    void aMissingKeyVariableIsAConfigurationErrorNamingIt() {
        assertThatThrownBy(() -> new OpenAiEmbedder(endpoint().withApiKeyEnv("NO_SUCH_KEY_VAR"), name -> null))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("NO_SUCH_KEY_VAR");
    }

    @Test
    void nothingIsSentBeforeSubscriptionNorForNoTexts() {
        server.on("/v1/embeddings", OpenAiEmbedderTest::vectorsFor);
        OpenAiEmbedder e = embedder();
        Mono<List<float[]>> unused = e.embed(List.of("a"));

        assertThat(e.embed(List.of()).block(Duration.ofSeconds(10))).isEmpty();
        assertThat(unused).isNotNull();
        assertThat(server.requests()).isEmpty();
    }

    @Test
    void rateLimitIsTransientAndCarriesRetryAfter() {
        server.enqueue("/v1/embeddings", Reply.json(429, "{\"error\":{\"message\":\"Rate limit reached for requests\",\"type\":\"requests\"}}")
                .withHeader("Retry-After", "7"));

        embedder().embed(List.of("a")).as(StepVerifier::create)
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(ModelUnavailableException.class);
                    assertThat(((EngramException) e).isTransient()).isTrue();
                    assertThat(((ModelUnavailableException) e).retryAfter()).isEqualTo(Duration.ofSeconds(7));
                    assertThat(e.getMessage()).contains(server.baseUrl() + "/embeddings", "429", "Rate limit reached");
                })
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void aServerErrorIsTransientAndSucceedsWhenTriedAgain() {
        server.enqueue("/v1/embeddings", Reply.json(500, "{\"error\":{\"message\":\"The server had an error\"}}"));
        server.on("/v1/embeddings", OpenAiEmbedderTest::vectorsFor);
        OpenAiEmbedder e = embedder();

        e.embed(List.of("a")).as(StepVerifier::create)
                .expectErrorSatisfies(x -> {
                    assertThat(x).isInstanceOf(ModelUnavailableException.class).hasMessageContaining("500");
                    assertThat(((ModelUnavailableException) x).retryAfter()).isNull();
                })
                .verify(Duration.ofSeconds(10));
        assertThat(e.embed(List.of("a")).block(Duration.ofSeconds(10))).as("the same call again").hasSize(1);
    }

    @Test
    void aTimeoutIsTransient() {
        ScriptedModelServer.Hold hold = server.holdNext();
        server.on("/v1/embeddings", OpenAiEmbedderTest::vectorsFor);
        OpenAiEmbedder slow = new OpenAiEmbedder(endpoint().withTimeout(Duration.ofMillis(300)), ENV::get);

        slow.embed(List.of("a")).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(ModelUnavailableException.class)
                        .hasMessageContaining("did not answer within 300 ms").hasMessageContaining("/embeddings"))
                .verify(Duration.ofSeconds(10));
        hold.release();
    }

    @Test
    void anUnreachableApiIsTransient() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        OpenAiEmbedder nowhere = new OpenAiEmbedder(endpoint().withBaseUrl("http://127.0.0.1:" + closedPort + "/v1"), ENV::get);

        nowhere.embed(List.of("a")).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(ModelUnavailableException.class)
                        .hasMessageContaining("127.0.0.1:" + closedPort))
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void aRefusedRequestIsNotTransientAndNeverShowsTheKey() {
        server.enqueue("/v1/embeddings", Reply.json(401, "{\"error\":{\"message\":\"Incorrect API key provided: " + KEY + ".\",\"type\":\"invalid_request_error\"}}"));

        embedder().embed(List.of("a")).as(StepVerifier::create)
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(ModelResponseException.class).hasMessageContaining("401")
                            .hasMessageContaining("Incorrect API key provided").hasMessageContaining(server.baseUrl());
                    assertThat(((EngramException) e).isTransient()).isFalse();
                    assertThat(e.getMessage()).doesNotContain(KEY);
                })
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void malformedJsonIsNotTransient() {
        server.enqueue("/v1/embeddings", Reply.json(200, "{\"data\": [ {\"embedding\": [0.1, "));

        embedder().embed(List.of("a")).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(ModelResponseException.class)
                        .hasMessageContaining("not JSON").hasMessageContaining("/embeddings"))
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void answersOfTheWrongShapeAreNotTransient() {
        server.enqueue("/v1/embeddings",
                Reply.ok(Map.of("data", List.of(Map.of("index", 0, "embedding", List.of(1, 2))))),
                Reply.ok(Map.of("data", List.of(Map.of("index", 0, "embedding", List.of(1, 2)), Map.of("index", 1, "embedding", List.of(1))))),
                Reply.ok(Map.of("data", List.of(Map.of("index", 0, "embedding", "AAAAAA==")))),
                Reply.ok(Map.of("result", "nothing")));
        OpenAiEmbedder e = embedder();

        assertThatThrownBy(() -> e.embed(List.of("a", "b")).block(Duration.ofSeconds(10)))
                .isInstanceOf(ModelResponseException.class).hasMessageContaining("1 embeddings for 2 inputs");
        assertThatThrownBy(() -> e.embed(List.of("a", "b")).block(Duration.ofSeconds(10)))
                .isInstanceOf(ModelResponseException.class).hasMessageContaining("dimensions 2 and 1");
        assertThatThrownBy(() -> e.embed(List.of("a")).block(Duration.ofSeconds(10)))
                .isInstanceOf(ModelResponseException.class).hasMessageContaining("data[0].embedding");
        assertThatThrownBy(() -> e.embed(List.of("a")).block(Duration.ofSeconds(10)))
                .isInstanceOf(ModelResponseException.class).hasMessageContaining("no 'data' array");
    }
}
