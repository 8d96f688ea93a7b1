package dev.engram.benchmarks;

import dev.engram.core.Engram;
import dev.engram.core.config.EngramConfig;
import dev.engram.core.memory.MemoryHit;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.MemorySearch;
import dev.engram.core.memory.MemoryWrite;
import dev.engram.core.memory.Namespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import reactor.core.publisher.Flux;

/**
 * Recall latency: one search of a user's {@value #ITEMS} facts, on the default {@code local} provider, ranked
 * lexically (BM25) or by cosine similarity over {@value #DIMENSIONS}-dimension vectors (the size of common embedding
 * models). The vectors come from {@link HashingEmbedder}, an in-process stand-in for a model, so the figure is the
 * engine's own cost: fetching the user's items, filtering and ranking them. Target: within 20 ms.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class RecallBenchmark {

    static final int ITEMS = 10_000;
    static final int DIMENSIONS = 1536;
    static final Namespace FACTS = Namespace.of("user-42", "facts");
    private static final String[] QUERIES = {"refund for the delayed order", "preferred delivery window", "payment card ending",
        "warehouse in Berlin", "open support tickets", "voucher for the inconvenience"};

    @State(Scope.Benchmark)
    public static class Store {

        @Param({"lexical", "vector"})
        public String ranking;

        private Path dataDir;
        private Engram engram;
        private int next;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dataDir = Files.createTempDirectory("engram-recall-");
            EngramConfig config = EngramConfig.defaults().withProvider("local").withStrict(true)
                    .withProviderOption("local", "dataDir", dataDir.toString())
                    .withProviderOption("local", "sync", "never");
            Engram.Builder builder = Engram.builder(config);
            if (ranking.equals("vector")) {
                builder.embedder(new HashingEmbedder(DIMENSIONS));
            }
            engram = builder.open();
            SplittableRandom rnd = new SplittableRandom(42);
            Flux.range(0, ITEMS)
                    .flatMap(i -> engram.memories().put(MemoryWrite.of(MemoryKey.of(FACTS, "fact-" + i),
                            Map.of("text", Workload.sentence(rnd.split(), 12 + i % 20), "n", (long) i))), 64)
                    .then().block();
        }

        MemorySearch nextSearch() {
            return MemorySearch.under(FACTS).query(QUERIES[next++ % QUERIES.length]).limit(10);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            try {
                engram.close();
            } finally {
                AppendBenchmark.deleteRecursively(dataDir);
            }
        }
    }

    @Benchmark
    public List<MemoryHit> search(Store s) {
        List<MemoryHit> hits = s.engram.memories().search(s.nextSearch()).block();
        Checks.require(hits != null && hits.size() == 10, "expected 10 hits");
        return hits;
    }
}
