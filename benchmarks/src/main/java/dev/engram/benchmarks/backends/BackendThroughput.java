package dev.engram.benchmarks.backends;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the backend append benchmarks in one JMH run (the arguments are JMH's, e.g. {@code -f 1 -wi 2 -w 2s -i 3 -r 3s})
 * and prints, per backend and writer count, Engram's and the plain driver's appends per second and their ratio, with
 * PASS/FAIL for "Engram with 64 writers at least 50% of the plain driver". The plain driver issues the same write as
 * Engram, one call per append: Redis its append script ({@code EVALSHA}), PostgreSQL an {@code INSERT}, MongoDB an
 * {@code insertOne}. Exits 1 when a target is missed.
 */
public final class BackendThroughput {

    static final double TARGET = 0.5;
    private static final String INCLUDE = "dev\\.engram\\.benchmarks\\.backends\\..*AppendBenchmark\\..*";

    private BackendThroughput() {
    }

    public static void main(String[] args) throws Exception {
        CommandLineOptions cli = new CommandLineOptions(args);
        OptionsBuilder options = new OptionsBuilder();
        options.parent(cli);
        if (cli.getIncludes().isEmpty()) {
            options.include(INCLUDE);
        }
        Collection<RunResult> results = new Runner(options.build()).run();

        // backend -> method -> [mean, median]
        Map<String, Map<String, double[]>> scores = new TreeMap<>();
        for (RunResult r : results) {
            String benchmark = r.getParams().getBenchmark();
            String[] parts = benchmark.split("\\.");
            String backend = parts[parts.length - 2].replace("AppendBenchmark", "").toLowerCase(Locale.ROOT);
            List<Double> iterations = new ArrayList<>();
            for (BenchmarkResult b : r.getBenchmarkResults()) {
                for (IterationResult i : b.getIterationResults()) {
                    iterations.add(i.getPrimaryResult().getScore());
                }
            }
            scores.computeIfAbsent(backend, k -> new TreeMap<>())
                    .put(parts[parts.length - 1], new double[] {r.getPrimaryResult().getScore(), median(iterations)});
        }
        System.out.println();
        System.out.println("Append throughput, appends/s (median of the measurement iterations; JMH's mean in brackets)");
        System.out.println("plain driver: the same write, one call per append (redis: EVALSHA of the append script; postgres: INSERT; mongo: insertOne)");
        System.out.printf(Locale.ROOT, "%-9s | %7s | %22s | %22s | %12s | %s%n", "backend", "writers", "Engram", "plain driver",
                "Engram/plain", "target (64 writers >= 50%)");
        boolean failed = false;
        for (Map.Entry<String, Map<String, double[]>> e : scores.entrySet()) {
            for (String writers : List.of("1", "64")) {
                double[] engram = e.getValue().get("engram" + writers);
                double[] plain = e.getValue().get("plain" + writers);
                if (engram == null || plain == null) {
                    continue;
                }
                double ratio = engram[1] / plain[1];
                String verdict = "-";
                if (writers.equals("64")) {
                    verdict = ratio >= TARGET ? "PASS" : "FAIL";
                    failed |= ratio < TARGET;
                }
                System.out.printf(Locale.ROOT, "%-9s | %7s | %10.0f [%9.0f] | %10.0f [%9.0f] | %11.0f%% | %s (mean ratio %.0f%%)%n",
                        e.getKey(), writers, engram[1], engram[0], plain[1], plain[0], 100 * ratio, verdict, 100 * engram[0] / plain[0]);
            }
        }
        // a backend may measure more plain writes for scale (Redis: an XADD, a stream append without the checks)
        for (Map.Entry<String, Map<String, double[]>> e : scores.entrySet()) {
            for (String writers : List.of("1", "64")) {
                double[] engram = e.getValue().get("engram" + writers);
                double[] xadd = e.getValue().get("xadd" + writers);
                if (engram != null && xadd != null) {
                    System.out.printf(Locale.ROOT, "%-9s | %7s | %10.0f [%9.0f] | %10.0f [%9.0f] | %11.0f%% | info: plain driver = XADD of the same record, none of the checks%n",
                            e.getKey(), writers, engram[1], engram[0], xadd[1], xadd[0], 100 * engram[1] / xadd[1]);
                }
            }
        }
        System.exit(failed ? 1 : 0);
    }

    private static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(v);
        return v.length == 0 ? Double.NaN : v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
