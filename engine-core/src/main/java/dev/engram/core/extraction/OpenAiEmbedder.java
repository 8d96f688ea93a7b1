package dev.engram.core.extraction;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.engram.core.InvalidInputException;
import dev.engram.core.ModelResponseException;
import dev.engram.core.config.ModelEndpoint;
import dev.engram.core.memory.Embedder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * An {@link Embedder} over an OpenAI-compatible {@code POST {baseUrl}/embeddings}. Texts are sent
 * {@value #MAX_INPUTS_PER_CALL} at a time; the answer must hold one vector of numbers per text, all of one dimension.
 * Errors: {@link dev.engram.core.ModelUnavailableException} (transient: 429, 5xx, timeouts, connection failures) or
 * {@link ModelResponseException} (a refused request or an answer of the wrong shape).
 */
public final class OpenAiEmbedder implements Embedder {

    static final int MAX_INPUTS_PER_CALL = 256;

    private final OpenAiHttp http;

    /** Reads the key from the environment variable {@code endpoint.apiKeyEnv()} now; a missing one is a {@link dev.engram.core.ConfigurationException}. */
    public OpenAiEmbedder(ModelEndpoint endpoint) {
        this(endpoint, System::getenv);
    }

    /** Like {@link #OpenAiEmbedder(ModelEndpoint)}, reading the key's variable from {@code environment}. */
    public OpenAiEmbedder(ModelEndpoint endpoint, Function<String, @Nullable String> environment) {
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
    public Mono<List<float[]>> embed(List<String> texts) {
        return Mono.defer(() -> {
            Objects.requireNonNull(texts, "texts");
            for (int i = 0; i < texts.size(); i++) {
                if (texts.get(i) == null) {
                    throw new InvalidInputException("texts[" + i + "] is null");
                }
            }
            if (texts.isEmpty()) {
                return Mono.just(List.<float[]>of());
            }
            List<List<String>> chunks = new ArrayList<>();
            for (int i = 0; i < texts.size(); i += MAX_INPUTS_PER_CALL) {
                chunks.add(texts.subList(i, Math.min(texts.size(), i + MAX_INPUTS_PER_CALL)));
            }
            return Flux.fromIterable(chunks)
                    .concatMap(this::call)
                    .<List<float[]>>collect(ArrayList::new, List::addAll)
                    .map(vectors -> {
                        sameDimension(vectors);
                        return List.copyOf(vectors);
                    });
        });
    }

    private Mono<List<float[]>> call(List<String> texts) {
        ObjectNode body = OpenAiHttp.JSON.createObjectNode();
        body.put("model", http.endpoint().model());
        body.put("encoding_format", "float");
        ArrayNode input = body.putArray("input");
        texts.forEach(input::add);
        return http.post("/embeddings", body).map(json -> vectors(json, texts.size()));
    }

    /** The vectors of one answer, put in input order by their {@code index} (or their position when it is absent). */
    private List<float[]> vectors(JsonNode json, int expected) {
        JsonNode data = json.get("data");
        if (data == null || !data.isArray()) {
            throw wrong("has no 'data' array");
        }
        if (data.size() != expected) {
            throw wrong("has " + data.size() + " embeddings for " + expected + " inputs");
        }
        float[][] out = new float[expected][];
        for (int i = 0; i < data.size(); i++) {
            JsonNode item = data.get(i);
            JsonNode index = item.get("index");
            int at = index == null ? i : index.isIntegralNumber() ? index.asInt() : -1;
            if (at < 0 || at >= expected || out[at] != null) {
                throw wrong("data[" + i + "] has a missing, duplicate or out-of-range index " + index);
            }
            JsonNode embedding = item.get("embedding");
            if (embedding == null || !embedding.isArray() || embedding.isEmpty()) {
                throw wrong("data[" + i + "].embedding is not a non-empty array of numbers (ask for encoding_format float)");
            }
            float[] v = new float[embedding.size()];
            for (int j = 0; j < v.length; j++) {
                JsonNode x = embedding.get(j);
                if (!x.isNumber() || !Double.isFinite(x.asDouble())) {
                    throw wrong("data[" + i + "].embedding[" + j + "] is not a finite number");
                }
                v[j] = (float) x.asDouble();
            }
            out[at] = v;
        }
        return List.of(out);
    }

    private void sameDimension(List<float[]> vectors) {
        int d = vectors.get(0).length;
        for (int i = 1; i < vectors.size(); i++) {
            if (vectors.get(i).length != d) {
                throw wrong("mixes vectors of dimensions " + d + " and " + vectors.get(i).length);
            }
        }
    }

    private ModelResponseException wrong(String what) {
        return new ModelResponseException("POST " + http.endpoint().baseUrl() + "/embeddings answered, but the answer " + what);
    }

    @Override
    public String toString() {
        return "OpenAiEmbedder[" + http.endpoint().baseUrl() + ", " + model() + "]";
    }
}
