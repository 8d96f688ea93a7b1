package dev.engram.benchmarks;

import dev.engram.core.codec.Codec;
import dev.engram.core.model.ThreadState;
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

/** Checkpoint encoding: the engine's Kryo codec against a plain Jackson mapping of the same state. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class CodecBenchmark {

    @Param({"10", "200", "2000"})
    public int messages;

    private final Codec kryo = Codec.standard();
    private final JsonStateMapper jackson = new JsonStateMapper();
    private ThreadState state;
    private byte[] kryoBytes;
    private byte[] jsonBytes;

    @Setup(Level.Trial)
    public void setUp() {
        state = Workload.state(messages);
        kryoBytes = kryo.encodeState(state);
        jsonBytes = jackson.encode(state);
        // both sides must carry the whole state, or the comparison means nothing
        Checks.require(state.equals(kryo.decodeState(Workload.KEY, kryoBytes)), "Kryo round trip changed the state");
        Checks.require(state.equals(jackson.decode(Workload.KEY, jsonBytes)), "Jackson round trip changed the state");
    }

    @Benchmark
    public byte[] kryoEncode() {
        return kryo.encodeState(state);
    }

    @Benchmark
    public ThreadState kryoDecode() {
        return kryo.decodeState(Workload.KEY, kryoBytes);
    }

    @Benchmark
    public ThreadState kryoRoundTrip() {
        return kryo.decodeState(Workload.KEY, kryo.encodeState(state));
    }

    @Benchmark
    public byte[] jacksonEncode() {
        return jackson.encode(state);
    }

    @Benchmark
    public ThreadState jacksonDecode() {
        return jackson.decode(Workload.KEY, jsonBytes);
    }

    @Benchmark
    public ThreadState jacksonRoundTrip() {
        return jackson.decode(Workload.KEY, jackson.encode(state));
    }
}
