package dev.engram.benchmarks;

import dev.engram.core.Engram;
import dev.engram.core.ThreadHandle;
import dev.engram.core.config.CheckpointPolicy;
import dev.engram.core.config.EngramConfig;
import dev.engram.core.inmemory.InMemoryProvider;
import dev.engram.core.model.Appended;
import dev.engram.core.model.Change;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import reactor.core.publisher.Flux;

/**
 * Acknowledged appends per second through the embedded API. One op = one append of a pre-built ~400-character
 * message, waited for; {@link #local64Writers} issues 64 at once, one per thread, as 64 agents would.
 * {@link #memory1Writer} measures the append path alone (policy checkpoints off); {@link #memory1WriterWithCheckpoints}
 * keeps the default policy, whose background checkpoints (each encodes the whole state) compete for the same cores.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
public class AppendBenchmark {

    static final int WRITERS = 64;
    /** Appends per memory thread before the writer moves on to a new one. */
    static final int MEMORY_THREAD_LENGTH = 1000;

    /** The eight kinds of turn of the workload (user, assistant with usage or tool calls, tool result, system), pre-built. */
    static Change[] changes() {
        Change[] changes = new Change[8];
        for (int i = 0; i < changes.length; i++) {
            changes[i] = Change.message(Workload.message(i));
        }
        return changes;
    }

    @State(Scope.Benchmark)
    public static class Memory {
        private final Change[] changes = changes();
        private Engram engram;
        private ThreadHandle thread;
        private int appended;
        private int threadNumber;

        /** A fresh engine per iteration: the memory provider keeps every event, so this bounds the heap without deletes racing the checkpointer. */
        @Setup(Level.Iteration)
        public void setUp() {
            engram = Engram.open(config());
            appended = 0;
            thread = engram.thread("append-" + ++threadNumber);
        }

        Change change() {
            return changes[appended & 7];
        }

        /** Policy checkpoints are taken off the append path by design; turned off, their CPU stays out of the append figure. */
        EngramConfig config() {
            return EngramConfig.defaults().withProvider(InMemoryProvider.NAME).withStrict(true)
                    .withCheckpoints(new CheckpointPolicy(0, 0, CheckpointPolicy.DEFAULT_KEEP, false));
        }

        /** Every {@value #MEMORY_THREAD_LENGTH} appends the next conversation starts, as an agent's users come and go. */
        ThreadHandle next() {
            if (++appended == MEMORY_THREAD_LENGTH) {
                appended = 0;
                thread = engram.thread("append-" + ++threadNumber);
            }
            return thread;
        }

        @TearDown(Level.Iteration)
        public void tearDown() {
            engram.close();
        }
    }

    /** The same writer with the default checkpoint policy (every 100 events, in the background). */
    @State(Scope.Benchmark)
    public static class MemoryWithCheckpoints extends Memory {
        @Override
        EngramConfig config() {
            return EngramConfig.defaults().withProvider(InMemoryProvider.NAME).withStrict(true);
        }
    }

    @State(Scope.Benchmark)
    public static class Local {
        /** Turns per conversation: writers move to fresh threads, as the backend benchmarks do, so checkpoint size stays realistic. */
        static final int TURNS_PER_THREAD = 200;
        private final Change[] changes = changes();
        private int next;
        private int conversation;
        private Path dataDir;
        private Engram engram;
        private ThreadHandle[] threads;

        /** Called once per turn of every writer; starts new conversations every {@link #TURNS_PER_THREAD} turns. */
        Change turn() {
            if (next > 0 && next % TURNS_PER_THREAD == 0) {
                conversation++;
                for (int i = 0; i < WRITERS; i++) {
                    threads[i] = engram.thread("append-" + conversation + "-" + i);
                }
            }
            return changes[next++ & 7];
        }

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dataDir = Files.createTempDirectory("engram-bench-");
            engram = Engram.open(EngramConfig.defaults()
                    .withProvider("local")
                    .withStrict(true)
                    .withProviderOption("local", "dataDir", dataDir.toString())
                    .withProviderOption("local", "sync", "always"));
            Checks.require("local".equals(engram.provider()), "not on the local provider: " + engram.provider());
            threads = new ThreadHandle[WRITERS];
            for (int i = 0; i < WRITERS; i++) {
                threads[i] = engram.thread("append-" + i);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            try {
                engram.close();
            } finally {
                deleteRecursively(dataDir);
            }
        }
    }

    @Benchmark
    public Appended memory1Writer(Memory s) {
        return s.next().append(s.change()).block();
    }

    @Benchmark
    public Appended memory1WriterWithCheckpoints(MemoryWithCheckpoints s) {
        return s.next().append(s.change()).block();
    }

    @Benchmark
    public Appended local1Writer(Local s) {
        Change change = s.turn();
        return s.threads[0].append(change).block();
    }

    @Benchmark
    @OperationsPerInvocation(WRITERS)
    public void local64Writers(Local s) {
        Change change = s.turn();
        Flux.range(0, WRITERS).flatMap(i -> s.threads[i].append(change), WRITERS).then().block();
    }

    static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
