package dev.engram.benchmarks;

import dev.engram.core.Engram;
import dev.engram.core.ThreadHandle;
import dev.engram.core.config.EngramConfig;
import dev.engram.core.inmemory.InMemoryProvider;
import dev.engram.core.model.Change;
import dev.engram.core.model.CheckpointInfo;
import dev.engram.core.model.ThreadState;
import java.util.List;
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

/**
 * Rehydrating a thread (latest checkpoint + tail) on the {@code memory} provider with the state cache off, so every
 * {@code state()} really rebuilds the state. {@code compacted}: the agent summarises its history every
 * {@value #COMPACT_EVERY} events, so the live context stays bounded however long the log is; {@code raw}: every
 * message stays in the state, which therefore grows with the log.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class RehydrateBenchmark {

    static final int COMPACT_EVERY = 50;
    static final int KEEP_RECENT = 10;

    @Param({"100", "10000"})
    public int events;

    @Param({"compacted", "raw"})
    public String history;

    private Engram engram;
    private ThreadHandle thread;

    @Setup(Level.Trial)
    public void setUp() {
        engram = Engram.open(EngramConfig.defaults().withProvider(InMemoryProvider.NAME).withStrict(true).withCacheMaxThreads(0));
        thread = engram.thread("rehydrate-" + history + "-" + events);
        boolean compacted = switch (history) {
            case "compacted" -> true;
            case "raw" -> false;
            default -> throw new IllegalArgumentException("history is compacted or raw, got " + history);
        };
        List<Change> changes = Workload.conversation(events, compacted ? COMPACT_EVERY : 0, KEEP_RECENT);
        for (Change c : changes) {
            thread.append(c).block();
        }
        // the checkpoint the default policy (every 100 events) takes at this head, without racing its background run
        CheckpointInfo cp = thread.checkpoint().block();
        Checks.require(cp != null && cp.version() == events, "no checkpoint at the head");
        ThreadState s = thread.state().block();
        Checks.require(s != null && s.version() == events, "rehydrated the wrong version");
        int expected = compacted ? KEEP_RECENT + 1 : events - 1;
        Checks.require(s.messages().size() == expected, "expected " + expected + " messages, got " + s.messages().size());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engram.close();
    }

    @Benchmark
    public ThreadState state() {
        return thread.state().block();
    }
}
