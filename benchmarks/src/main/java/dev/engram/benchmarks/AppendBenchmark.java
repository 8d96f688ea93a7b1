package dev.engram.benchmarks;

import dev.engram.core.Engram;
import dev.engram.core.ThreadHandle;
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
 * Acknowledged appends per second through the embedded API with the default engine settings (state cache on,
 * policy checkpoints every 100 events in the background). One op = one append of a pre-built ~400-character
 * message, waited for; {@link #local64Writers} issues 64 at once, one per thread, as 64 agents would.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
public class AppendBenchmark {

    static final int WRITERS = 64;
    /** Appends per memory thread before the writer moves on to a new one. */
    static final int MEMORY_THREAD_LENGTH = 1000;

    static Change change() {
        return Change.message(Workload.message(1));
    }

    @State(Scope.Benchmark)
    public static class Memory {
        private final Change change = change();
        private Engram engram;
        private ThreadHandle thread;
        private int appended;
        private int threadNumber;

        /** A fresh engine per iteration: the memory provider keeps every event, so this bounds the heap without deletes racing the checkpointer. */
        @Setup(Level.Iteration)
        public void setUp() {
            engram = Engram.open(EngramConfig.defaults().withProvider(InMemoryProvider.NAME).withStrict(true));
            appended = 0;
            thread = engram.thread("append-" + ++threadNumber);
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

    @State(Scope.Benchmark)
    public static class Local {
        private final Change change = change();
        private Path dataDir;
        private Engram engram;
        private ThreadHandle[] threads;

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
        return s.next().append(s.change).block();
    }

    @Benchmark
    public Appended local1Writer(Local s) {
        return s.threads[0].append(s.change).block();
    }

    @Benchmark
    @OperationsPerInvocation(WRITERS)
    public void local64Writers(Local s) {
        Flux.range(0, WRITERS).flatMap(i -> s.threads[i].append(s.change), WRITERS).then().block();
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
