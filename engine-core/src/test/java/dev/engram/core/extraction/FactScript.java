package dev.engram.core.extraction;

import com.fasterxml.jackson.databind.JsonNode;
import dev.engram.core.extraction.ScriptedModelServer.Reply;
import dev.engram.core.extraction.ScriptedModelServer.Request;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A scripted model for {@code /v1/chat/completions}: it answers the extractor's prompt as a model would, by rules a
 * test can rely on. A user turn "remember KEY: TEXT" adds the fact KEY (an update when KEY is among the known facts),
 * "forget KEY" deletes it; everything else yields nothing.
 */
final class FactScript {

    static final String PATH = "/v1/chat/completions";
    private static final Pattern REMEMBER = Pattern.compile("remember ([a-z0-9_]+): (.+)", Pattern.DOTALL);
    private static final Pattern FORGET = Pattern.compile("forget ([a-z0-9_]+)");

    private FactScript() {
    }

    static Reply answer(Request request) throws IOException {
        JsonNode input = input(request);
        Set<String> known = new HashSet<>();
        input.get("known_facts").forEach(f -> known.add(f.get("key").asText()));
        List<Map<String, Object>> facts = new ArrayList<>();
        for (JsonNode turn : input.get("turns")) {
            if (!"user".equals(turn.get("role").asText())) {
                continue;
            }
            String content = turn.get("content").asText();
            Matcher m = REMEMBER.matcher(content);
            Matcher f = FORGET.matcher(content);
            if (m.matches()) {
                String action = known.contains(m.group(1)) ? "update" : "add";
                facts.add(Map.of("action", action, "key", m.group(1), "value", Map.of("text", m.group(2))));
                known.add(m.group(1));
            } else if (f.matches()) {
                facts.add(Map.of("action", "delete", "key", f.group(1)));
                known.remove(f.group(1));
            }
        }
        return completion(ScriptedModelServer.JSON.writeValueAsString(Map.of("facts", facts)));
    }

    static Reply completion(String content) {
        return Reply.ok(Map.of("id", "chatcmpl-test", "object", "chat.completion", "model", "fact-model",
                "choices", List.of(Map.of("index", 0, "finish_reason", "stop", "message", Map.of("role", "assistant", "content", content)))));
    }

    /** The JSON the extractor put in the user message: known facts and turns. */
    static JsonNode input(Request request) throws IOException {
        return ScriptedModelServer.JSON.readTree(request.body().at("/messages/1/content").asText());
    }

    /** The versions of the turns a request carried. */
    static List<Long> versions(Request request) {
        try {
            List<Long> out = new ArrayList<>();
            input(request).get("turns").forEach(t -> out.add(t.get("version").asLong()));
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The keys of the known facts a request carried. */
    static List<String> knownKeys(Request request) {
        try {
            List<String> out = new ArrayList<>();
            input(request).get("known_facts").forEach(f -> out.add(f.get("key").asText()));
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
