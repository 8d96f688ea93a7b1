package dev.engram.core.extraction;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.engram.core.Engram;
import dev.engram.core.ThreadHandle;
import dev.engram.core.config.EngramConfig;
import dev.engram.core.config.ExtractionSettings;
import dev.engram.core.config.ModelEndpoint;
import dev.engram.core.memory.MemoryHit;
import dev.engram.core.memory.MemorySearch;
import dev.engram.core.memory.Namespace;
import dev.engram.core.model.AppendBatch;
import dev.engram.core.model.Change;
import dev.engram.core.model.Message;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the README's memory example — a conversation in, facts out, recall in a new thread — against a scripted
 * OpenAI-compatible model on 127.0.0.1, and checks the README still shows exactly this code.
 */
class ReadmeMemoryExampleTest {

    @TempDir
    Path dataDir;

    @Test
    void theReadmeMemoryExampleRunsAndIsTheOneInTheReadme() throws Exception {
        try (ScriptedModelServer model = ScriptedModelServer.start().on(FactScript.PATH, ReadmeMemoryExampleTest::answer)) {
            // what the README's engram.yaml says, with the scripted model's address
            EngramConfig config = EngramConfig.defaults().withProviderOption("local", "dataDir", dataDir.toString());
            config = config.withMemory(config.memory().withExtraction(ExtractionSettings.defaults()
                    .enabled(new ModelEndpoint(model.baseUrl(), "gpt-4o-mini", null, Duration.ofSeconds(10)))));
            List<String> printed = new ArrayList<>();

            // README-memory:begin
            try (Engram engram = Engram.open(config)) {
                // a conversation in: its metadata names the user the facts belong to
                ThreadHandle chat = engram.thread("chat-1");
                chat.append(AppendBatch.ofChanges(List.of(
                                Change.message(Message.user("I'm vegetarian, and I live in Lisbon.")),
                                Change.message(Message.assistant("Noted!"))))
                        .metadata(Map.of("userId", "user-42"))).block();
                chat.append(Change.message(Message.user("Big news: I moved to Berlin last week."))).block();

                // facts out: extracted in the background into ["user-42", "facts"]
                engram.extraction().whenIdle().block();
                List<MemoryHit> facts = engram.memories()
                        .search(MemorySearch.under(Namespace.of("user-42", "facts")))
                        .block();
                facts.forEach(hit -> printed.add(hit.item().key().key() + ": " + hit.item().value().get("text")));

                // recall in a new thread: the agent starts already knowing the user
                String known = facts.stream().map(hit -> (String) hit.item().value().get("text")).collect(Collectors.joining("; "));
                ThreadHandle next = engram.thread("chat-2");
                next.append(AppendBatch.ofChanges(List.of(Change.message(Message.system("What you know about the user: " + known))))
                        .metadata(Map.of("userId", "user-42"))).block();
            }
            // README-memory:end

            assertThat(printed).containsExactlyInAnyOrder("city: lives in Berlin", "diet: vegetarian");
            try (Engram engram = Engram.open(config)) {
                String system = engram.thread("chat-2").state().block(Duration.ofSeconds(10)).messages().get(0).content();
                assertThat(system).contains("lives in Berlin").contains("vegetarian").doesNotContain("Lisbon");
                MemoryHit city = engram.memories().search(MemorySearch.under(Namespace.of("user-42", "facts")).query("berlin"))
                        .block(Duration.ofSeconds(10)).get(0);
                assertThat(city.item().provenance().thread().threadId()).as("the fact says where it came from").isEqualTo("chat-1");
                assertThat(city.item().provenance().toVersion()).isEqualTo(3);
            }
        }
        assertThat(readme()).as("README.md shows the example this test runs").contains(snippet());
    }

    /** The model's part, scripted: what a model would extract from the example's sentences. */
    private static ScriptedModelServer.Reply answer(ScriptedModelServer.Request request) throws IOException {
        List<Map<String, Object>> facts = new ArrayList<>();
        for (JsonNode turn : FactScript.input(request).get("turns")) {
            String text = turn.get("content").asText();
            if (text.contains("vegetarian")) {
                facts.add(Map.of("action", "add", "key", "diet", "value", Map.of("text", "vegetarian")));
            }
            if (text.contains("Lisbon")) {
                facts.add(Map.of("action", "add", "key", "city", "value", Map.of("text", "lives in Lisbon")));
            }
            if (text.contains("Berlin")) {
                facts.add(Map.of("action", "update", "key", "city", "value", Map.of("text", "lives in Berlin")));
            }
        }
        return FactScript.completion(ScriptedModelServer.JSON.writeValueAsString(Map.of("facts", facts)));
    }

    private static String readme() throws IOException {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !(Files.exists(p.resolve("README.md")) && Files.exists(p.resolve("engine-core")))) {
            p = p.getParent();
        }
        return Files.readString(p.resolve("README.md"));
    }

    private static String snippet() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("src/test/java/dev/engram/core/extraction/ReadmeMemoryExampleTest.java"));
        int begin = lines.indexOf("            // README-memory:begin");
        int end = lines.indexOf("            // README-memory:end");
        StringBuilder sb = new StringBuilder();
        for (String line : lines.subList(begin + 1, end)) {
            sb.append(line.length() >= 12 ? line.substring(12) : line.strip()).append('\n');
        }
        return sb.toString();
    }
}
