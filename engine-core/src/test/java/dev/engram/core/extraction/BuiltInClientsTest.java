package dev.engram.core.extraction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.ConfigurationException;
import dev.engram.core.Engram;
import dev.engram.core.config.EmbeddingSettings;
import dev.engram.core.config.EngramConfig;
import dev.engram.core.config.ExtractionSettings;
import dev.engram.core.config.MemorySettings;
import dev.engram.core.config.ModelEndpoint;
import dev.engram.core.extraction.ScriptedModelServer.Reply;
import dev.engram.core.memory.MemoryHit;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.MemorySearch;
import dev.engram.core.memory.MemoryWrite;
import dev.engram.core.memory.Namespace;
import dev.engram.core.model.ThreadKey;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The engine builds the OpenAI-compatible clients from its configuration when no embedder or extractor is given. */
class BuiltInClientsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int DIMENSIONS = 256;

    private ScriptedModelServer server;

    @BeforeEach
    void start() throws IOException {
        server = ScriptedModelServer.start();
        server.on("/v1/embeddings", BuiltInClientsTest::bagOfWords);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** A stand-in model: each word adds 1 to one of {@value #DIMENSIONS} dimensions, so shared words mean similar vectors. */
    private static Reply bagOfWords(ScriptedModelServer.Request request) {
        List<Map<String, Object>> data = new ArrayList<>();
        for (int i = 0; i < request.body().get("input").size(); i++) {
            double[] v = new double[DIMENSIONS];
            for (String word : request.body().get("input").get(i).asText().toLowerCase(Locale.ROOT).split("\\W+")) {
                if (!word.isEmpty()) {
                    v[Math.floorMod(word.hashCode(), DIMENSIONS)] += 1;
                }
            }
            data.add(Map.of("index", i, "embedding", v));
        }
        return Reply.ok(Map.of("object", "list", "data", data));
    }

    private ModelEndpoint endpoint(String model) {
        return new ModelEndpoint(server.baseUrl(), model, null, Duration.ofSeconds(5));
    }

    @Test
    void enabledEmbeddingUsesTheOpenAiCompatibleEmbedder() {
        MemorySettings memory = MemorySettings.defaults().withEmbedding(EmbeddingSettings.defaults().enabled(endpoint("embed-model")));
        try (Engram engram = Engram.open(EngramConfig.defaults().withProvider("memory").withMemory(memory))) {
            Namespace ns = Namespace.of("user-42", "notes");
            engram.memories().put(MemoryWrite.of(MemoryKey.of(ns, "city"), Map.of("text", "lives in a small flat in Lisbon"))).block(WAIT);
            engram.memories().put(MemoryWrite.of(MemoryKey.of(ns, "pet"), Map.of("text", "has a grey cat called Miso"))).block(WAIT);

            List<MemoryHit> hits = engram.memories().search(MemorySearch.under(ns).query("which grey cat")).block(WAIT);

            assertThat(hits.get(0).item().key().key()).isEqualTo("pet");
            assertThat(server.requests("/v1/embeddings")).as("two items and one query embedded").hasSize(3)
                    .allSatisfy(r -> assertThat(r.body().get("model").asText()).isEqualTo("embed-model"));
        }
    }

    @Test
    void enabledExtractionUsesTheOpenAiCompatibleExtractor() {
        server.on(FactScript.PATH, FactScript::answer);
        MemorySettings memory = MemorySettings.defaults().withExtraction(ExtractionSettings.defaults().enabled(endpoint("fact-model")));
        try (Engram engram = Engram.open(EngramConfig.defaults().withProvider("memory").withMemory(memory))) {
            assertThat(engram.extraction().enabled()).isTrue();
            FactExtractionTest.say(engram, "chat-1", "user-42", dev.engram.core.model.Message.user("remember pet: The user has a cat."));
            FactExtractionTest.idle(engram);

            assertThat(FactExtractionTest.facts(engram, Namespace.of("user-42", "facts"))).singleElement()
                    .satisfies(f -> assertThat(f.provenance().model()).isEqualTo("fact-model"));
            assertThat(server.requests(FactScript.PATH).get(0).body().get("model").asText()).isEqualTo("fact-model");
        }
    }

    @Test
    void withoutExtractionItsRequestsAreRefused() {
        try (Engram engram = Engram.open(EngramConfig.defaults().withProvider("memory"))) {
            assertThat(engram.extraction().enabled()).isFalse();
            assertThat(engram.extraction().stats()).isEqualTo(ExtractionStats.NONE);
            assertThatThrownBy(() -> engram.extraction().reextract(ThreadKey.of("chat-1")).block(WAIT))
                    .isInstanceOf(ConfigurationException.class).hasMessageContaining("memory.extraction.enabled");
        }
    }

    @Test
    void aMissingKeyVariableFailsTheStartNamingIt() {
        String variable = "ENGRAM_TEST_SURELY_UNSET_KEY_VARIABLE";
        MemorySettings memory = MemorySettings.defaults()
                .withExtraction(ExtractionSettings.defaults().enabled(endpoint("fact-model").withApiKeyEnv(variable)));

        assertThatThrownBy(() -> Engram.open(EngramConfig.defaults().withProvider("memory").withMemory(memory)))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining(variable);
    }
}
