package dev.engram.core.extraction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.Engram;
import dev.engram.core.InvalidInputException;
import dev.engram.core.ModelResponseException;
import dev.engram.core.config.EngramConfig;
import dev.engram.core.config.ExtractionSettings;
import dev.engram.core.config.MemorySettings;
import dev.engram.core.config.ModelEndpoint;
import dev.engram.core.extraction.ScriptedModelServer.Reply;
import dev.engram.core.memory.MemoryItem;
import dev.engram.core.memory.MemorySearch;
import dev.engram.core.memory.Namespace;
import dev.engram.core.memory.NamespaceQuery;
import dev.engram.core.memory.Provenance;
import dev.engram.core.model.AppendBatch;
import dev.engram.core.model.Appended;
import dev.engram.core.model.Change;
import dev.engram.core.model.Message;
import dev.engram.core.model.ThreadKey;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Fact extraction end to end on the {@code memory} provider: the real engine, the real OpenAI-compatible client, and a
 * local HTTP server scripting the model ({@link FactScript}).
 */
class FactExtractionTest {

    static final Duration WAIT = Duration.ofSeconds(30);
    static final String USER = "user-42";
    static final Namespace FACTS = Namespace.of(USER, "facts");

    private ScriptedModelServer server;
    private final List<Engram> opened = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = ScriptedModelServer.start();
        server.on(FactScript.PATH, FactScript::answer);
    }

    @AfterEach
    void stop() {
        opened.forEach(Engram::close);
        server.close();
    }

    static ExtractionSettings extraction(String baseUrl) {
        return ExtractionSettings.defaults()
                .enabled(new ModelEndpoint(baseUrl, "fact-model", null, Duration.ofSeconds(5)))
                .withRetries(3, Duration.ofMillis(10), Duration.ofMillis(50));
    }

    private ExtractionSettings extraction() {
        return extraction(server.baseUrl());
    }

    private Engram open(ExtractionSettings x) {
        Engram e = Engram.open(EngramConfig.defaults().withProvider("memory").withMemory(MemorySettings.defaults().withExtraction(x)));
        opened.add(e);
        return e;
    }

    /** Appends the messages to the thread in one batch; a new thread gets the user in its metadata. */
    static Appended say(Engram engram, String threadId, String user, Message... messages) {
        AppendBatch batch = AppendBatch.ofChanges(List.of(messages).stream().map(Change::message).toList())
                .metadata(Map.of("userId", user));
        return engram.thread(threadId).append(batch).block(WAIT);
    }

    static List<MemoryItem> facts(Engram engram, Namespace namespace) {
        return engram.memories().search(MemorySearch.under(namespace).limit(50)).block(WAIT).stream()
                .map(h -> h.item()).sorted(Comparator.comparing(i -> i.key().key())).toList();
    }

    static Map<String, Object> text(String t) {
        return Map.of("text", t);
    }

    static void idle(Engram engram) {
        engram.extraction().whenIdle().block(WAIT);
    }

    /** Polls the stats every 10 ms until {@code condition} holds (at most {@link #WAIT}). */
    static ExtractionStats statsUntil(Engram engram, Predicate<ExtractionStats> condition) {
        AtomicReference<ExtractionStats> last = new AtomicReference<>();
        return Mono.fromSupplier(() -> {
                    ExtractionStats s = engram.extraction().stats();
                    last.set(s);
                    return s;
                })
                .filter(condition)
                .repeatWhenEmpty(ticks -> ticks.delayElements(Duration.ofMillis(10)))
                .timeout(WAIT, Mono.error(() -> new AssertionError("stats never reached the condition: " + last.get())))
                .block();
    }

    @Test
    void aConversationYieldsFactsInTheUsersNamespaceWithProvenance() {
        Engram engram = open(extraction());

        say(engram, "chat-1", USER,
                Message.user("remember home_city: The user lives in Paris."),
                Message.assistant("Paris is lovely."),
                Message.user("remember diet: The user is vegetarian."));
        idle(engram);

        List<MemoryItem> facts = facts(engram, FACTS);
        assertThat(facts).extracting(i -> i.key().key()).containsExactly("diet", "home_city");
        assertThat(facts).extracting(MemoryItem::value).containsExactly(text("The user is vegetarian."), text("The user lives in Paris."));
        assertThat(facts).allSatisfy(f -> {
            assertThat(f.kind()).isEqualTo(MemoryItem.FACT);
            assertThat(f.key().tenant()).isEqualTo(ThreadKey.DEFAULT_TENANT);
            assertThat(f.provenance()).as("the thread, the turns' versions, the extractor and its model")
                    .isEqualTo(new Provenance(ThreadKey.of("chat-1"), 1, 3, "openai", "fact-model"));
        });
        ExtractionStats stats = engram.extraction().stats();
        assertThat(stats.extractedTurns()).isEqualTo(3);
        assertThat(stats.factsAdded()).isEqualTo(2);
        assertThat(stats.calls()).isEqualTo(1);
        assertThat(stats.failures()).isZero();
        assertThat(engram.memories().namespaces(NamespaceQuery.all()).block(WAIT))
                .as("the extraction's marks stay in the engine's reserved namespace, out of users' sight").containsExactly(FACTS);
    }

    @Test
    void aContradictingLaterTurnUpdatesTheFactAndExtendsItsProvenance() {
        Engram engram = open(extraction());

        say(engram, "chat-1", USER, Message.user("remember home_city: The user lives in Paris."));
        idle(engram);
        say(engram, "chat-1", USER, Message.assistant("Noted."), Message.user("remember home_city: The user moved to Lisbon."));
        idle(engram);

        List<MemoryItem> facts = facts(engram, FACTS);
        assertThat(facts).as("one subject, one fact").hasSize(1);
        assertThat(facts.get(0).value()).isEqualTo(text("The user moved to Lisbon."));
        assertThat(facts.get(0).provenance()).as("the range grows over both turns")
                .isEqualTo(new Provenance(ThreadKey.of("chat-1"), 1, 3, "openai", "fact-model"));
        List<ScriptedModelServer.Request> calls = server.requests(FactScript.PATH);
        assertThat(calls).extracting(FactScript::versions).containsExactly(List.of(1L), List.of(2L, 3L));
        assertThat(FactScript.knownKeys(calls.get(1))).as("the model saw the fact it updated").containsExactly("home_city");
        assertThat(engram.extraction().stats().factsUpdated()).isEqualTo(1);

        say(engram, "chat-1", USER, Message.user("forget home_city"));
        idle(engram);
        assertThat(facts(engram, FACTS)).as("a turn that retracts the fact deletes it").isEmpty();
        assertThat(engram.extraction().stats().factsDeleted()).isEqualTo(1);
    }

    @Test
    void reextractRebuildsTheSameFactsFromTheLog() {
        Engram engram = open(extraction().withMaxTurnsPerCall(1));
        say(engram, "chat-1", USER, Message.user("remember home_city: The user lives in Paris."), Message.assistant("Nice."));
        idle(engram);
        say(engram, "chat-1", USER, Message.user("remember pet: The user has a cat."), Message.user("remember employer: The user works at ACME."));
        idle(engram);
        say(engram, "chat-1", USER, Message.user("remember home_city: The user moved to Lisbon."), Message.user("forget employer"));
        idle(engram);
        say(engram, "chat-2", USER, Message.user("remember sport: The user plays tennis."));
        idle(engram);
        List<MemoryItem> before = facts(engram, FACTS);
        int callsBefore = server.requests(FactScript.PATH).size();
        assertThat(before).extracting(i -> i.key().key()).containsExactly("home_city", "pet", "sport");

        engram.extraction().reextract(ThreadKey.of("chat-1")).block(WAIT);

        List<MemoryItem> after = facts(engram, FACTS);
        assertThat(after).extracting(i -> i.key().key()).containsExactly("home_city", "pet", "sport");
        assertThat(after).extracting(MemoryItem::value).isEqualTo(before.stream().map(MemoryItem::value).toList());
        assertThat(after).extracting(MemoryItem::provenance).isEqualTo(before.stream().map(MemoryItem::provenance).toList());
        assertThat(after.get(0).createdAt()).as("chat-1's facts were deleted and written again").isAfterOrEqualTo(before.get(2).updatedAt());
        assertThat(after.get(2)).as("another thread's fact is left alone").isEqualTo(before.get(2));
        assertThat(server.requests(FactScript.PATH).subList(callsBefore, server.requests(FactScript.PATH).size()))
                .as("the whole log of chat-1 was sent again, one turn per call").extracting(FactScript::versions)
                .containsExactly(List.of(1L), List.of(2L), List.of(3L), List.of(4L), List.of(5L), List.of(6L));
    }

    @Test
    void aReextractAskedDuringAnExtractionAnswersAfterItsOwnRun() throws Exception {
        Engram engram = open(extraction());
        ScriptedModelServer.Hold hold = server.holdNext();
        say(engram, "chat-1", USER, Message.user("remember pet: The user has a cat."));
        hold.arrived();

        CompletableFuture<Void> reextract = engram.extraction().reextract(ThreadKey.of("chat-1")).toFuture();
        hold.release();
        reextract.get(WAIT.toSeconds(), TimeUnit.SECONDS);

        assertThat(server.requests(FactScript.PATH)).as("the running extraction, then the re-extraction")
                .extracting(FactScript::versions).containsExactly(List.of(1L), List.of(1L));
        assertThat(facts(engram, FACTS)).singleElement().satisfies(f -> assertThat(f.provenance().toVersion()).isEqualTo(1));
        assertThat(engram.extraction().stats().factsDeleted()).as("the re-extraction first forgot the thread's fact").isEqualTo(1);
    }

    @Test
    void twoThreadsOfOneUserExtractOneAtATimeAndShareTheFact() throws Exception {
        Engram engram = open(extraction().withWorkers(2));
        ScriptedModelServer.Hold first = server.holdNext();

        say(engram, "chat-a", USER, Message.user("remember home_city: The user lives in Paris."));
        first.arrived();
        say(engram, "chat-b", USER, Message.user("remember home_city: The user lives in Paris, France."));
        statsUntil(engram, s -> s.pending() == 1 && s.running() == 1);
        assertThat(server.requests(FactScript.PATH)).as("the second thread waits for the user's first extraction").hasSize(1);
        first.release();
        idle(engram);

        assertThat(facts(engram, FACTS)).as("no duplicate").singleElement()
                .satisfies(f -> assertThat(f.value()).isEqualTo(text("The user lives in Paris, France.")));
        assertThat(FactScript.knownKeys(server.requests(FactScript.PATH).get(1))).containsExactly("home_city");
    }

    @Test
    void manyThreadsOfOneUserAtOnceLeaveOneFactPerSubject() {
        Engram engram = open(extraction().withWorkers(4));

        Flux.range(0, 12)
                .flatMap(i -> engram.thread("chat-" + i).append(AppendBatch.ofChanges(List.of(
                        Change.message(Message.user("remember home_city: The user lives in city " + (i % 3) + ".")),
                        Change.message(Message.user("remember t" + i + ": Thread " + i + " happened."))))
                        .metadata(Map.of("userId", USER))))
                .blockLast(WAIT);
        idle(engram);

        List<MemoryItem> facts = facts(engram, FACTS);
        assertThat(facts).extracting(i -> i.key().key()).filteredOn("home_city"::equals).hasSize(1);
        assertThat(facts).hasSize(13);
        assertThat(engram.extraction().stats().extractedTurns()).isEqualTo(24);
    }

    @Test
    void appendsNeverWaitForAnExtractionCall() throws Exception {
        Engram engram = open(extraction());
        ScriptedModelServer.Hold hold = server.holdNext();

        say(engram, "chat-1", USER, Message.user("remember home_city: The user lives in Paris."));
        hold.arrived();
        List<Appended> more = IntStream.range(0, 40)
                .mapToObj(i -> say(engram, "chat-1", USER, Message.user("remember k" + i + ": fact " + i + ".")))
                .toList();

        assertThat(more).as("every append is acknowledged while the model has not answered").hasSize(40)
                .extracting(Appended::lastVersion).endsWith(41L);
        hold.release();
        idle(engram);
        assertThat(facts(engram, FACTS)).hasSize(41);
    }

    @Test
    void anUnreachableApiNeverFailsAnAppendAndIsCountedAndRetried() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        Engram engram = open(extraction("http://127.0.0.1:" + closedPort + "/v1").withRetries(2, Duration.ofMillis(5), Duration.ofMillis(20)));

        for (int i = 0; i < 20; i++) {
            assertThat(say(engram, "chat-1", USER, Message.user("remember k" + i + ": fact " + i + ".")).lastVersion()).isEqualTo(i + 1);
        }

        ExtractionStats stats = statsUntil(engram, s -> s.failures() >= 2 && s.retries() >= 2);
        assertThat(stats.extractedTurns()).isZero();
        assertThat(engram.thread("chat-1").state().block(WAIT).messages()).as("every turn is safe in the log").hasSize(20);
    }

    @Test
    void rateLimitsAndServerErrorsAreRetriedWithBackoff() {
        server.enqueue(FactScript.PATH,
                Reply.json(429, "{\"error\":{\"message\":\"Rate limit reached\"}}").withHeader("Retry-After", "0.02"),
                Reply.json(503, "{\"error\":{\"message\":\"overloaded\"}}"));
        Engram engram = open(extraction());

        say(engram, "chat-1", USER, Message.user("remember home_city: The user lives in Paris."));
        idle(engram);

        assertThat(facts(engram, FACTS)).hasSize(1);
        ExtractionStats stats = engram.extraction().stats();
        assertThat(stats.retries()).isEqualTo(2);
        assertThat(stats.failures()).isZero();
        assertThat(server.requests(FactScript.PATH)).extracting(FactScript::versions).containsOnly(List.of(1L));
    }

    @Test
    void anUnreadableAnswerFailsTheBatchWhichTheNextAppendExtractsAgain() {
        server.enqueue(FactScript.PATH, FactScript.completion("The user lives in Paris."));
        Engram engram = open(extraction());

        say(engram, "chat-1", USER, Message.user("remember home_city: The user lives in Paris."));
        idle(engram);
        assertThat(facts(engram, FACTS)).isEmpty();
        assertThat(engram.extraction().stats().failures()).isEqualTo(1);
        assertThat(engram.extraction().stats().retries()).as("not transient: not retried at once").isZero();

        say(engram, "chat-1", USER, Message.user("remember diet: The user is vegetarian."));
        idle(engram);

        assertThat(facts(engram, FACTS)).extracting(i -> i.key().key()).containsExactly("diet", "home_city");
        assertThat(server.requests(FactScript.PATH)).extracting(FactScript::versions).containsExactly(List.of(1L), List.of(1L, 2L));
    }

    @Test
    void aFullQueueIsRetriedWithBackoffAndNothingIsLost() throws Exception {
        Engram engram = open(extraction().withWorkers(1).withQueueCapacity(1).withRetries(8, Duration.ofMillis(20), Duration.ofMillis(200)));
        ScriptedModelServer.Hold hold = server.holdNext();

        say(engram, "chat-1", "user-1", Message.user("remember a: one."));
        hold.arrived();
        say(engram, "chat-2", "user-2", Message.user("remember b: two."));
        say(engram, "chat-3", "user-3", Message.user("remember c: three."));
        assertThat(engram.extraction().stats().queueFull()).as("chat-3 found the queue full").isGreaterThanOrEqualTo(1);
        hold.release();
        idle(engram);

        assertThat(facts(engram, Namespace.of("user-1", "facts"))).hasSize(1);
        assertThat(facts(engram, Namespace.of("user-2", "facts"))).hasSize(1);
        assertThat(facts(engram, Namespace.of("user-3", "facts"))).as("retried until there was room").hasSize(1);
        assertThat(engram.extraction().stats().dropped()).isZero();
    }

    @Test
    void threadsWithoutAUserAreNotExtracted() {
        Engram engram = open(extraction());

        engram.thread("chat-anon").append(Change.message(Message.user("remember home_city: Paris."))).block(WAIT);
        idle(engram);

        assertThat(server.requests()).isEmpty();
        assertThatThrownBy(() -> engram.extraction().catchUp(ThreadKey.of("chat-anon")).block(WAIT))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("userId");
        assertThatThrownBy(() -> engram.extraction().catchUp(ThreadKey.of("no-such-thread")).block(WAIT))
                .isInstanceOf(dev.engram.core.NotFoundException.class);
    }

    @Test
    void catchUpExtractsWhatIsBehindAndNothingTwice() {
        server.enqueue(FactScript.PATH, Reply.json(401, "{\"error\":{\"message\":\"bad key\"}}"));
        Engram engram = open(extraction());
        say(engram, "chat-1", USER, Message.user("remember home_city: The user lives in Paris."));
        idle(engram);
        assertThat(facts(engram, FACTS)).isEmpty();

        engram.extraction().catchUp(ThreadKey.of("chat-1")).block(WAIT);
        engram.extraction().catchUp(ThreadKey.of("chat-1")).block(WAIT);

        assertThat(facts(engram, FACTS)).hasSize(1);
        assertThat(server.requests(FactScript.PATH)).as("the refused call, then one call; the second catch-up had nothing to do")
                .extracting(FactScript::versions).containsExactly(List.of(1L), List.of(1L));
    }

    @Test
    void aFailingCatchUpReportsTheFailure() {
        server.enqueue(FactScript.PATH, FactScript.completion("not json"), FactScript.completion("not json"));
        Engram engram = open(extraction());
        engram.thread("chat-1").append(AppendBatch.ofChanges(List.of(Change.set("x", 1))).metadata(Map.of("userId", USER))).block(WAIT);
        idle(engram);
        engram.thread("chat-1").append(Change.message(Message.user("remember a: b."))).block(WAIT);
        idle(engram);

        assertThatThrownBy(() -> engram.extraction().catchUp(ThreadKey.of("chat-1")).block(WAIT))
                .isInstanceOf(ModelResponseException.class).hasMessageContaining("content is not JSON");
        assertThat(server.requests(FactScript.PATH)).as("the values event is skipped, the message sent")
                .extracting(FactScript::versions).containsExactly(List.of(2L), List.of(2L));
    }
}
