package dev.engram.benchmarks.backends;

import dev.engram.core.config.EngramConfig;
import dev.engram.core.model.Message;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/** The workload shared by the backend benchmarks: ~500-byte chat messages, and the services they run against. */
final class Conversation {

    static final String REDIS_URL = System.getProperty("engram.bench.redis", "redis://127.0.0.1:6379");
    static final String POSTGRES_URL = System.getProperty("engram.bench.postgres", "postgresql://postgres@127.0.0.1:5432/test");
    /** Turns per conversation: writers move to a fresh thread after this many appends, as agents start new chats. */
    static final int TURNS = 200;
    static final int MESSAGE_CHARS = 500;

    private static final String[] WORDS = ("the a to of and in that is for it on with as this be are was by at or from have an "
            + "not can will if so we you they model agent tool call result user answer plan step next file code test error "
            + "value state thread event memory search query document summary context token window budget retry timeout "
            + "request response server client cache index version history checkpoint append read write update delete list "
            + "because before after while when then also only just more less first last again still maybe probably").split(" ");

    private Conversation() {
    }

    /**
     * Deterministic ~500-character text for turn {@code n}: words drawn by a seeded generator, so that it compresses
     * about as well as prose (a repeated phrase would flatter any store that compresses).
     */
    static String text(int n) {
        Random random = new Random(n);
        StringBuilder b = new StringBuilder(MESSAGE_CHARS + 16).append("turn ").append(n).append(": ");
        while (b.length() < MESSAGE_CHARS) {
            b.append(WORDS[random.nextInt(WORDS.length)]).append(random.nextInt(12) == 0 ? ". " : " ");
        }
        b.setLength(MESSAGE_CHARS);
        return b.toString();
    }

    static Message message(int n) {
        return n % 2 == 0 ? Message.user(text(n)) : Message.assistant(text(n));
    }

    /** The JSON an application would store for one message (the texts hold no character JSON must escape). */
    static String json(Message m) {
        return "{\"role\":\"" + m.role() + "\",\"content\":\"" + m.content() + "\"}";
    }

    /** The JSON of a whole conversation, as full-state checkpointers store it every turn. */
    static String json(List<Message> messages) {
        StringBuilder b = new StringBuilder(messages.size() * (MESSAGE_CHARS + 40)).append('[');
        for (int i = 0; i < messages.size(); i++) {
            b.append(i == 0 ? "" : ",").append(json(messages.get(i)));
        }
        return b.append(']').toString();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A fresh name usable as a Redis key prefix and as a PostgreSQL schema. */
    static String uniqueName(String what) {
        return "bench_" + what + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    static EngramConfig redis(String keyPrefix) {
        return EngramConfig.defaults().withProvider("redis").withStrict(true)
                .withProviderOption("redis", "url", REDIS_URL)
                .withProviderOption("redis", "keyPrefix", keyPrefix);
    }

    static EngramConfig postgres(String schema) {
        return EngramConfig.defaults().withProvider("postgres").withStrict(true)
                .withProviderOption("postgres", "url", POSTGRES_URL)
                .withProviderOption("postgres", "schema", schema);
    }
}
