package dev.engram.core.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.engram.core.Engram;
import dev.engram.core.codec.Codec;
import dev.engram.core.config.EngramConfig;
import dev.engram.core.model.Change;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadState;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.ThreadRecord;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;

/**
 * Kills a JVM that appends with {@code sync: always} (SIGKILL, at a random moment) again and again on the same
 * directory, and after each kill checks from a fresh engine that every acknowledged append is there, whole, with its
 * ids and bytes, that every log is gapless and made of whole batches, and that every thread folds to its head.
 */
class CrashIT {

    private static final int ITERATIONS = Integer.getInteger("engram.crash.iterations", 100);
    private static final Duration FIRST_ACK = Duration.ofSeconds(60);
    private static final Duration EXIT = Duration.ofSeconds(30);
    private static final Duration READ = Duration.ofSeconds(60);
    private static final int PAGE = 5_000;

    private final Codec codec = Codec.standard();

    @TempDir
    Path work;

    /** What has been verified of one thread so far, so each round reads only what the last child added. */
    private static final class Verified {
        long head;
        int messages;
        final Map<String, Object> values = new HashMap<>();
    }

    private record Ack(String threadId, long first, long last, List<UUID> ids) {
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void acknowledgedAppendsSurviveSigkill() throws Exception {
        Path data = work.resolve("data");
        long seed = Long.getLong("engram.crash.seed", System.nanoTime());
        Random random = new Random(seed);
        Map<String, Verified> verified = new HashMap<>();
        for (int i = 0; i < CrashWorkload.THREADS; i++) {
            verified.put(CrashWorkload.threadId(i), new Verified());
        }
        Path natives = extractRocksDbLibrary();
        long started = System.nanoTime();
        long acks = 0;
        long dedups = 0;
        long startupNanos = 0;
        long verifyNanos = 0;
        for (int round = 1; round <= ITERATIONS; round++) {
            long roundStart = System.nanoTime();
            Child child = Child.start(data, natives, work.resolve("child.err"));
            try {
                child.awaitFirstAck(round);
                startupNanos += System.nanoTime() - roundStart;
                long delay = 50 + random.nextInt(351);
                if (child.process.waitFor(delay, TimeUnit.MILLISECONDS)) {
                    fail("round " + round + ": the child exited on its own with " + child.process.exitValue() + "\n" + child.report());
                }
            } finally {
                // SIGKILL through the handle: Process.destroyForcibly would also close our end of the child's stdout
                child.process.toHandle().destroyForcibly();
            }
            if (!child.process.waitFor(EXIT.toMillis(), TimeUnit.MILLISECONDS)) {
                fail("round " + round + ": the child did not die within " + EXIT + " of SIGKILL");
            }
            child.awaitOutput(round);
            List<Ack> acked = child.acks();
            assertThat(child.errors).as("round %d: errors reported by the child\n%s", round, child.report()).isEmpty();
            acks += acked.size();
            dedups += child.dedups;
            long verifyStart = System.nanoTime();
            verify(data, verified, acked, round, false);
            verifyNanos += System.nanoTime() - verifyStart;
        }
        verify(data, verified, List.of(), ITERATIONS, true);
        long events = verified.values().stream().mapToLong(v -> v.head).sum();
        System.out.printf("CrashIT: %d kills (seed %d), %d acknowledged appends checked, %d resends deduplicated, %d events in %d threads,"
                + " %d s (per round: %d ms to the first ack, %d ms to verify)%n", ITERATIONS, seed, acks, dedups, events, CrashWorkload.THREADS,
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started), startupNanos / ITERATIONS / 1_000_000, verifyNanos / ITERATIONS / 1_000_000);
        assertThat(acks).as("acknowledged appends").isGreaterThanOrEqualTo(ITERATIONS);
    }

    /** Checks each thread from the last verified head (or from 1, when {@code full}) to its head now. */
    private void verify(Path data, Map<String, Verified> verified, List<Ack> acks, int round, boolean full) {
        EngramConfig config = EngramConfig.defaults().withProviderOption("local", "dataDir", data.toString());
        try (Engram engram = Engram.open(config)) {
            Map<String, Map<Long, EventRecord>> read = new HashMap<>();
            for (int i = 0; i < CrashWorkload.THREADS; i++) {
                String id = CrashWorkload.threadId(i);
                Verified v = full ? new Verified() : verified.get(id);
                long before = full ? 0 : v.head;
                ThreadKey key = ThreadKey.of(id);
                ThreadRecord record = engram.backend().events().find(key).block(READ);
                long head = record == null ? 0 : record.version();
                String where = "round " + round + ", " + id;
                assertThat(head).as("%s: head never goes back", where).isGreaterThanOrEqualTo(verified.get(id).head);

                List<EventRecord> events = readAll(engram, key, before + 1, head);
                assertThat(events).as("%s: events %d..%d, gapless", where, before + 1, head).hasSize((int) (head - before));
                Map<Long, EventRecord> byVersion = new HashMap<>();
                long start = before + 1;
                while (start <= head) {
                    int size = CrashWorkload.batchSize(id, start);
                    assertThat(start + size - 1).as("%s: the batch at %d is whole", where, start).isLessThanOrEqualTo(head);
                    for (int j = 0; j < size; j++) {
                        long version = start + j;
                        EventRecord e = events.get((int) (version - before - 1));
                        Change expected = CrashWorkload.change(id, version, start, size);
                        assertThat(e.version()).as("%s: version", where).isEqualTo(version);
                        assertThat(e.eventId()).as("%s: id at %d", where, version).isEqualTo(CrashWorkload.eventId(id, version));
                        assertThat(codec.decodeEvent(e.data()).change()).as("%s: change at %d", where, version).isEqualTo(expected);
                        assertThat(Arrays.equals(e.data(), codec.encodeEvent(expected, Map.of()))).as("%s: bytes at %d", where, version).isTrue();
                        if (expected instanceof Change.MessageAppended) {
                            v.messages++;
                        } else {
                            v.values.put(CrashWorkload.valueKey(version), version);
                        }
                        byVersion.put(version, e);
                    }
                    start += size;
                }
                v.head = head;
                verified.put(id, v);
                read.put(id, byVersion);

                ThreadState state = engram.thread(key).state().block(READ);
                if (head > 0) {
                    assertThat(state.version()).as("%s: folded version", where).isEqualTo(head);
                    assertThat(state.messages()).as("%s: folded messages", where).hasSize(v.messages);
                    assertThat(state.values()).as("%s: folded values", where).isEqualTo(v.values);
                } else {
                    assertThat(state).as("%s: no state before the first append", where).isNull();
                }
            }
            for (Ack ack : acks) {
                Map<Long, EventRecord> stored = read.get(ack.threadId);
                for (long version = ack.first; version <= ack.last; version++) {
                    EventRecord e = stored.get(version);
                    assertThat(e).as("round %d: acknowledged %s %d..%d is stored", round, ack.threadId, ack.first, ack.last).isNotNull();
                    assertThat(e.eventId()).as("round %d: acknowledged id at %s %d", round, ack.threadId, version)
                            .isEqualTo(ack.ids.get((int) (version - ack.first)));
                }
            }
        }
    }

    /**
     * Puts RocksDB's native library where the children's {@code System.loadLibrary} finds it: otherwise each child
     * extracts its own copy to the temp directory, and a killed JVM never deletes it.
     */
    private Path extractRocksDbLibrary() throws IOException {
        String name = Environment.getJniLibraryFileName("rocksdb");
        Path dir = Files.createDirectories(work.resolve("native"));
        try (InputStream in = RocksDB.class.getClassLoader().getResourceAsStream(name)) {
            assertThat(in).as("native library %s on the class path", name).isNotNull();
            Files.copy(in, dir.resolve(name));
        }
        return dir;
    }

    private static List<EventRecord> readAll(Engram engram, ThreadKey key, long from, long to) {
        List<EventRecord> all = new ArrayList<>();
        long next = from;
        while (next <= to) {
            List<EventRecord> page = engram.backend().events().read(key, next, to, PAGE).collectList().block(READ);
            if (page.isEmpty()) {
                break;
            }
            all.addAll(page);
            next = page.get(page.size() - 1).version() + 1;
        }
        return all;
    }

    /** A writer JVM and what it printed. */
    private static final class Child {
        final Process process;
        final Path stderr;
        final CountDownLatch firstAck = new CountDownLatch(1);
        final CountDownLatch ended = new CountDownLatch(1);
        final List<String> lines = new ArrayList<>();
        final List<String> errors = new ArrayList<>();
        int dedups;

        private Child(Process process, Path stderr) {
            this.process = process;
            this.stderr = stderr;
        }

        static Child start(Path data, Path natives, Path stderr) throws IOException {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-Xmx256m", "-XX:+UseSerialGC",
                    "-XX:-UsePerfData", "-Djava.library.path=" + natives, "-cp", System.getProperty("java.class.path"),
                    CrashChild.class.getName(), data.toString())
                    .redirectError(stderr.toFile());
            Child child = new Child(pb.start(), stderr);
            Thread reader = new Thread(child::readOutput, "crash-child-stdout");
            reader.setDaemon(true);
            reader.start();
            return child;
        }

        private void readOutput() {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    synchronized (this) {
                        lines.add(line);
                    }
                    if (line.startsWith("ACK ")) {
                        firstAck.countDown();
                    }
                }
            } catch (IOException e) {
                synchronized (this) {
                    errors.add("reading the child's output: " + e);
                }
            } finally {
                ended.countDown();
            }
        }

        void awaitFirstAck(int round) throws InterruptedException {
            if (!firstAck.await(FIRST_ACK.toMillis(), TimeUnit.MILLISECONDS)) {
                fail("round " + round + ": no acknowledgement from the child within " + FIRST_ACK + "\n" + report());
            }
        }

        void awaitOutput(int round) throws InterruptedException {
            if (!ended.await(EXIT.toMillis(), TimeUnit.MILLISECONDS)) {
                fail("round " + round + ": the child's output did not end within " + EXIT + " of its death");
            }
        }

        /** The acknowledgements; a line cut short by the kill is an acknowledgement we cannot read, so it is skipped. */
        synchronized List<Ack> acks() {
            List<Ack> acks = new ArrayList<>();
            for (String line : lines) {
                String[] p = line.split(" ");
                if (p[0].equals("ERROR")) {
                    errors.add(line);
                } else if (p[0].equals("DEDUP")) {
                    dedups++;
                } else if (p[0].equals("ACK") && p.length >= 4) {
                    long first = Long.parseLong(p[2]);
                    long last = Long.parseLong(p[3]);
                    if (p.length == 4 + last - first + 1 && p[p.length - 1].length() == 36) {
                        List<UUID> ids = Arrays.stream(p, 4, p.length).map(UUID::fromString).toList();
                        acks.add(new Ack(p[1], first, last, ids));
                    }
                }
            }
            return acks;
        }

        String report() {
            String err;
            try {
                err = Files.exists(stderr) ? Files.readString(stderr) : "";
            } catch (IOException e) {
                err = "(cannot read stderr: " + e + ")";
            }
            synchronized (this) {
                List<String> tail = lines.subList(Math.max(0, lines.size() - 20), lines.size());
                return "stdout (last lines):\n" + String.join("\n", tail) + "\nstderr:\n"
                        + (err.length() > 4000 ? err.substring(err.length() - 4000) : err);
            }
        }
    }
}
