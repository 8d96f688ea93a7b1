package dev.engram.benchmarks;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.engram.core.Engram;
import dev.engram.core.ThreadHandle;
import dev.engram.core.config.EngramConfig;
import dev.engram.core.config.ExtractionSettings;
import dev.engram.core.config.ModelEndpoint;
import dev.engram.core.model.AppendBatch;
import dev.engram.core.model.Change;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import reactor.core.publisher.Flux;

/**
 * What fact extraction costs the append path: 64 writers appending to the default {@code local} provider (sync
 * {@code always}), with extraction off and on in the same run. With it on, every thread names a user and the
 * built-in OpenAI-compatible client calls a scripted model on 127.0.0.1 (in this JVM) that answers with one fact
 * after {@code modelLatencyMs}. At 300 ms (a small hosted model answers in about that or more) the workers spend most
 * of their time waiting, as in production; at 0 ms they run as often as the queue lets them and, with the scripted
 * model itself, compete with the writers for the same two cores: the worst case, reported for information.
 * Target: on / off >= 0.9 at 300 ms.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class ExtractionBenchmark {

    static final int WRITERS = AppendBenchmark.WRITERS;
    static final int TURNS_PER_THREAD = 200;

    @State(Scope.Benchmark)
    public static class Writers {

        @Param({"off", "on"})
        public String extraction;

        /** How long the scripted model takes to answer (ignored when extraction is off). */
        @Param({"300", "0"})
        public int modelLatencyMs;

        private final Change[] changes = AppendBenchmark.changes();
        private Path dataDir;
        private HttpServer model;
        private Engram engram;
        private ThreadHandle[] threads;
        private int next;
        private int conversation;
        final AtomicLong modelCalls = new AtomicLong();

        /** A fresh store each iteration: as a store grows, RocksDB's compactions slow it, which would blur off vs on. */
        @Setup(Level.Iteration)
        public void setUp() throws IOException {
            next = 0;
            conversation = 0;
            modelCalls.set(0);
            dataDir = Files.createTempDirectory("engram-extraction-");
            EngramConfig config = EngramConfig.defaults().withProvider("local").withStrict(true)
                    .withProviderOption("local", "dataDir", dataDir.toString())
                    .withProviderOption("local", "sync", "always");
            if (extraction.equals("on")) {
                model = scriptedModel();
                ModelEndpoint endpoint = new ModelEndpoint("http://127.0.0.1:" + model.getAddress().getPort() + "/v1",
                        "scripted", null, Duration.ofSeconds(10));
                ExtractionSettings settings = ExtractionSettings.defaults().enabled(endpoint);
                config = config.withMemory(config.memory().withExtraction(settings));
            }
            engram = Engram.open(config);
            threads = new ThreadHandle[WRITERS];
            startConversations();
        }

        /** Each conversation's first turn names its user, which is what enables extraction for the thread. */
        private void startConversations() {
            for (int i = 0; i < WRITERS; i++) {
                threads[i] = engram.thread("extract-" + conversation + "-" + i);
                threads[i].append(AppendBatch.ofChanges(List.of(changes[0])).metadata(Map.of("userId", "user-" + i))).block();
            }
        }

        Change turn() {
            if (++next % TURNS_PER_THREAD == 0) {
                conversation++;
                startConversations();
            }
            return changes[next & 7];
        }

        /**
         * Answers every chat completion with one fact, as an OpenAI-compatible API would, {@code modelLatencyMs} after
         * the request came in: the reply is scheduled, so a slow model holds no thread while it "thinks".
         */
        private HttpServer scriptedModel() throws IOException {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            ScheduledExecutorService replies = Executors.newSingleThreadScheduledExecutor();
            server.setExecutor(replies);
            server.createContext("/v1/chat/completions", exchange -> {
                exchange.getRequestBody().readAllBytes();
                replies.schedule(() -> answer(exchange), modelLatencyMs, TimeUnit.MILLISECONDS);
            });
            server.start();
            return server;
        }

        private void answer(HttpExchange exchange) {
            long n = modelCalls.incrementAndGet();
            String content = "{\\\"facts\\\":[{\\\"action\\\":\\\"add\\\",\\\"key\\\":\\\"topic\\\",\\\"value\\\":{\\\"text\\\":\\\"asked about order "
                    + n + "\\\"}}]}";
            byte[] body = ("{\"id\":\"chatcmpl-" + n + "\",\"object\":\"chat.completion\",\"model\":\"scripted\",\"choices\":[{\"index\":0,"
                    + "\"message\":{\"role\":\"assistant\",\"content\":\"" + content + "\"},\"finish_reason\":\"stop\"}]}")
                    .getBytes(StandardCharsets.UTF_8);
            try (OutputStream out = exchange.getResponseBody()) {
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                out.write(body);
            } catch (IOException e) {
                // the engine closed the connection (a call cut off at the end of an iteration): nothing to answer
            } finally {
                exchange.close();
            }
        }

        @TearDown(Level.Iteration)
        public void tearDown() {
            try {
                if (model != null) {
                    Checks.require(modelCalls.get() > 0, "extraction was on but the model was never called");
                }
                engram.close();
            } finally {
                if (model != null) {
                    model.stop(0);
                    ((ExecutorService) model.getExecutor()).shutdownNow();
                }
                AppendBenchmark.deleteRecursively(dataDir);
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(WRITERS)
    public void local64Writers(Writers s) {
        Change change = s.turn();
        Flux.range(0, WRITERS).flatMap(i -> s.threads[i].append(change), WRITERS).then().block();
    }
}
