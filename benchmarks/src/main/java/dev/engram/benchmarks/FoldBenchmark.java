package dev.engram.benchmarks;

import dev.engram.core.model.Change;
import dev.engram.core.model.ThreadState;
import java.time.Instant;
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

/** Folding one appended message into a state: must cost the size of the event, not of the state. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class FoldBenchmark {

    @Param({"10", "10000"})
    public int messages;

    private ThreadState state;
    private long nextVersion;
    private Instant at;
    private Change change;

    @Setup(Level.Trial)
    public void setUp() {
        state = Workload.state(messages);
        nextVersion = state.version() + 1;
        at = state.updatedAt().plusSeconds(1);
        change = Change.message(Workload.message(messages));
        Checks.require(state.apply(nextVersion, at, change).messages().size() == messages + 1, "fold did not add the message");
    }

    @Benchmark
    public ThreadState applyMessage() {
        return state.apply(nextVersion, at, change);
    }
}
