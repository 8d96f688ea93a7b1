package dev.engram.core.codec;

import dev.engram.core.memory.MemoryItem;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.Namespace;
import dev.engram.core.memory.Provenance;
import dev.engram.core.model.Change;
import dev.engram.core.model.Message;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadState;
import dev.engram.core.spi.MemoryRecord;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The objects behind the golden corpus: each case of format {@code n} names the file under {@code codec/vn/} that holds
 * its encoding in that format. Each format keeps every case of the one before and may add its own. Never change or
 * remove a case: its file is the frozen encoding that every later build must still read.
 */
final class GoldenCases {

    static final ThreadKey KEY = new ThreadKey("acme", "user-42:chat-7", "planner");

    /** One corpus entry: the file {@code name + ".bin"} decodes to {@code expected}. */
    record GoldenCase(String name, Object expected) {

        String fileName() {
            return name + ".bin";
        }

        byte[] encode(Codec codec) {
            return encode(codec, expected);
        }

        static byte[] encode(Codec codec, Object value) {
            if (value instanceof Codec.EventPayload p) {
                return codec.encodeEvent(p.change(), p.metadata());
            }
            if (value instanceof Memory m) {
                return codec.encodeMemory(m.toRecord());
            }
            return codec.encodeState((ThreadState) value);
        }

        Object decode(Codec codec, byte[] blob) {
            if (expected instanceof Codec.EventPayload) {
                return codec.decodeEvent(blob);
            }
            if (expected instanceof Memory) {
                return Memory.of(codec.decodeMemory(blob));
            }
            return codec.decodeState(KEY, blob);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** A memory record as a value: {@link MemoryRecord} compares its vector by identity, this by content. */
    record Memory(MemoryItem item, @Nullable List<Float> vector) {

        static Memory of(MemoryRecord record) {
            float[] v = record.vector();
            if (v == null) {
                return new Memory(record.item(), null);
            }
            Float[] boxed = new Float[v.length];
            for (int i = 0; i < v.length; i++) {
                boxed[i] = v[i];
            }
            return new Memory(record.item(), List.of(boxed));
        }

        MemoryRecord toRecord() {
            if (vector == null) {
                return new MemoryRecord(item, null);
            }
            float[] v = new float[vector.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = vector.get(i);
            }
            return new MemoryRecord(item, v);
        }
    }

    private GoldenCases() {
    }

    /** The cases whose files format {@code format} has. */
    static List<GoldenCase> forFormat(int format) {
        return switch (format) {
            case 1 -> format1();
            case 2 -> format2();
            default -> throw new IllegalArgumentException("no golden cases for format " + format);
        };
    }

    private static List<GoldenCase> format1() {
        return List.of(
                event("event-message-minimal", Change.message(Message.user("hi")), Map.of()),
                event("event-message-all-fields", Change.message(new Message("tool", "42 °C in Zürich", "weather",
                        "call_7", "msg-0001", attributes())), Map.of("source", "api", "traceId", "4bf92f3577b34da6")),
                event("event-message-unicode", Change.message(Message.assistant(
                        "héllo 👋🏽 世界 — ∑ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢, a NUL \u0000 and a tab \t").withName("Zoë 🤖")),
                        Map.of("lang", "日本語")),
                event("event-message-empty-strings", Change.message(new Message("user", "", "", "", "", Map.of("", ""))),
                        Map.of("note", "")),
                event("event-values-set-all-types", Change.set(allValueTypes()), Map.of()),
                event("event-values-set-nested", Change.set(nested()), Map.of("origin", "tool")),
                event("event-values-removed", Change.remove("b", "a", "ünïcode", ""), Map.of()),
                event("event-messages-compacted", Change.compact(40, Message.system("Summary: the user planned a trip to Lisbon.")
                        .withAttributes(Map.of("summarised", 40L, "model", "small"))), Map.of("by", "compactor")),
                event("event-custom", Change.custom("app.tool-result", new byte[] {0, 1, 127, -128, -1, 10}),
                        Map.of("contentType", "application/octet-stream")),
                event("event-custom-empty", Change.custom("app.ping", new byte[0]), Map.of()),
                state("state-empty", ThreadState.empty(KEY)),
                state("state-summary-and-values", conversation()),
                state("state-before-epoch", ThreadState.of(KEY, 3,
                        List.of(new ThreadState.Entry(2, Message.user("old"))), Map.of("flag", true),
                        Instant.parse("1969-12-31T23:59:59.000000001Z"))),
                memory("memory-fact-with-provenance-and-vector", new MemoryItem(
                        new MemoryKey("acme", Namespace.of("users", "ada", "prefs"), "units"),
                        Map.of("text", "Ada in Zürich prefers “metric” units — always", "confidence", 0.9, "tags", List.of("units", "ü")),
                        MemoryItem.FACT, new Provenance(KEY, 3, 8, "openai-compatible", "gpt-4o-mini"),
                        Instant.parse("2024-05-01T10:15:30.123Z"), Instant.parse("2024-05-02T08:00:00Z"),
                        Instant.parse("2025-05-01T00:00:00Z")), List.of(0.6f, -0.8f, 0.0f, Float.MIN_VALUE)),
                memory("memory-minimal", new MemoryItem(new MemoryKey("default", Namespace.of("n"), "k"), Map.of(), "other",
                        null, Instant.parse("1969-12-31T23:59:59.999Z"), Instant.EPOCH, null), null));
    }

    /** Format 2 changed how strings are written: cases at the edges of its Latin-1 and UTF-16 encodings. */
    private static List<GoldenCase> format2() {
        List<GoldenCase> cases = new ArrayList<>(format1());
        cases.add(event("event-strings-latin1-and-utf16", Change.message(new Message("user",
                "café, naïve, ÿ and a NUL \u0000: all Latin-1", "Ā", null, "m-ÿ", stringEdges())), Map.of("ÿ", "Ā")));
        cases.add(state("state-long-strings", ThreadState.empty(KEY)
                .apply(1, Instant.parse("2024-05-01T10:15:30Z"), Change.message(Message.user("é".repeat(5_000))))
                .apply(2, Instant.parse("2024-05-01T10:15:31Z"), Change.message(Message.assistant("a".repeat(4_999) + "—")))));
        return List.copyOf(cases);
    }

    private static Map<String, Object> stringEdges() {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("latin1Max", "\u00FF");
        a.put("utf16Min", "\u0100");
        a.put("utf16Late", "x".repeat(70) + "€");
        a.put("surrogatePair", "😀");
        a.put("loneSurrogate", "a\uD800b");
        a.put("empty", "");
        return a;
    }

    private static GoldenCase memory(String name, MemoryItem item, @Nullable List<Float> vector) {
        return new GoldenCase(name, new Memory(item, vector));
    }

    private static GoldenCase event(String name, Change change, Map<String, String> metadata) {
        return new GoldenCase(name, new Codec.EventPayload(change, metadata));
    }

    private static GoldenCase state(String name, ThreadState state) {
        return new GoldenCase(name, state);
    }

    private static Map<String, Object> attributes() {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("latencyMs", 125L);
        a.put("cached", false);
        a.put("error", null);
        a.put("tags", Arrays.asList("weather", null, "celsius"));
        return a;
    }

    private static Map<String, Object> allValueTypes() {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("null", null);
        v.put("string", "text");
        v.put("emptyString", "");
        v.put("emoji", "🚀✨");
        v.put("true", true);
        v.put("false", false);
        v.put("zero", 0L);
        v.put("negative", -1L);
        v.put("longMin", Long.MIN_VALUE);
        v.put("longMax", Long.MAX_VALUE);
        v.put("int", 7);
        v.put("double", 3.141592653589793);
        v.put("negativeZero", -0.0);
        v.put("nan", Double.NaN);
        v.put("infinity", Double.POSITIVE_INFINITY);
        v.put("float", 0.5f);
        v.put("bigInteger", new BigInteger("123456789012345678901234567890"));
        v.put("negativeBigInteger", new BigInteger("-98765432109876543210987654321"));
        v.put("bigDecimal", new BigDecimal("12345.678900"));
        v.put("bigDecimalNegativeScale", new BigDecimal("1E+12"));
        v.put("bigDecimalNegative", new BigDecimal("-0.000001"));
        v.put("list", Arrays.asList(1L, "two", null, 3.5, false));
        v.put("emptyList", List.of());
        v.put("map", Map.of("z", 1L, "a", "first"));
        v.put("emptyMap", Map.of());
        return v;
    }

    private static Map<String, Object> nested() {
        Map<String, Object> leaf = new LinkedHashMap<>();
        leaf.put("deep", Arrays.asList(Arrays.asList(1L, Arrays.asList(2L, null)), Map.of()));
        leaf.put("amount", new BigDecimal("19.99"));
        return Map.of(
                "plan", Map.of("steps", List.of(Map.of("id", 1L, "done", true), Map.of("id", 2L, "done", false)),
                        "meta", leaf),
                "matrix", List.of(List.of(1.5, 2.5), List.of(), List.of(List.of("x"))));
    }

    private static ThreadState conversation() {
        Instant t = Instant.parse("2024-05-01T10:15:30.123456789Z");
        ThreadState s = ThreadState.empty(KEY);
        s = s.apply(1, t, Change.message(Message.system("You are terse.")));
        s = s.apply(2, t.plusSeconds(1), Change.message(Message.user("Wie spät ist es? ⏰")));
        s = s.apply(3, t.plusSeconds(2), Change.message(new Message("assistant", "", null, null, "m-3",
                Map.of("toolCalls", List.of(Map.of("id", "call_1", "name", "clock", "arguments", "{}"))))));
        s = s.apply(4, t.plusSeconds(3), Change.message(Message.tool("10:15", "call_1")));
        s = s.apply(5, t.plusSeconds(4), Change.set(Map.of("user", Map.of("name", "Ada", "tz", "Europe/Berlin"),
                "turns", 4L, "score", new BigDecimal("0.75"))));
        s = s.apply(6, t.plusSeconds(5), Change.compact(3, Message.system("Summary: the user asked the time; it was 10:15.")));
        s = s.apply(7, t.plusSeconds(6), Change.remove("score"));
        s = s.apply(8, t.plusSeconds(7), Change.message(Message.user("Danke!").withId("m-8")));
        return s.apply(9, t.plusMillis(7_500), Change.custom("app.audit", new byte[] {1, 2, 3}));
    }
}
