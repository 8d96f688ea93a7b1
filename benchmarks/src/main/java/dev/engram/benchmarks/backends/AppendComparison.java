package dev.engram.benchmarks.backends;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import reactor.core.publisher.Mono;

/**
 * The four measurements every backend comparison makes: Engram's append and the plain driver's write, with one
 * writer and with {@link Writers#MAX}. JMH generates these benchmarks for each concrete subclass.
 */
abstract class AppendComparison {

    /** Appends one turn through Engram for writer {@code w}. */
    abstract Mono<?> engramAppend(int w);

    /** Writes the same turn for writer {@code w} with the driver alone. */
    abstract Mono<?> plainAppend(int w);

    @Benchmark
    public void engram1() {
        Writers.run(1, this::engramAppend);
    }

    @Benchmark
    @OperationsPerInvocation(Writers.MAX)
    public void engram64() {
        Writers.run(Writers.MAX, this::engramAppend);
    }

    @Benchmark
    public void plain1() {
        Writers.run(1, this::plainAppend);
    }

    @Benchmark
    @OperationsPerInvocation(Writers.MAX)
    public void plain64() {
        Writers.run(Writers.MAX, this::plainAppend);
    }
}
