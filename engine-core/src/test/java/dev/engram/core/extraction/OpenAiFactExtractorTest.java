package dev.engram.core.extraction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.engram.core.EngramException;
import dev.engram.core.ModelResponseException;
import dev.engram.core.ModelUnavailableException;
import dev.engram.core.config.ModelEndpoint;
import dev.engram.core.extraction.ScriptedModelServer.Reply;
import dev.engram.core.memory.ExtractionRequest;
import dev.engram.core.memory.FactDecision;
import dev.engram.core.memory.MemoryItem;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.Namespace;
import dev.engram.core.model.ThreadKey;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** The chat-completions fact extractor against a local server that answers as an OpenAI-compatible API would. */
class OpenAiFactExtractorTest {

    private static final Namespace FACTS = Namespace.of("user-42", "facts");
    private static final ThreadKey THREAD = ThreadKey.of("chat-7");

    private ScriptedModelServer server;

    @BeforeEach
    void start() throws IOException {
        server = ScriptedModelServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private OpenAiFactExtractor extractor() {
        return new OpenAiFactExtractor(new ModelEndpoint(server.baseUrl(), "chat-test", null, Duration.ofSeconds(10)), n -> null);
    }

    private static ExtractionRequest request() {
        Instant t = Instant.parse("2025-01-01T00:00:00Z");
        MemoryItem known = new MemoryItem(MemoryKey.of(FACTS, "home_city"), Map.of("text", "The user lives in Paris."),
                MemoryItem.FACT, null, t, t, null);
        return new ExtractionRequest(THREAD, "user-42", FACTS, List.of(
                new ExtractionRequest.Turn(3, "user", "I moved to Lisbon last month, and I'm vegetarian now."),
                new ExtractionRequest.Turn(4, "assistant", "Congratulations on the move!")), List.of(known));
    }

    /** A chat completion whose message content is {@code content}. */
    private static Reply completion(String content, String finishReason) {
        return Reply.ok(Map.of("id", "chatcmpl-1", "object", "chat.completion", "model", "chat-test",
                "choices", List.of(Map.of("index", 0, "finish_reason", finishReason,
                        "message", Map.of("role", "assistant", "content", content)))));
    }

    private static Reply completion(String content) {
        return completion(content, "stop");
    }

    @Test
    void sendsThePromptTheKnownFactsAndTheTurnsAndReadsTheDecisions() throws IOException {
        server.enqueue("/v1/chat/completions", completion("""
                {"facts": [
                  {"action": "update", "key": "home_city", "value": {"text": "The user lives in Lisbon."}},
                  {"action": "add", "key": "diet", "value": {"text": "The user is vegetarian."}},
                  {"action": "delete", "key": "old_job"}
                ]}"""));

        List<FactDecision> decisions = extractor().extract(request()).block(Duration.ofSeconds(10));

        assertThat(decisions).containsExactly(
                new FactDecision.Update("home_city", Map.of("text", "The user lives in Lisbon.")),
                new FactDecision.Add("diet", Map.of("text", "The user is vegetarian.")),
                new FactDecision.Delete("old_job"));
        JsonNode body = server.requests("/v1/chat/completions").get(0).body();
        assertThat(body.get("model").asText()).isEqualTo("chat-test");
        assertThat(body.at("/response_format/type").asText()).isEqualTo("json_object");
        assertThat(body.at("/messages/0/role").asText()).isEqualTo("system");
        assertThat(body.at("/messages/0/content").asText()).isEqualTo(OpenAiFactExtractor.PROMPT);
        JsonNode input = ScriptedModelServer.JSON.readTree(body.at("/messages/1/content").asText());
        assertThat(input.at("/known_facts/0/key").asText()).isEqualTo("home_city");
        assertThat(input.at("/known_facts/0/value/text").asText()).isEqualTo("The user lives in Paris.");
        assertThat(input.get("turns")).extracting(t -> t.get("version").asLong()).containsExactly(3L, 4L);
        assertThat(input.at("/turns/0/role").asText()).isEqualTo("user");
        assertThat(input.at("/turns/1/content").asText()).isEqualTo("Congratulations on the move!");
    }

    @Test
    void decisionsThatBreakARuleAreSkippedAndTheRestKept() {
        server.enqueue("/v1/chat/completions", completion("""
                {"facts": [
                  {"action": "merge", "key": "diet", "value": {"text": "x"}},
                  {"action": "add", "key": "home city!", "value": {"text": "x"}},
                  {"action": "add", "key": "pet", "value": "a cat"},
                  {"action": "update", "key": "employer"},
                  "just text",
                  {"action": "ADD", "key": "Favorite_Color", "value": {"text": "The user likes green."}}
                ]}"""));

        assertThat(extractor().extract(request()).block(Duration.ofSeconds(10)))
                .as("only the valid decision, its action and key lower-cased")
                .containsExactly(new FactDecision.Add("favorite_color", Map.of("text", "The user likes green.")));
    }

    @Test
    void aFencedJsonAnswerIsAccepted() {
        server.enqueue("/v1/chat/completions", completion("```json\n{\"facts\": [{\"action\": \"delete\", \"key\": \"diet\"}]}\n```"));

        assertThat(extractor().extract(request()).block(Duration.ofSeconds(10))).containsExactly(new FactDecision.Delete("diet"));
    }

    @Test
    void contentThatIsNotTheAgreedJsonFailsTheCall() {
        server.enqueue("/v1/chat/completions",
                completion("Sure! The user moved to Lisbon."),
                completion("{\"decisions\": []}"),
                Reply.ok(Map.of("choices", List.of())),
                completion("{\"facts\": [", "length"));
        OpenAiFactExtractor x = extractor();

        assertThatThrownBy(() -> x.extract(request()).block(Duration.ofSeconds(10)))
                .isInstanceOf(ModelResponseException.class).hasMessageContaining("content is not JSON")
                .hasMessageContaining(server.baseUrl() + "/chat/completions");
        assertThatThrownBy(() -> x.extract(request()).block(Duration.ofSeconds(10)))
                .isInstanceOf(ModelResponseException.class).hasMessageContaining("'facts' array");
        assertThatThrownBy(() -> x.extract(request()).block(Duration.ofSeconds(10)))
                .isInstanceOf(ModelResponseException.class).hasMessageContaining("choices[0].message.content");
        assertThatThrownBy(() -> x.extract(request()).block(Duration.ofSeconds(10)))
                .isInstanceOf(ModelResponseException.class).hasMessageContaining("finish_reason length");
    }

    @Test
    void aMalformedHttpBodyFailsTheCallAsNotTransient() {
        server.enqueue("/v1/chat/completions", Reply.json(200, "{\"choices\": [{\"message\": "));

        extractor().extract(request()).as(StepVerifier::create)
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(ModelResponseException.class).hasMessageContaining("not JSON");
                    assertThat(((EngramException) e).isTransient()).isFalse();
                })
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void rateLimitsAndServerErrorsAreTransient() {
        server.enqueue("/v1/chat/completions",
                Reply.json(429, "{\"error\":{\"message\":\"Rate limit reached\"}}").withHeader("retry-after-ms", "1500"),
                Reply.json(503, "overloaded").withHeader("Retry-After", "2"),
                Reply.json(400, "{\"error\":{\"message\":\"Unknown model chat-test\"}}"));
        OpenAiFactExtractor x = extractor();

        x.extract(request()).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(((ModelUnavailableException) e).retryAfter()).isEqualTo(Duration.ofMillis(1500)))
                .verify(Duration.ofSeconds(10));
        x.extract(request()).as(StepVerifier::create)
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(ModelUnavailableException.class).hasMessageContaining("503").hasMessageContaining("overloaded");
                    assertThat(((ModelUnavailableException) e).retryAfter()).isEqualTo(Duration.ofSeconds(2));
                })
                .verify(Duration.ofSeconds(10));
        x.extract(request()).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(ModelResponseException.class).hasMessageContaining("Unknown model"))
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void aTimeoutIsTransient() {
        ScriptedModelServer.Hold hold = server.holdNext();
        OpenAiFactExtractor slow = new OpenAiFactExtractor(new ModelEndpoint(server.baseUrl(), "chat-test", null, Duration.ofMillis(300)), n -> null);

        slow.extract(request()).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(ModelUnavailableException.class).hasMessageContaining("did not answer"))
                .verify(Duration.ofSeconds(10));
        hold.release();
    }

    @Test
    void noTurnsNoCall() {
        ExtractionRequest empty = new ExtractionRequest(THREAD, "user-42", FACTS, List.of(), List.of());

        assertThat(extractor().extract(empty).block(Duration.ofSeconds(10))).isEmpty();
        assertThat(server.requests()).isEmpty();
    }
}
