package dev.engram.benchmarks;

import dev.engram.core.model.Change;
import dev.engram.core.model.Message;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Deterministic, realistic agent conversations: 300–500-character turns of mixed roles (user, assistant with
 * token counts and tool calls, tool results, the odd system note) and a few state values. Assistant prose carries
 * the typographic punctuation models emit (— ’ “ ”), some user turns Latin-1 accents (é); tool output and the rest
 * are ASCII: about 3 turns in 8 are non-Latin-1 text, 1 in 8 accented Latin-1, half plain ASCII.
 */
final class Workload {

    static final ThreadKey KEY = ThreadKey.of("user-42:chat-7");
    /** Every benchmark starts from the same instant so runs are comparable. */
    static final long EPOCH_MILLIS = 1_760_000_000_000L;

    private static final String[] WORDS = {
        "the", "agent", "should", "check", "order", "status", "before", "replying", "customer", "asked", "about",
        "refund", "policy", "shipping", "delay", "warehouse", "Berlin", "tracking", "number", "is", "not", "yet",
        "available", "please", "confirm", "address", "and", "preferred", "delivery", "window", "we", "can", "offer",
        "a", "voucher", "for", "inconvenience", "summary", "of", "previous", "conversation", "includes", "two",
        "open", "tickets", "one", "escalated", "to", "tier", "support", "invoice", "was", "sent", "on", "Monday",
        "payment", "method", "card", "ending", "in", "4242", "it's", "priority", "cafe", "resume",
    };
    private static final String[] TYPOGRAPHIC = {"—", "it’s", "“priority”", "we’ll", "–"};
    private static final String[] ACCENTED = {"café", "résumé", "naïve", "Zürich"};
    private static final String[] TOOLS = {"lookup_order", "search_kb", "create_ticket", "send_email"};

    private Workload() {
    }

    /** The {@code i}-th turn of the conversation (0-based); the same {@code i} always gives the same message. */
    static Message message(int i) {
        SplittableRandom rnd = new SplittableRandom(0x5eed + i);
        int length = 300 + rnd.nextInt(201);
        String text = switch (i % 8) {
            case 1, 2, 4 -> text(rnd, length, TYPOGRAPHIC);
            case 6 -> text(rnd, length, ACCENTED);
            default -> text(rnd, length, null);
        };
        switch (i % 8) {
            case 0, 3, 6:
                return Message.user(text).withId("m-" + i);
            case 1, 4:
                return Message.assistant(text).withId("m-" + i).withAttributes(Map.of(
                        "model", "gpt-4o-2024-08-06",
                        "usage", Map.of("promptTokens", 900L + i, "completionTokens", 80L + rnd.nextInt(200)),
                        "finishReason", "stop"));
            case 2:
                return Message.assistant(text).withId("m-" + i).withAttributes(Map.of(
                        "toolCalls", List.of(Map.of(
                                "id", "call_" + i,
                                "name", TOOLS[i % TOOLS.length],
                                "arguments", "{\"orderId\":\"A-" + (10_000 + i) + "\",\"verbose\":false}"))));
            case 5:
                return new Message("tool", text, TOOLS[i % TOOLS.length], "call_" + (i - 3), "m-" + i, Map.of("latencyMs", 120L + rnd.nextInt(900)));
            default:
                return Message.system(text).withId("m-" + i);
        }
    }

    /** Words up to {@code length} characters; with {@code special}, the fourth word and one in 15 after it come from it. */
    private static String text(SplittableRandom rnd, int length, String[] special) {
        StringBuilder sb = new StringBuilder(length + 16);
        for (int word = 0; sb.length() < length; word++) {
            if (word > 0) {
                sb.append(rnd.nextInt(12) == 0 ? ". " : " ");
            }
            boolean pick = Boolean.getBoolean("asciiOnly") ? false : special != null && (word == 3 || rnd.nextInt(15) == 0);
            sb.append(pick ? special[rnd.nextInt(special.length)] : WORDS[rnd.nextInt(WORDS.length)]);
        }
        sb.setLength(length);
        return sb.toString();
    }

    /** A sentence of {@code words} words of the workload's vocabulary, as a remembered fact might read. */
    static String sentence(SplittableRandom rnd, int words) {
        StringBuilder sb = new StringBuilder(words * 8);
        for (int i = 0; i < words; i++) {
            sb.append(i == 0 ? "" : " ").append(WORDS[rnd.nextInt(WORDS.length)]);
        }
        return sb.toString();
    }

    /** A few values an agent keeps beside the conversation. */
    static Map<String, Object> values(int turns) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("user.name", "Ada Lovelace");
        values.put("user.locale", "en-GB");
        values.put("plan", "pro");
        values.put("turns", (long) turns);
        values.put("openTickets", List.of("T-1017", "T-1022"));
        values.put("preferences", Map.of("tone", "concise", "channel", "email", "marketingOptIn", false));
        return values;
    }

    /** A thread that has seen {@code messages} turns and then had its values set. */
    static ThreadState state(int messages) {
        List<ThreadState.Entry> entries = new ArrayList<>(messages);
        for (int i = 0; i < messages; i++) {
            entries.add(new ThreadState.Entry(i + 1, message(i)));
        }
        Map<String, Object> values = ((Change.ValuesSet) Change.set(values(messages))).values();
        return ThreadState.of(KEY, messages + 1L, entries, values, Instant.ofEpochMilli(EPOCH_MILLIS + messages * 1000L));
    }

    /**
     * The changes of a thread of {@code events} events. With {@code compactEvery > 0}, every {@code compactEvery}-th
     * event is a compaction that replaces all but the newest {@code keepRecent} messages with a summary, as an agent
     * does to keep its context window bounded; the first event sets the values.
     */
    static List<Change> conversation(int events, int compactEvery, int keepRecent) {
        List<Change> changes = new ArrayList<>(events);
        changes.add(Change.set(values(events)));
        int turn = 0;
        for (int version = 2; version <= events; version++) {
            if (compactEvery > 0 && version % compactEvery == 0) {
                changes.add(Change.compact(version - 1 - keepRecent, Message.system(text(new SplittableRandom(version), 480, null)).withId("summary-" + version)));
            } else {
                changes.add(Change.message(message(turn++)));
            }
        }
        return changes;
    }
}
