package dev.engram.benchmarks.load;

import dev.engram.core.config.EngramConfig;
import dev.engram.server.EngramServer;
import dev.engram.server.ServerOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * A bounded load run: an engine-server in this JVM on 127.0.0.1 and an ephemeral port, {@code threads ×
 * subscribersPerThread} WebSocket subscribers (one connection each), {@code writers} HTTP writers appending for
 * {@code duration}; then checks that every subscriber received every event of its thread in order and that the heap
 * stayed bounded, prints a report and exits 0 (PASS) or 1 (FAIL). Everything it starts it stops.
 */
public final class WebSocketLoad {

    private static final String USAGE = """
            WebSocketLoad [--threads 50] [--subscribers-per-thread 20] [--writers 64] [--duration-seconds 20]
                          [--provider local|memory] [--heap-bound-mib 64] [--drain-seconds 30]
            """;

    private WebSocketLoad() {
    }

    record Settings(int threads, int subscribersPerThread, int writers, int durationSeconds, String provider,
                    long heapBoundMiB, int drainSeconds) {

        static Settings parse(String[] args) {
            int threads = 50;
            int perThread = 20;
            int writers = 64;
            int duration = 20;
            String provider = "local";
            long heapBound = 64;
            int drain = 30;
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                if (arg.equals("--help")) {
                    System.out.print(USAGE);
                    System.exit(0);
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(arg + " needs a value\n" + USAGE);
                }
                String value = args[++i];
                switch (arg) {
                    case "--threads" -> threads = positive(arg, value);
                    case "--subscribers-per-thread" -> perThread = positive(arg, value);
                    case "--writers" -> writers = positive(arg, value);
                    case "--duration-seconds" -> duration = Math.min(600, positive(arg, value));
                    case "--provider" -> provider = value;
                    case "--heap-bound-mib" -> heapBound = positive(arg, value);
                    case "--drain-seconds" -> drain = Math.min(600, positive(arg, value));
                    default -> throw new IllegalArgumentException("unknown option " + arg + "\n" + USAGE);
                }
            }
            if (!provider.equals("local") && !provider.equals("memory")) {
                throw new IllegalArgumentException("--provider is local or memory\n" + USAGE);
            }
            return new Settings(threads, perThread, writers, duration, provider, heapBound, drain);
        }

        private static int positive(String arg, String value) {
            int v = Integer.parseInt(value);
            if (v < 1) {
                throw new IllegalArgumentException(arg + " must be at least 1");
            }
            return v;
        }

        int subscribers() {
            return threads * subscribersPerThread;
        }
    }

    public static void main(String[] args) throws Exception {
        Settings settings = Settings.parse(args);
        Path data = Files.createTempDirectory("engram-load-");
        EngramConfig config = EngramConfig.defaults().withProvider(settings.provider()).withStrict(true)
                .withProviderOption("local", "dataDir", data.toString())
                .withProviderOption("memory", "name", "load-" + UUID.randomUUID());
        // the writers and 1,000 subscriptions are one tenant: the per-tenant rate limit would measure itself
        // one HTTP verticle: EngramServer cannot yet share an ephemeral port between several instances
        ServerOptions options = new ServerOptions().setHost("127.0.0.1").setPort(0).setTcpBridgePort(-1).setInstances(1)
                .setRequestsPerSecond(1_000_000_000).setMaxConnections(settings.subscribers() + settings.writers() + 100);
        boolean pass;
        try {
            EngramServer server = await(EngramServer.start(config, options), 60);
            Vertx client = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
            try {
                pass = new Run(settings, server.port(), client).execute();
            } finally {
                await(client.close(), 30);
                await(server.stop(), 30);
            }
        } finally {
            deleteRecursively(data);
        }
        System.exit(pass ? 0 : 1);
    }

    /** One run's clients, counters and verdict. */
    private static final class Run {

        private final Settings settings;
        private final int port;
        private final Vertx client;
        private final LatencyHistogram delivery = new LatencyHistogram();
        private final LatencyHistogram appendLatency = new LatencyHistogram();
        private final AtomicLongArray heads;
        private final AtomicLong appends = new AtomicLong();
        private final AtomicLong appendFailures = new AtomicLong();
        private final AtomicReference<String> firstFailure = new AtomicReference<>();
        private final AtomicLong peakHeap = new AtomicLong();
        private final List<Subscriber> subscribers = new ArrayList<>();

        Run(Settings settings, int port, Vertx client) {
            this.settings = settings;
            this.port = port;
            this.client = client;
            this.heads = new AtomicLongArray(settings.threads());
        }

        boolean execute() throws Exception {
            MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
            String runId = UUID.randomUUID().toString().substring(0, 8);
            WebSocketClient ws = client.createWebSocketClient(new WebSocketClientOptions()
                    .setMaxConnections(settings.subscribers() + 10).setMaxMessageSize(1 << 20));
            long connectStart = System.nanoTime();
            // connect in waves so the accept queue is never the thing under test
            for (int from = 0; from < settings.subscribers(); from += 100) {
                List<CompletableFuture<Void>> wave = new ArrayList<>();
                for (int i = from; i < Math.min(settings.subscribers(), from + 100); i++) {
                    Subscriber s = new Subscriber(this, i % settings.threads(), "load-" + runId + "-" + (i % settings.threads()));
                    subscribers.add(s);
                    wave.add(s.open(ws, port));
                }
                CompletableFuture.allOf(wave.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            }
            double connectSeconds = (System.nanoTime() - connectStart) / 1e9;
            long heapBefore = usedHeapAfterGc(memory);
            peakHeap.set(heapBefore);
            long sampler = client.setPeriodic(250, id -> peakHeap.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max));

            HttpClient http = client.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port),
                    new PoolOptions().setHttp1MaxSize(settings.writers()));
            long start = System.nanoTime();
            long deadline = start + TimeUnit.SECONDS.toNanos(settings.durationSeconds());
            List<CompletableFuture<Void>> writers = new ArrayList<>();
            for (int w = 0; w < settings.writers(); w++) {
                int thread = w % settings.threads();
                Writer writer = new Writer(this, http, thread, "load-" + runId + "-" + thread, deadline);
                writers.add(writer.done);
                client.runOnContext(v -> writer.next());
            }
            CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new))
                    .get(settings.durationSeconds() + 60L, TimeUnit.SECONDS);
            double writeSeconds = (System.nanoTime() - start) / 1e9;

            for (Subscriber s : subscribers) {
                s.expect(heads.get(s.threadIndex));
            }
            int lagging = 0;
            try {
                CompletableFuture.allOf(subscribers.stream().map(s -> s.caughtUp).toArray(CompletableFuture[]::new))
                        .get(settings.drainSeconds(), TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                lagging = (int) subscribers.stream().filter(s -> !s.caughtUp.isDone()).count();
            }
            double drainSeconds = (System.nanoTime() - start) / 1e9 - writeSeconds;
            client.cancelTimer(sampler);
            long heapAfter = usedHeapAfterGc(memory);
            await(http.close(), 30);
            await(ws.close(), 30);

            long expectedDeliveries = 0;
            long deliveries = 0;
            long gaps = 0;
            long duplicates = 0;
            long errors = 0;
            long overflows = 0;
            String firstError = null;
            int incomplete = 0;
            for (Subscriber s : subscribers) {
                expectedDeliveries += heads.get(s.threadIndex) - s.initialVersion;
                deliveries += s.received;
                gaps += s.gaps;
                duplicates += s.duplicates;
                errors += s.errors;
                overflows += s.overflows;
                if (firstError == null) {
                    firstError = s.firstError;
                }
                if (s.last != heads.get(s.threadIndex) || s.received != heads.get(s.threadIndex) - s.initialVersion) {
                    incomplete++;
                }
            }
            long totalEvents = 0;
            for (int t = 0; t < settings.threads(); t++) {
                totalEvents += heads.get(t);
            }
            boolean inOrder = gaps == 0 && duplicates == 0 && errors == 0 && incomplete == 0 && lagging == 0
                    && deliveries == expectedDeliveries;
            long growth = heapAfter - heapBefore;
            boolean heapBounded = growth <= settings.heapBoundMiB() << 20;
            boolean writesOk = appendFailures.get() == 0;

            System.out.println();
            System.out.println("== WebSocket load (" + LocalDate.now() + ", " + Runtime.getRuntime().availableProcessors()
                    + " cores, provider " + settings.provider() + ", -Xmx" + mib(Runtime.getRuntime().maxMemory()) + " MiB) ==");
            System.out.printf(Locale.ROOT, "subscribers      %d WebSocket connections (%d threads x %d), connected in %.1f s%n",
                    settings.subscribers(), settings.threads(), settings.subscribersPerThread(), connectSeconds);
            System.out.printf(Locale.ROOT, "writers          %d over HTTP for %.1f s, one event per append, expectedVersion any%n",
                    settings.writers(), writeSeconds);
            System.out.printf(Locale.ROOT, "appends          %d acknowledged, %.0f appends/s, %d failed%s%n", appends.get(),
                    appends.get() / writeSeconds, appendFailures.get(), firstFailure.get() == null ? "" : " (first: " + firstFailure.get() + ")");
            System.out.printf(Locale.ROOT, "append latency   p50 %.2f ms, p99 %.2f ms, max %.2f ms (request sent -> 200 received)%n",
                    appendLatency.percentileMillis(0.50), appendLatency.percentileMillis(0.99), appendLatency.maxMillis());
            System.out.printf(Locale.ROOT, "deliveries       %d of %d expected (%d events x their thread's subscribers), %.0f/s; drained %.1f s after the writers stopped%n",
                    deliveries, expectedDeliveries, totalEvents, deliveries / (writeSeconds + drainSeconds), drainSeconds);
            System.out.printf(Locale.ROOT, "delivery latency p50 %.2f ms, p99 %.2f ms, max %.2f ms (writer sent the append -> subscriber received the event)%n",
                    delivery.percentileMillis(0.50), delivery.percentileMillis(0.99), delivery.maxMillis());
            System.out.printf(Locale.ROOT, "order            gaps %d, duplicates %d, errors %d, overflows (resubscribed from resumeFrom) %d, incomplete %d, lagging %d%s%n",
                    gaps, duplicates, errors, overflows, incomplete, lagging, firstError == null ? "" : " (first error: " + firstError + ")");
            System.out.printf(Locale.ROOT, "heap (used after GC, whole JVM)  before %d MiB, after %d MiB, growth %+d MiB, peak sampled %d MiB; bound +%d MiB%n",
                    mib(heapBefore), mib(heapAfter), growth >> 20, mib(peakHeap.get()), settings.heapBoundMiB());
            System.out.println(verdict(inOrder) + " every subscriber received every event of its thread in order (no gap, no duplicate)");
            System.out.println(verdict(heapBounded) + " heap bounded (growth after GC within +" + settings.heapBoundMiB() + " MiB)");
            System.out.println(verdict(writesOk) + " every append acknowledged");
            return inOrder && heapBounded && writesOk;
        }

        void appendFailed(String what) {
            appendFailures.incrementAndGet();
            firstFailure.compareAndSet(null, what);
        }
    }

    /** One closed-loop HTTP writer on one thread: the next append is sent when the previous one is answered. */
    private static final class Writer {

        private final Run run;
        private final HttpClient http;
        private final int threadIndex;
        private final String uri;
        private final long deadline;
        final CompletableFuture<Void> done = new CompletableFuture<>();

        Writer(Run run, HttpClient http, int threadIndex, String threadId, long deadline) {
            this.run = run;
            this.http = http;
            this.threadIndex = threadIndex;
            this.uri = "/v1/threads/" + threadId + "/events";
            this.deadline = deadline;
        }

        void next() {
            long sent = System.nanoTime();
            if (sent >= deadline) {
                done.complete(null);
                return;
            }
            // the send time travels with the event, so any subscriber can measure delivery on the same clock
            JsonObject body = new JsonObject().put("expectedVersion", "any").put("events", new JsonArray().add(new JsonObject()
                    .put("type", "message")
                    .put("message", new JsonObject().put("role", "user").put("content", "load " + sent))
                    .put("metadata", new JsonObject().put("sentAt", Long.toString(sent)))));
            http.request(HttpMethod.POST, uri)
                    .compose(request -> request.putHeader("Content-Type", "application/json").send(body.toBuffer())
                            .compose(response -> response.body().map(b -> new Answer(response.statusCode(), b))))
                    .onComplete(result -> {
                        if (result.succeeded() && result.result().status() == 200) {
                            run.appendLatency.record(System.nanoTime() - sent);
                            run.appends.incrementAndGet();
                            run.heads.accumulateAndGet(threadIndex, result.result().body().toJsonObject().getLong("lastVersion"), Math::max);
                        } else {
                            run.appendFailed(result.succeeded() ? result.result().status() + " " + result.result().body() : result.cause().toString());
                        }
                        next();
                    });
        }

        private record Answer(int status, Buffer body) {
        }
    }

    /** One WebSocket connection subscribed to one thread; checks each version follows the last one it saw. */
    private static final class Subscriber {

        private final Run run;
        final int threadIndex;
        private final String threadId;
        private WebSocket ws;
        // written on the connection's event loop only; read by main after caughtUp completes or the client closed
        long initialVersion = -1;
        long last = -1;
        long received;
        long gaps;
        long duplicates;
        long errors;
        long overflows;
        String firstError;
        private volatile long target = Long.MAX_VALUE;
        private volatile long lastSeen = -1;
        final CompletableFuture<Void> caughtUp = new CompletableFuture<>();
        private final CompletableFuture<Void> subscribed = new CompletableFuture<>();

        Subscriber(Run run, int threadIndex, String threadId) {
            this.run = run;
            this.threadIndex = threadIndex;
            this.threadId = threadId;
        }

        CompletableFuture<Void> open(WebSocketClient client, int port) {
            client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/v1/stream"))
                    .onSuccess(socket -> {
                        ws = socket;
                        socket.textMessageHandler(this::onMessage);
                        socket.writeTextMessage(new JsonObject().put("op", "subscribe").put("threadId", threadId).encode());
                    })
                    .onFailure(subscribed::completeExceptionally);
            return subscribed;
        }

        private void onMessage(String text) {
            long now = System.nanoTime();
            JsonObject m = new JsonObject(text);
            switch (m.getString("type")) {
                case "state" -> {
                    initialVersion = m.getLong("version");
                    last = initialVersion;
                    lastSeen = last;
                    subscribed.complete(null);
                }
                case "events" -> {
                    JsonArray events = m.getJsonArray("events");
                    for (int i = 0; i < events.size(); i++) {
                        JsonObject e = events.getJsonObject(i);
                        long v = e.getLong("version");
                        if (v <= last) {
                            duplicates++;
                            continue;
                        }
                        if (v != last + 1) {
                            gaps++;
                        }
                        last = v;
                        received++;
                        JsonObject metadata = e.getJsonObject("metadata");
                        if (metadata != null && metadata.getString("sentAt") != null) {
                            run.delivery.record(now - Long.parseLong(metadata.getString("sentAt")));
                        }
                    }
                    lastSeen = last;
                    checkCaughtUp();
                }
                case "overflow" -> {
                    overflows++;
                    ws.writeTextMessage(new JsonObject().put("op", "subscribe").put("threadId", threadId)
                            .put("fromVersion", m.getLong("resumeFrom")).encode());
                }
                default -> {
                    errors++;
                    if (firstError == null) {
                        firstError = text;
                    }
                    subscribed.complete(null);
                }
            }
        }

        /** Completes {@link #caughtUp} once the subscriber has seen {@code head}; called after the writers stopped. */
        void expect(long head) {
            target = head;
            checkCaughtUp();
        }

        // target and lastSeen are both volatile: whichever of the two threads writes second sees the other's write
        private void checkCaughtUp() {
            if (lastSeen >= target) {
                caughtUp.complete(null);
            }
        }
    }

    private static long usedHeapAfterGc(MemoryMXBean memory) {
        memory.gc();
        return memory.getHeapMemoryUsage().getUsed();
    }

    private static long mib(long bytes) {
        return bytes >> 20;
    }

    private static String verdict(boolean ok) {
        return ok ? "PASS" : "FAIL";
    }

    private static <T> T await(Future<T> future, int seconds) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
    }

    private static void deleteRecursively(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
