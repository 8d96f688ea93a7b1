package dev.engram.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a JMH JSON result file and prints every score, then the ratios against Engram's targets with PASS/FAIL.
 * Ratios are only meaningful between scores of the same run, and use each benchmark's best measured iteration
 * (least time, most throughput): on a shared machine other processes only ever add time, so the best iteration is
 * the steadiest estimate of the code's own cost; the means are printed beside them. Exits 1 when a target is
 * missed, 0 otherwise (a target whose benchmarks were not run is reported as n/a).
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.engram.benchmarks.Report benchmarks/target/results.json}
 */
public final class Report {

    /** One JMH score: {@code value} is the best iteration, {@code mean} and {@code error} JMH's own figures. */
    record Score(double value, double mean, double error, String unit) {
    }

    private final Map<String, Score> scores = new LinkedHashMap<>();
    private final List<String[]> rows = new ArrayList<>();
    private int failed;

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: Report <jmh-results.json>");
            System.exit(2);
        }
        Report report = new Report(new ObjectMapper().readTree(Path.of(args[0]).toFile()));
        report.print();
        System.exit(report.failed > 0 ? 1 : 0);
    }

    Report(JsonNode results) {
        for (JsonNode r : results) {
            String name = r.get("benchmark").asText();
            name = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
            Map<String, String> params = new TreeMap<>();
            JsonNode p = r.get("params");
            if (p != null) {
                for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    params.put(e.getKey(), e.getValue().asText());
                }
            }
            JsonNode m = r.get("primaryMetric");
            boolean timed = !"thrpt".equals(r.get("mode").asText());
            double mean = m.get("score").asDouble();
            double best = Double.NaN;
            for (JsonNode fork : m.path("rawData")) {
                for (JsonNode iteration : fork) {
                    double v = iteration.asDouble();
                    best = Double.isNaN(best) ? v : timed ? Math.min(best, v) : Math.max(best, v);
                }
            }
            scores.put(key(name, params), new Score(Double.isNaN(best) ? mean : best, mean, m.get("scoreError").asDouble(), m.get("scoreUnit").asText()));
        }
    }

    private static String key(String name, Map<String, String> params) {
        StringBuilder sb = new StringBuilder(name);
        params.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
        return sb.toString();
    }

    private Score get(String name, String... params) {
        Map<String, String> map = new TreeMap<>();
        for (int i = 0; i < params.length; i += 2) {
            map.put(params[i], params[i + 1]);
        }
        return scores.get(key(name, map));
    }

    void print() {
        System.out.println();
        System.out.println("All scores: best iteration, then JMH's mean ± 99.9% confidence half-width");
        scores.forEach((k, s) -> System.out.printf(Locale.ROOT, "  %-58s %12s   %12s ± %-10s %s%n", k, num(s.value), num(s.mean), num(s.error), s.unit));

        for (String size : new String[] {"10", "200", "2000"}) {
            for (String op : new String[] {"Encode", "Decode", "RoundTrip"}) {
                Score kryo = get("CodecBenchmark.kryo" + op, "messages", size);
                Score json = get("CodecBenchmark.jackson" + op, "messages", size);
                boolean target = size.equals("200") && op.equals("RoundTrip");
                speedup("Codec " + op.toLowerCase(Locale.ROOT) + ", " + size + " msgs: Jackson time / Kryo time",
                        json, kryo, target ? 3.0 : Double.NaN);
            }
        }
        slowdown("Fold one message: 10,000-msg state / 10-msg state",
                get("FoldBenchmark.applyMessage", "messages", "10000"), get("FoldBenchmark.applyMessage", "messages", "10"), 2.0);
        slowdown("Rehydrate, compacted every 50: 10,000 / 100 events",
                get("RehydrateBenchmark.state", "events", "10000", "history", "compacted"),
                get("RehydrateBenchmark.state", "events", "100", "history", "compacted"), 3.0);
        slowdown("Rehydrate, raw (state grows): 10,000 / 100 events",
                get("RehydrateBenchmark.state", "events", "10000", "history", "raw"),
                get("RehydrateBenchmark.state", "events", "100", "history", "raw"), Double.NaN);
        atLeast("Append, memory, 1 writer (appends/s)", get("AppendBenchmark.memory1Writer"), 500_000);
        Score one = get("AppendBenchmark.local1Writer");
        Score many = get("AppendBenchmark.local64Writers");
        atLeast("Append, local sync=always, 1 writer (appends/s)", one, Double.NaN);
        atLeast("Append, local sync=always, 64 writers (appends/s)", many, 20_000);
        speedup("Append, local sync=always: 64 writers / 1 writer", many, one, 10.0);
        Score off = get("ExtractionBenchmark.local64Writers", "extraction", "off", "modelLatencyMs", "300");
        speedup("Append, local, 64 writers: extraction on / off (model 300 ms)",
                get("ExtractionBenchmark.local64Writers", "extraction", "on", "modelLatencyMs", "300"), off, 0.9);
        speedup("Append, local, 64 writers: extraction on / off (model 0 ms)",
                get("ExtractionBenchmark.local64Writers", "extraction", "on", "modelLatencyMs", "0"),
                get("ExtractionBenchmark.local64Writers", "extraction", "off", "modelLatencyMs", "0"), Double.NaN);
        atMost("Recall, 10,000 items, lexical (ms per search)", get("RecallBenchmark.search", "ranking", "lexical"), 20);
        atMost("Recall, 10,000 items, 1536-d vectors (ms per search)", get("RecallBenchmark.search", "ranking", "vector"), 20);

        System.out.println();
        System.out.println("Targets (ratios of best iterations):");
        String format = "  %-58s %-32s %8s  %-11s %s%n";
        System.out.printf(Locale.ROOT, format, "Measure", "Scores", "Ratio", "Target", "Result");
        for (String[] row : rows) {
            System.out.printf(Locale.ROOT, format, (Object[]) row);
        }
        System.out.println();
        System.out.println(failed == 0 ? "All targets met (or not run)." : failed + " target(s) missed.");
    }

    /** {@code ratio = big / small}, where bigger is better for the engine, e.g. Jackson's time over Kryo's. */
    private void speedup(String what, Score big, Score small, double min) {
        if (big == null || small == null) {
            rows.add(new String[] {what, "not run", "", goal(">=", min), "n/a"});
            return;
        }
        double ratio = big.value / small.value;
        rows.add(new String[] {what, num(big.value) + " vs " + num(small.value) + " " + big.unit, fmt(ratio), goal(">=", min), verdict(Double.isNaN(min) || ratio >= min, min)});
    }

    /** {@code ratio = big / small}, where smaller is better, e.g. the large thread's time over the small one's. */
    private void slowdown(String what, Score big, Score small, double max) {
        if (big == null || small == null) {
            rows.add(new String[] {what, "not run", "", goal("<=", max), "n/a"});
            return;
        }
        double ratio = big.value / small.value;
        rows.add(new String[] {what, num(big.value) + " vs " + num(small.value) + " " + big.unit, fmt(ratio), goal("<=", max), verdict(Double.isNaN(max) || ratio <= max, max)});
    }

    private void atMost(String what, Score s, double max) {
        if (s == null) {
            rows.add(new String[] {what, "not run", "", "<= " + num(max), "n/a"});
            return;
        }
        rows.add(new String[] {what, num(s.value) + " " + s.unit, "", "<= " + num(max), verdict(s.value <= max, max)});
    }

    private void atLeast(String what, Score s, double min) {
        if (s == null) {
            rows.add(new String[] {what, "not run", "", Double.isNaN(min) ? "-" : ">= " + num(min), "n/a"});
            return;
        }
        rows.add(new String[] {what, num(s.value) + " " + s.unit, "", Double.isNaN(min) ? "-" : ">= " + num(min), verdict(Double.isNaN(min) || s.value >= min, min)});
    }

    private String verdict(boolean ok, double target) {
        if (Double.isNaN(target)) {
            return "info";
        }
        if (!ok) {
            failed++;
        }
        return ok ? "PASS" : "FAIL";
    }

    private static String goal(String op, double v) {
        return Double.isNaN(v) ? "-" : op + " " + fmt(v);
    }

    private static String fmt(double ratio) {
        return String.format(Locale.ROOT, "%.2fx", ratio);
    }

    private static String num(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Math.abs(v) >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (Math.abs(v) >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.3f", v);
    }
}
