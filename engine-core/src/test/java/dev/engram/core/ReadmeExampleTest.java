package dev.engram.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.config.EngramConfig;
import dev.engram.core.model.Change;
import dev.engram.core.model.Message;
import dev.engram.core.model.ThreadState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the README's embedded example, and checks the README still shows exactly this code. */
class ReadmeExampleTest {

    @TempDir
    Path dataDir;

    @Test
    void theReadmeExampleRunsAndIsTheOneInTheReadme() throws IOException {
        EngramConfig config = EngramConfig.defaults().withProviderOption("local", "dataDir", dataDir.toString());

        // README:begin
        try (Engram engram = Engram.open(config)) {
            ThreadHandle chat = engram.thread("user-42:chat-7");
            chat.append(Change.message(Message.user("My name is Ada."))).block();
            chat.append(Change.set(Map.of("language", "en"))).block();
            chat.append(Change.message(Message.assistant("Nice to meet you, Ada."))).block();

            ThreadState state = chat.state().block();           // latest checkpoint + the events after it
            System.out.println(state.version() + " " + state.messages().get(0).content());

            chat.watch(1)                                        // catch up from version 1, then live
                .take(Duration.ofMillis(200))
                .subscribe(update -> System.out.println("versions " + update.firstVersion() + ".." + update.lastVersion()));
        }
        // README:end

        try (Engram engram = Engram.open(config)) {
            ThreadState state = engram.thread("user-42:chat-7").state().block(Duration.ofSeconds(10));
            assertThat(state.version()).as("the appends survived closing the engine").isEqualTo(3);
            assertThat(state.messages()).extracting(Message::content).containsExactly("My name is Ada.", "Nice to meet you, Ada.");
            assertThat(state.values()).containsEntry("language", "en");
        }

        assertThat(readme()).as("README.md shows the example this test runs").contains(snippet());
    }

    private static String readme() throws IOException {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("README.md")) || p != null && !Files.exists(p.resolve("engine-core"))) {
            p = p.getParent();
        }
        return Files.readString(p.resolve("README.md"));
    }

    private static String snippet() throws IOException {
        Path self = Path.of("src/test/java/dev/engram/core/ReadmeExampleTest.java");
        List<String> lines = Files.readAllLines(self);
        int begin = lines.indexOf("        // README:begin");
        int end = lines.indexOf("        // README:end");
        StringBuilder sb = new StringBuilder();
        for (String line : lines.subList(begin + 1, end)) {
            sb.append(line.length() >= 8 ? line.substring(8) : line.strip()).append('\n');
        }
        return sb.toString();
    }
}
