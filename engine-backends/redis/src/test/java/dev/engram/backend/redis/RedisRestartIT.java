package dev.engram.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.BackendUnavailableException;
import dev.engram.core.config.ProviderOptions;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.BackendContext;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.LogAppended;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.Disposable;

/**
 * A private redis-server (AOF, fsync on every write) killed in the middle of concurrent appends and started again:
 * appends fail with BackendUnavailableException within the command timeout while it is down, the same backend
 * recovers without a restart, every acknowledged append is there, and no batch is half-written.
 */
class RedisRestartIT {

    private static final int WRITERS = 6;
    private static final int BATCH = 3;
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(1);

    /** One acknowledged batch: where it went and what it held. */
    private record Acked(ThreadKey key, LogAppended versions, List<UUID> ids) {
    }

    @Test
    void aKilledAndRestartedServerLosesNoAcknowledgedAppend(@TempDir Path dir) throws Exception {
        int port = RedisServerProcess.freePort();
        Path data = Files.createDirectories(dir.resolve("data"));
        RedisServerProcess server = RedisServerProcess.start(port, data, "--appendonly", "yes", "--appendfsync", "always");
        Backend backend = null;
        Backend watcher = null;
        Disposable watch = null;
        try {
            ProviderOptions options = new ProviderOptions("providers.redis", Map.of("url", server.url(), "keyPrefix", "restart",
                    "commandTimeout", "1s", "connectTimeout", "1s"));
            backend = new RedisProvider().create(new BackendContext(options, Clock.systemUTC()));
            watcher = new RedisProvider().create(new BackendContext(options, Clock.systemUTC()));
            List<ThreadKey> threads = new ArrayList<>();
            for (int i = 0; i < WRITERS; i++) {
                threads.add(ThreadKey.of("restart", "writer-" + i));
            }
            CopyOnWriteArrayList<Long> heads = new CopyOnWriteArrayList<>();
            watch = watcher.changes().heads(threads.get(0)).subscribe(heads::add);

            Queue<Acked> acked = new ConcurrentLinkedQueue<>();
            Queue<Long> failureMillis = new ConcurrentLinkedQueue<>();
            Queue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger batchNumber = new AtomicInteger();
            Backend writerBackend = backend;
            List<Thread> writers = new ArrayList<>();
            for (ThreadKey key : threads) {
                Thread t = new Thread(() -> {
                    while (!stop.get()) {
                        int n = batchNumber.incrementAndGet();
                        List<EventRecord> events = new ArrayList<>();
                        for (int i = 0; i < BATCH; i++) {
                            byte[] payload = ByteBuffer.allocate(8).putInt(n).putInt(i).array();
                            events.add(new EventRecord(0, UUID.randomUUID(), "load", System.currentTimeMillis(), payload));
                        }
                        long started = System.nanoTime();
                        try {
                            LogAppended a = writerBackend.events().append(new LogAppend(key, ExpectedVersion.any(), events, Map.of(), null,
                                    System.currentTimeMillis())).block(Duration.ofSeconds(30));
                            acked.add(new Acked(key, a, events.stream().map(EventRecord::eventId).toList()));
                        } catch (BackendUnavailableException e) {
                            failureMillis.add((System.nanoTime() - started) / 1_000_000);
                        } catch (Throwable e) {
                            unexpected.add(e);
                        }
                    }
                }, "writer-" + key.threadId());
                t.start();
                writers.add(t);
            }

            awaitUntil(() -> acked.size() >= 300, Duration.ofSeconds(30), "300 appends acknowledged before the kill");
            server.kill();
            int ackedBeforeRestart = acked.size();
            awaitUntil(() -> failureMillis.size() >= WRITERS, Duration.ofSeconds(30), "appends failing while the server is down");
            server.start();
            awaitUntil(() -> acked.size() >= ackedBeforeRestart + 300, Duration.ofSeconds(60),
                    "300 more appends acknowledged by the same backend after the restart");
            stop.set(true);
            for (Thread t : writers) {
                t.join(Duration.ofSeconds(30).toMillis());
            }

            assertThat(unexpected).as("failures other than BackendUnavailableException").isEmpty();
            assertThat(failureMillis).as("appends failed within the command timeout (plus scheduling slack)")
                    .allSatisfy(ms -> assertThat(ms).isLessThan(COMMAND_TIMEOUT.toMillis() + 3000));

            Map<ThreadKey, List<Acked>> byThread = acked.stream().collect(Collectors.groupingBy(Acked::key));
            for (ThreadKey key : threads) {
                List<EventRecord> log = backend.events().read(key, 1, Long.MAX_VALUE, Integer.MAX_VALUE).collectList().block();
                long head = backend.events().find(key).block().version();
                assertThat(log).extracting(EventRecord::version).as("%s is gapless", key)
                        .isEqualTo(java.util.stream.LongStream.rangeClosed(1, head).boxed().toList());
                for (Acked a : byThread.getOrDefault(key, List.of())) {
                    for (int i = 0; i < BATCH; i++) {
                        assertThat(log.get((int) (a.versions().firstVersion() - 1 + i)).eventId())
                                .as("acknowledged event at %s v%d", key, a.versions().firstVersion() + i)
                                .isEqualTo(a.ids().get(i));
                    }
                }
                // batches are whole: each batch number appears with all of its events, consecutively, or not at all
                Map<Integer, List<EventRecord>> batches = log.stream()
                        .collect(Collectors.groupingBy(e -> ByteBuffer.wrap(e.data()).getInt()));
                assertThat(batches.values()).allSatisfy(b -> {
                    assertThat(b).hasSize(BATCH);
                    assertThat(b.get(BATCH - 1).version() - b.get(0).version()).isEqualTo(BATCH - 1);
                });
            }
            long finalHead = backend.events().find(threads.get(0)).block().version();
            awaitUntil(() -> !heads.isEmpty() && heads.get(heads.size() - 1) == finalHead, Duration.ofSeconds(20),
                    "the watcher's feed reaches the final head " + finalHead + " after the reconnect");
            System.out.printf("restart: %d acknowledged batches, %d failed while down%n", acked.size(), failureMillis.size());
        } finally {
            if (watch != null) {
                watch.dispose();
            }
            if (backend != null) {
                backend.close().block(Duration.ofSeconds(10));
            }
            if (watcher != null) {
                watcher.close().block(Duration.ofSeconds(10));
            }
            server.close();
        }
    }

    private static void awaitUntil(java.util.function.BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            RedisServerProcess.pause();
        }
    }
}
