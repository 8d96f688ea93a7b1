package dev.engram.core.extraction;

import static dev.engram.core.extraction.FactExtractionTest.FACTS;
import static dev.engram.core.extraction.FactExtractionTest.USER;
import static dev.engram.core.extraction.FactExtractionTest.facts;
import static dev.engram.core.extraction.FactExtractionTest.idle;
import static dev.engram.core.extraction.FactExtractionTest.say;
import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.Engram;
import dev.engram.core.config.EngramConfig;
import dev.engram.core.config.MemorySettings;
import dev.engram.core.memory.MemoryItem;
import dev.engram.core.memory.Provenance;
import dev.engram.core.model.Message;
import dev.engram.core.model.ThreadKey;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fact extraction on the durable {@code local} provider: marks survive a restart, so no turn is lost or extracted twice. */
class FactExtractionRestartTest {

    @TempDir
    Path dataDir;

    private ScriptedModelServer server;

    @BeforeEach
    void start() throws IOException {
        server = ScriptedModelServer.start();
        server.on(FactScript.PATH, FactScript::answer);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Engram open() {
        return Engram.open(EngramConfig.defaults()
                .withProviderOption("local", "dataDir", dataDir.toString())
                .withMemory(MemorySettings.defaults().withExtraction(FactExtractionTest.extraction(server.baseUrl()))));
    }

    @Test
    void closingDuringAnExtractionCallNeitherLosesNorRepeatsATurn() throws Exception {
        ScriptedModelServer.Request held;
        try (Engram first = open()) {
            say(first, "chat-1", USER, Message.user("remember home_city: The user lives in Paris."), Message.assistant("Nice."));
            idle(first);
            assertThat(facts(first, FACTS)).extracting(MemoryItem::provenance)
                    .containsExactly(new Provenance(ThreadKey.of("chat-1"), 1, 2, "openai", "fact-model"));

            ScriptedModelServer.Hold hold = server.holdNext();
            say(first, "chat-1", USER, Message.user("remember diet: The user is vegetarian."));
            held = hold.arrived();
            assertThat(FactScript.versions(held)).containsExactly(3L);
        } // closed while the model has not answered

        try (Engram second = open()) {
            assertThat(facts(second, FACTS)).as("the unanswered call applied nothing").extracting(i -> i.key().key()).containsExactly("home_city");

            say(second, "chat-1", USER, Message.user("remember pet: The user has a cat."));
            idle(second);

            List<MemoryItem> facts = facts(second, FACTS);
            assertThat(facts).extracting(i -> i.key().key()).containsExactly("diet", "home_city", "pet");
            assertThat(facts.get(0).provenance()).isEqualTo(new Provenance(ThreadKey.of("chat-1"), 3, 4, "openai", "fact-model"));
            assertThat(second.extraction().stats().extractedTurns()).as("only the turns after the durable mark").isEqualTo(2);
        }

        List<Long> answered = new ArrayList<>();
        for (ScriptedModelServer.Request r : server.requests(FactScript.PATH)) {
            if (r != held) {
                answered.addAll(FactScript.versions(r));
            }
        }
        assertThat(answered).as("every turn sent once in the calls that were answered").containsExactly(1L, 2L, 3L, 4L);
    }

    @Test
    void aCatchUpAfterARestartExtractsWhatWasLeftBehind() throws Exception {
        try (Engram first = open()) {
            ScriptedModelServer.Hold hold = server.holdNext();
            say(first, "chat-1", USER, Message.user("remember home_city: The user lives in Paris."));
            hold.arrived();
        }

        try (Engram second = open()) {
            second.extraction().catchUp(ThreadKey.of("chat-1")).block(FactExtractionTest.WAIT);

            assertThat(facts(second, FACTS)).extracting(i -> i.key().key()).containsExactly("home_city");
        }
        try (Engram third = open()) {
            third.extraction().catchUp(ThreadKey.of("chat-1")).block(FactExtractionTest.WAIT);
            third.extraction().reextract(ThreadKey.of("chat-1")).block(FactExtractionTest.WAIT);
            assertThat(facts(third, FACTS)).extracting(i -> i.key().key()).containsExactly("home_city");
        }
        assertThat(server.requests(FactScript.PATH)).as("held, caught up, re-extracted; the caught-up thread was not sent again")
                .extracting(FactScript::versions).containsExactly(List.of(1L), List.of(1L), List.of(1L));
    }
}
