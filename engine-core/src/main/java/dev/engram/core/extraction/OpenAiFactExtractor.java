package dev.engram.core.extraction;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.engram.core.InvalidInputException;
import dev.engram.core.ModelResponseException;
import dev.engram.core.config.ModelEndpoint;
import dev.engram.core.internal.Ids;
import dev.engram.core.memory.ExtractionRequest;
import dev.engram.core.memory.FactDecision;
import dev.engram.core.memory.FactExtractor;
import dev.engram.core.memory.MemoryItem;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * A {@link FactExtractor} over an OpenAI-compatible {@code POST {baseUrl}/chat/completions}, asking for a JSON object
 * answer ({@code response_format: json_object}, temperature 0). The system message ({@link #PROMPT}) explains the
 * task; the user message is a JSON object with the known facts ({@code key}, {@code value}) and the new turns
 * ({@code version}, {@code role}, {@code content}). The model answers
 * {@code {"facts": [{"action": "add|update|delete", "key": "snake_case_key", "value": {"text": "..."}}]}}.
 *
 * <p>The answer is checked strictly: a decision with an unknown action, a key that breaks the id rule (keys are
 * lower-cased first) or a missing value is skipped with a warning; content that is not such a JSON object fails
 * the call with a {@link ModelResponseException}. HTTP failures are translated as in {@link OpenAiEmbedder}.
 */
public final class OpenAiFactExtractor implements FactExtractor {

    private static final Logger log = LoggerFactory.getLogger(OpenAiFactExtractor.class);
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() { };

    /** The system message. Facts about one subject share one key, which is what keeps the store free of duplicates. */
    public static final String PROMPT = """
            You maintain a memory of durable facts about one user, drawn from their conversations with an assistant.
            The user message is a JSON object with two fields:
            - "known_facts": the facts already stored about this user, each {"key": ..., "value": {"text": ...}};
            - "turns": new turns of a conversation, oldest first, each {"version": ..., "role": ..., "content": ...}.

            Read the turns and decide which facts to add, update or delete. A fact is something about the user that
            stays true beyond this conversation and would help in a later one: who they are, where they live or work,
            their preferences, relationships, plans, constraints, possessions. Ignore small talk, questions to the
            assistant, what the assistant said unless the user confirmed it, and anything only true for this chat.

            Answer with one JSON object and nothing else:
            {"facts": [{"action": "add" | "update" | "delete", "key": "snake_case_key", "value": {"text": "..."}}]}

            Rules:
            - "key" names the subject of the fact in snake_case: lower-case letters, digits and underscores, at most
              64 characters, e.g. "home_city", "favorite_cuisine", "employer", "partner_name". One subject, one key.
            - When a known fact has the same subject, use its key: "update" it when the turns change or refine it
              (for example the user has moved, changed jobs or changed their mind), never "add" a second fact.
            - "delete" a known fact (by its key, without "value") when the user says it no longer holds and nothing
              replaces it.
            - "value" is an object with a "text" field: one short sentence in the third person, e.g.
              {"text": "The user lives in Lisbon."}. It must stand on its own, without the conversation.
            - Do not repeat a known fact that the turns leave unchanged.
            - When there is nothing to record, answer {"facts": []}.
            """;

    private final OpenAiHttp http;

    /** Reads the key from the environment variable {@code endpoint.apiKeyEnv()} now; a missing one is a {@link dev.engram.core.ConfigurationException}. */
    public OpenAiFactExtractor(ModelEndpoint endpoint) {
        this(endpoint, System::getenv);
    }

    /** Like {@link #OpenAiFactExtractor(ModelEndpoint)}, reading the key's variable from {@code environment}. */
    public OpenAiFactExtractor(ModelEndpoint endpoint, Function<String, @Nullable String> environment) {
        this.http = new OpenAiHttp(Objects.requireNonNull(endpoint, "endpoint"), Objects.requireNonNull(environment, "environment"));
    }

    @Override
    public String name() {
        return "openai";
    }

    @Override
    public String model() {
        return http.endpoint().model();
    }

    @Override
    public Mono<List<FactDecision>> extract(ExtractionRequest request) {
        return Mono.defer(() -> {
            Objects.requireNonNull(request, "request");
            if (request.turns().isEmpty()) {
                return Mono.just(List.<FactDecision>of());
            }
            return http.post("/chat/completions", body(request)).map(this::decisions);
        });
    }

    private ObjectNode body(ExtractionRequest request) {
        ObjectNode input = OpenAiHttp.JSON.createObjectNode();
        ArrayNode known = input.putArray("known_facts");
        for (MemoryItem fact : request.knownFacts()) {
            ObjectNode f = known.addObject();
            f.put("key", fact.key().key());
            f.set("value", OpenAiHttp.JSON.valueToTree(fact.value()));
        }
        ArrayNode turns = input.putArray("turns");
        for (ExtractionRequest.Turn turn : request.turns()) {
            turns.addObject().put("version", turn.version()).put("role", turn.role()).put("content", turn.content());
        }
        ObjectNode body = OpenAiHttp.JSON.createObjectNode();
        body.put("model", http.endpoint().model());
        body.put("temperature", 0);
        body.putObject("response_format").put("type", "json_object");
        ArrayNode messages = body.putArray("messages");
        messages.addObject().put("role", "system").put("content", PROMPT);
        try {
            messages.addObject().put("role", "user").put("content", OpenAiHttp.JSON.writeValueAsString(input));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an extraction request could not be written", e);
        }
        return body;
    }

    private List<FactDecision> decisions(JsonNode json) {
        JsonNode choice = json.path("choices").path(0);
        JsonNode message = choice.path("message");
        JsonNode refusal = message.get("refusal");
        if (refusal != null && refusal.isTextual() && !refusal.asText().isBlank()) {
            throw wrong("is a refusal: " + http.quote(refusal.asText()));
        }
        if ("length".equals(choice.path("finish_reason").asText())) {
            throw wrong("was cut off at the model's token limit (finish_reason length)");
        }
        JsonNode content = message.get("content");
        if (content == null || !content.isTextual()) {
            throw wrong("has no choices[0].message.content text");
        }
        JsonNode answer;
        try {
            answer = OpenAiHttp.JSON.readTree(withoutFence(content.asText()));
        } catch (JsonProcessingException e) {
            throw wrong("content is not JSON: " + http.quote(content.asText()));
        }
        JsonNode facts = answer == null ? null : answer.get("facts");
        if (facts == null || !facts.isArray()) {
            throw wrong("content is not an object with a 'facts' array: " + http.quote(content.asText()));
        }
        List<FactDecision> out = new ArrayList<>(facts.size());
        for (int i = 0; i < facts.size(); i++) {
            FactDecision d = decision(facts.get(i), i);
            if (d != null) {
                out.add(d);
            }
        }
        return List.copyOf(out);
    }

    /** One decision, or null (with a warning) when it breaks a rule: the rest of the answer is still good. */
    private @Nullable FactDecision decision(JsonNode fact, int index) {
        String where = "facts[" + index + "] from " + http.endpoint().baseUrl() + "/chat/completions";
        if (!fact.isObject()) {
            log.warn("skipping {}: not an object", where);
            return null;
        }
        String action = fact.path("action").asText("").strip().toLowerCase(Locale.ROOT);
        String key = fact.path("key").asText("").strip().toLowerCase(Locale.ROOT);
        if (!Ids.isValid(key)) {
            log.warn("skipping {}: key {} is not {}", where, shown(fact.path("key")), Ids.RULE);
            return null;
        }
        JsonNode value = fact.get("value");
        try {
            switch (action) {
                case "delete":
                    return new FactDecision.Delete(key);
                case "add":
                case "update":
                    if (value == null || !value.isObject() || value.isEmpty()) {
                        log.warn("skipping {}: {} of '{}' needs a non-empty object value", where, action, key);
                        return null;
                    }
                    Map<String, Object> v = OpenAiHttp.JSON.convertValue(value, MAP);
                    return action.equals("add") ? new FactDecision.Add(key, v) : new FactDecision.Update(key, v);
                default:
                    log.warn("skipping {}: action {} is not add, update or delete", where, shown(fact.path("action")));
                    return null;
            }
        } catch (InvalidInputException e) {
            log.warn("skipping {}: {}", where, e.getMessage());
            return null;
        }
    }

    private static String shown(JsonNode node) {
        return Ids.quote(node.isTextual() ? node.asText() : node.toString());
    }

    /** Some models wrap JSON in a Markdown code fence even when asked for a JSON object. */
    private static String withoutFence(String content) {
        String s = content.strip();
        if (s.startsWith("```")) {
            int firstLine = s.indexOf('\n');
            int close = s.lastIndexOf("```");
            if (firstLine > 0 && close > firstLine) {
                return s.substring(firstLine + 1, close);
            }
        }
        return s;
    }

    private ModelResponseException wrong(String what) {
        return new ModelResponseException("POST " + http.endpoint().baseUrl() + "/chat/completions answered, but the answer " + what);
    }

    @Override
    public String toString() {
        return "OpenAiFactExtractor[" + http.endpoint().baseUrl() + ", " + model() + "]";
    }
}
