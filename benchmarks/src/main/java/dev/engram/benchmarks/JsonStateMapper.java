package dev.engram.benchmarks;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.engram.core.model.Change;
import dev.engram.core.model.Message;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The JSON baseline: a thread state stored the way a typical application would, as plain DTO records written and
 * read by one configured, reused {@link ObjectWriter} / {@link ObjectReader}.
 */
final class JsonStateMapper {

    record StateJson(String tenant, String threadId, String namespace, long version, long updatedAt,
                     List<MessageJson> messages, Map<String, Object> values) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record MessageJson(long version, String role, String content, String name, String toolCallId, String id,
                       Map<String, Object> attributes) {
    }

    private final ObjectWriter writer;
    private final ObjectReader reader;

    JsonStateMapper() {
        // longs for integers, as the engine's JSON-like values require
        ObjectMapper mapper = new ObjectMapper().enable(DeserializationFeature.USE_LONG_FOR_INTS);
        this.writer = mapper.writerFor(StateJson.class);
        this.reader = mapper.readerFor(StateJson.class);
    }

    byte[] encode(ThreadState state) {
        List<ThreadState.Entry> entries = state.entries();
        List<MessageJson> messages = new ArrayList<>(entries.size());
        for (ThreadState.Entry e : entries) {
            Message m = e.message();
            messages.add(new MessageJson(e.version(), m.role(), m.content(), m.name(), m.toolCallId(), m.id(),
                    m.attributes().isEmpty() ? null : m.attributes()));
        }
        ThreadKey k = state.key();
        StateJson dto = new StateJson(k.tenant(), k.threadId(), k.namespace(), state.version(),
                state.updatedAt().toEpochMilli(), messages, state.values());
        try {
            return writer.writeValueAsBytes(dto);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    ThreadState decode(ThreadKey key, byte[] json) {
        StateJson dto;
        try {
            dto = reader.readValue(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<ThreadState.Entry> entries = new ArrayList<>(dto.messages().size());
        for (MessageJson m : dto.messages()) {
            entries.add(new ThreadState.Entry(m.version(), new Message(m.role(), m.content(), m.name(), m.toolCallId(), m.id(), m.attributes())));
        }
        // through the public API, so values come out validated and immutable like the engine's
        Map<String, Object> values = dto.values().isEmpty() ? Map.of() : ((Change.ValuesSet) Change.set(dto.values())).values();
        return ThreadState.of(key, dto.version(), entries, values, Instant.ofEpochMilli(dto.updatedAt()));
    }
}
