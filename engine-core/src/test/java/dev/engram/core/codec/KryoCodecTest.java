package dev.engram.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.InvalidInputException;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class KryoCodecTest {

    private static final ThreadKey KEY = ThreadKey.of("acme", "chat-1");
    private static final Instant T = Instant.parse("2024-05-01T10:15:30.123456789Z");

    private final Codec codec = Codec.standard();

    static Stream<Arguments> changes() {
        return Stream.of(
                Arguments.of(Change.message(Message.user("hello"))),
                Arguments.of(Change.set(Map.of("count", 3L, "name", "Ada"))),
                Arguments.of(Change.remove("count", "name")),
                Arguments.of(Change.compact(12, Message.system("summary of 12 turns"))),
                Arguments.of(Change.custom("app.event", new byte[] {9, 8, 7, 0, -1})));
    }

    @ParameterizedTest
    @MethodSource("changes")
    void everyChangeKindRoundTrips(Change change) {
        Map<String, String> metadata = Map.of("source", "test", "traceId", "abc");

        Codec.EventPayload decoded = codec.decodeEvent(codec.encodeEvent(change, metadata));

        assertThat(decoded.change()).isEqualTo(change).isInstanceOf(change.getClass());
        assertThat(decoded.metadata()).isEqualTo(metadata);
    }

    @Test
    void blobStartsWithTheHeaderAndTheCrcOfItsBody() {
        byte[] event = codec.encodeEvent(Change.message(Message.user("hi")), Map.of());
        byte[] state = codec.encodeState(ThreadState.empty(KEY));

        assertThat(Arrays.copyOf(event, 5)).containsExactly(0xE6, 0x47, 2, 1, 1);
        assertThat(Arrays.copyOf(state, 5)).containsExactly(0xE6, 0x47, 2, 1, 2);
        CRC32C crc = new CRC32C();
        crc.update(event, 9, event.length - 9);
        long stored = ((event[5] & 0xFFL) << 24) | ((event[6] & 0xFF) << 16) | ((event[7] & 0xFF) << 8) | (event[8] & 0xFF);
        assertThat(stored).as("big-endian CRC32C of the body").isEqualTo(crc.getValue());
    }

    @Test
    void messageWithEveryOptionalFieldRoundTrips() {
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("tokens", 812L);
        attributes.put("finish", null);
        attributes.put("toolCalls", List.of(Map.of("id", "call_1", "arguments", "{\"q\":\"weather\"}")));
        Message message = new Message("tool", "sunny, 21 °C ☀️", "weather-bot", "call_1", "msg-77", attributes);

        Message decoded = roundTripMessage(message);

        assertThat(decoded).isEqualTo(message);
        assertThat(decoded.name()).isEqualTo("weather-bot");
        assertThat(decoded.toolCallId()).isEqualTo("call_1");
        assertThat(decoded.id()).isEqualTo("msg-77");
        assertThat(decoded.attributes()).containsEntry("finish", null);
    }

    @Test
    void absentOptionalFieldsStayNullAndEmptyStringsStayEmpty() {
        Message absent = Message.of("user", "");
        Message empty = new Message("user", "", "", "", "", Map.of());

        assertThat(roundTripMessage(absent)).isEqualTo(absent)
                .satisfies(m -> assertThat(m.name()).isNull())
                .satisfies(m -> assertThat(m.id()).isNull());
        assertThat(roundTripMessage(empty)).isEqualTo(empty)
                .satisfies(m -> assertThat(m.name()).isEmpty());
    }

    static Stream<Arguments> values() {
        return Stream.of(
                Arguments.of("string", "plain"),
                Arguments.of("unicode", "emoji 👩‍👩‍👧 and 中文 and 𝄞"),
                Arguments.of("empty string", ""),
                Arguments.of("true", true),
                Arguments.of("false", false),
                Arguments.of("long", 1L),
                Arguments.of("negative long", -123_456_789_012L),
                Arguments.of("long min", Long.MIN_VALUE),
                Arguments.of("long max", Long.MAX_VALUE),
                Arguments.of("double", 2.718281828459045),
                Arguments.of("negative zero", -0.0),
                Arguments.of("NaN", Double.NaN),
                Arguments.of("-infinity", Double.NEGATIVE_INFINITY),
                Arguments.of("big integer", new BigInteger("-340282366920938463463374607431768211457")),
                Arguments.of("big integer zero", BigInteger.ZERO),
                Arguments.of("big decimal with trailing zeros", new BigDecimal("1.2300")),
                Arguments.of("big decimal negative scale", new BigDecimal("-4.5E+20")),
                Arguments.of("list with null", Arrays.asList("a", null, 1L)),
                Arguments.of("empty list", List.of()),
                Arguments.of("nested", Map.of("a", List.of(Map.of("b", List.of(List.of(true)))))),
                Arguments.of("empty map", Map.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("values")
    void everyValueTypeRoundTripsWithItsType(String name, Object value) {
        Change.ValuesSet set = (Change.ValuesSet) Change.set("v", value);

        Object decoded = roundTripValues(set).get("v");

        assertThat(decoded).isEqualTo(set.values().get("v"));
        if (value instanceof BigDecimal d) {
            assertThat(((BigDecimal) decoded).scale()).as("scale").isEqualTo(d.scale());
        }
        if (value instanceof Double d) {
            assertThat(Double.doubleToRawLongBits((Double) decoded)).isEqualTo(Double.doubleToRawLongBits(d));
        }
    }

    @Test
    void nullValueRoundTrips() {
        Map<String, Object> decoded = roundTripValues(Change.set("nothing", null));

        assertThat(decoded).containsOnlyKeys("nothing").containsEntry("nothing", null);
    }

    @Test
    void decodedMapsAndListsAreImmutableAndKeySorted() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("zeta", 1L);
        inner.put("alpha", 2L);
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("list", Arrays.asList(inner, null));
        values.put("b", "x");
        values.put("a", "y");

        Map<String, Object> decoded = roundTripValues(Change.set(values));

        assertThat(decoded.keySet()).containsExactly("a", "b", "list");
        List<?> list = (List<?>) decoded.get("list");
        @SuppressWarnings("unchecked")
        Map<String, Object> decodedInner = (Map<String, Object>) list.get(0);
        assertThat(decodedInner.keySet()).containsExactly("alpha", "zeta");
        assertThatThrownBy(() -> decoded.put("c", "z")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> decodedInner.remove("alpha")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(list::clear).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void sameChangeAndMetadataAlwaysGiveTheSameBytes() {
        Change change = Change.message(Message.assistant("deterministic ✔").withAttributes(Map.of("k", List.of(1L, 2.5))));
        Map<String, String> metadata = Map.of("a", "1", "b", "2");

        byte[] first = codec.encodeEvent(change, metadata);
        codec.encodeState(largeState(50));
        byte[] second = codec.encodeEvent(change, metadata);

        assertThat(second).isEqualTo(first);
    }

    @Test
    void hashMapAndLinkedHashMapOfTheSameContentGiveTheSameBytes() {
        Map<String, Object> linked = new LinkedHashMap<>();
        Map<String, Object> hashed = new HashMap<>();
        Map<String, String> linkedMeta = new LinkedHashMap<>();
        Map<String, String> hashedMeta = new HashMap<>();
        for (int i = 40; i > 0; i--) {
            Object value = i % 2 == 0 ? "v" + i : Map.of("n", (long) i, "m", List.of("x" + i));
            linked.put("key-" + i, value);
            hashed.put("key-" + i, value);
            linkedMeta.put("meta-" + i, "v" + i);
            hashedMeta.put("meta-" + i, "v" + i);
        }
        assertThat(new ArrayList<>(hashed.keySet())).as("precondition: iteration orders differ")
                .isNotEqualTo(new ArrayList<>(linked.keySet()));

        assertThat(codec.encodeEvent(Change.set(hashed), hashedMeta))
                .isEqualTo(codec.encodeEvent(Change.set(linked), linkedMeta));
        assertThat(codec.encodeEvent(Change.message(Message.user("x").withAttributes(hashed)), Map.of()))
                .isEqualTo(codec.encodeEvent(Change.message(Message.user("x").withAttributes(linked)), Map.of()));
    }

    @Test
    void stateValuesAreWrittenInKeyOrderWhateverTheMapsIterationOrder() {
        // "Aa" and "BB" share a hash code, so these keys collide and the persistent map keeps them in insertion order
        List<String> keys = List.of("AaAa", "AaBB", "BBAa", "BBBB");
        Map<String, Object> forward = new LinkedHashMap<>();
        Map<String, Object> backward = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            forward.put(keys.get(i), (long) i);
            backward.put(keys.get(keys.size() - 1 - i), (long) (keys.size() - 1 - i));
        }
        ThreadState a = ThreadState.of(KEY, 5, List.of(), forward, T);
        ThreadState b = ThreadState.of(KEY, 5, List.of(), backward, T);
        assertThat(new ArrayList<>(a.values().keySet())).as("precondition: iteration orders differ")
                .isNotEqualTo(new ArrayList<>(b.values().keySet()));

        assertThat(codec.encodeState(a)).isEqualTo(codec.encodeState(b));
    }

    @Test
    void stateRoundTripsWithEntriesValuesAndExactTimestamp() {
        ThreadState state = ThreadState.empty(KEY)
                .apply(1, T, Change.message(Message.system("be brief")))
                .apply(2, T.plusNanos(1), Change.message(Message.user("hi")))
                .apply(3, T.plusSeconds(1), Change.set(Map.of("mood", "curious", "turns", 2L)))
                .apply(4, T.plusSeconds(2), Change.compact(2, Message.system("summary")))
                .apply(5, T.plusSeconds(3), Change.message(Message.assistant("hello!")));

        ThreadState decoded = codec.decodeState(KEY, codec.encodeState(state));

        assertThat(decoded).isEqualTo(state);
        assertThat(decoded.entries()).extracting(ThreadState.Entry::version).containsExactly(2L, 5L);
        assertThat(decoded.updatedAt()).isEqualTo(T.plusSeconds(3));
        assertThat(decoded.values()).isEqualTo(Map.of("mood", "curious", "turns", 2L));
    }

    @Test
    void emptyStateRoundTrips() {
        ThreadState empty = ThreadState.empty(KEY);

        ThreadState decoded = codec.decodeState(KEY, codec.encodeState(empty));

        assertThat(decoded).isEqualTo(empty);
        assertThat(decoded.version()).isZero();
        assertThat(decoded.updatedAt()).isEqualTo(Instant.EPOCH);
    }

    @Test
    void timestampsBeforeTheEpochAndAtTheExtremesRoundTrip() {
        for (Instant t : List.of(Instant.parse("1969-12-31T23:59:59.999999999Z"), Instant.MIN, Instant.MAX)) {
            ThreadState state = ThreadState.of(KEY, 1, List.of(), Map.of(), t);

            assertThat(codec.decodeState(KEY, codec.encodeState(state)).updatedAt()).isEqualTo(t);
        }
    }

    @Test
    void decodedStateTakesTheKeyItIsGiven() {
        ThreadKey fork = new ThreadKey("acme", "chat-1-fork", "sub");
        ThreadState state = ThreadState.empty(KEY).apply(1, T, Change.message(Message.user("hi")));

        ThreadState decoded = codec.decodeState(fork, codec.encodeState(state));

        assertThat(decoded.key()).isEqualTo(fork);
        assertThat(decoded).isEqualTo(state.withKey(fork));
    }

    @Test
    void twoThousandMessageStateRoundTrips() {
        ThreadState state = largeState(2_000);
        byte[] blob = codec.encodeState(state);

        ThreadState decoded = codec.decodeState(KEY, blob);

        assertThat(blob.length).as("larger than the buffer a pooled session keeps").isGreaterThan(1024 * 1024);
        assertThat(decoded).isEqualTo(state);
        assertThat(decoded.messages()).hasSize(2_000);
        assertThat(decoded.messages().get(1_999).content()).isEqualTo(state.messages().get(1_999).content());
        ThreadState small = ThreadState.empty(KEY).apply(1, T, Change.message(Message.user("after a big one")));
        assertThat(codec.decodeState(KEY, codec.encodeState(small))).isEqualTo(small);
    }

    @Test
    void narrowerNumbersInARawStateAreEncodedAsTheModelNormalisesThem() {
        ThreadState raw = ThreadState.of(KEY, 1, List.of(), Map.of("i", 7, "f", 0.5f, "s", (short) 2), T);

        ThreadState decoded = codec.decodeState(KEY, codec.encodeState(raw));

        assertThat(decoded.values()).isEqualTo(Map.of("i", 7L, "f", 0.5, "s", 2L));
    }

    @Test
    void valueOfAnUnsupportedTypeIsRejectedOnEncode() {
        ThreadState raw = ThreadState.of(KEY, 1, List.of(), Map.of("when", Instant.EPOCH), T);

        assertThatThrownBy(() -> codec.encodeState(raw))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("java.time.Instant");
        assertThat(codec.decodeState(KEY, codec.encodeState(ThreadState.empty(KEY)))).as("codec still usable")
                .isEqualTo(ThreadState.empty(KEY));
    }

    @Test
    void nullMetadataValueIsRejectedOnEncode() {
        Map<String, String> metadata = new HashMap<>();
        metadata.put("trace", null);

        assertThatThrownBy(() -> codec.encodeEvent(Change.message(Message.user("x")), metadata))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("trace");
    }

    @Test
    void latin1StringsTakeOneBytePerCharAndOthersTheirUtf16CodeUnits() {
        byte[] blob = codec.encodeEvent(Change.message(new Message("user", "é€", null, null, null, Map.of())), Map.of());

        assertThat(Arrays.copyOfRange(blob, 9, blob.length)).as("body").containsExactly(
                1,                               // change: message appended
                4 << 1, 'u', 's', 'e', 'r',       // role: 4 chars, Latin-1
                2 << 1 | 1, 0xE9, 0x00, 0xAC, 0x20, // content: 2 chars, UTF-16LE (U+00E9, U+20AC)
                0, 0, 0,                         // name, toolCallId, id: null
                0,                               // attributes: none
                0);                              // metadata: none
    }

    @Test
    void stringsLongerThanTheCopyBuffersRoundTrip() {
        String latin1 = "ÿé".repeat(6_000);
        String utf16Last = "a".repeat(12_000) + "—";
        String utf16First = "—" + "é".repeat(12_000);
        Message m = new Message("user", utf16Last, latin1, utf16First, null, Map.of("k", utf16First + latin1));

        byte[] blob = codec.encodeEvent(Change.message(m), Map.of());

        assertThat(roundTripMessage(m)).isEqualTo(m);
        assertThat(blob.length).as("one byte per Latin-1 char, two per char of the others")
                .isBetween(12_000 + 2 * 12_001 + 2 * 12_001 + 2 * 24_001, 12_000 + 2 * 12_001 + 2 * 12_001 + 2 * 24_001 + 40);
    }

    @Test
    void loneSurrogatesAndNulsRoundTripExactly() {
        Message m = Message.user("a\uD800b \uDC00 \uDBFF\uDFFF 😀 \u0000").withName("\uD83D").withId("\u0000");

        assertThat(roundTripMessage(m)).isEqualTo(m);
    }

    @Test
    void memoryRecordRoundTripsWithItsVector() {
        Instant at = Instant.parse("2024-05-01T10:15:30.123Z");
        MemoryItem item = new MemoryItem(new MemoryKey("acme", Namespace.of("users", "ada"), "tz"),
                Map.of("text", "Ada lives in Zürich — “CET”", "n", 1L), MemoryItem.FACT,
                new Provenance(KEY, 2, 5, "x", null), at, at.plusSeconds(5), at.plusSeconds(3_600));
        float[] vector = {0.6f, -0.8f, 0.0f};

        MemoryRecord decoded = codec.decodeMemory(codec.encodeMemory(new MemoryRecord(item, vector)));

        assertThat(decoded.item()).isEqualTo(item);
        assertThat(decoded.vector()).containsExactly(vector);
        assertThat(codec.decodeMemory(codec.encodeMemory(new MemoryRecord(item, null))).vector()).isNull();
    }

    @Test
    void concurrentCallersGetTheSameResultsAsOne() throws Exception {
        List<ThreadState> states = new ArrayList<>();
        List<byte[]> expected = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            ThreadState s = largeState(20 + i * 15);
            states.add(s);
            expected.add(codec.encodeState(s));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<Integer>> tasks = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int offset = t;
                tasks.add(() -> {
                    int checked = 0;
                    for (int round = 0; round < 100; round++) {
                        int i = (offset + round) % states.size();
                        byte[] blob = codec.encodeState(states.get(i));
                        assertThat(blob).isEqualTo(expected.get(i));
                        assertThat(codec.decodeState(KEY, blob)).isEqualTo(states.get(i));
                        checked++;
                    }
                    return checked;
                });
            }
            int total = 0;
            for (Future<Integer> f : pool.invokeAll(tasks)) {
                total += f.get();
            }
            assertThat(total).isEqualTo(800);
        } finally {
            pool.shutdownNow();
        }
    }

    private static ThreadState largeState(int messages) {
        ThreadState s = ThreadState.empty(KEY);
        String filler = "Lorem ipsum dolor sit amet, consectetur adipiscing elit — ünïcödé ✓ 🚀. ".repeat(8);
        for (int i = 1; i <= messages; i++) {
            Message m = i % 3 == 0 ? Message.assistant("answer " + i + ": " + filler).withAttributes(Map.of("tokens", (long) i))
                    : Message.user("question " + i + ": " + filler);
            s = s.apply(i, T.plusMillis(i), Change.message(m));
        }
        return s.apply(messages + 1, T.plusSeconds(messages), Change.set(Map.of("turns", (long) messages)));
    }

    private Message roundTripMessage(Message message) {
        return ((Change.MessageAppended) codec.decodeEvent(codec.encodeEvent(Change.message(message), Map.of())).change()).message();
    }

    private Map<String, Object> roundTripValues(Change change) {
        return ((Change.ValuesSet) codec.decodeEvent(codec.encodeEvent(change, Map.of())).change()).values();
    }
}
