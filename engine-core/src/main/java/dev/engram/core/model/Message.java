package dev.engram.core.model;

import dev.engram.core.InvalidInputException;
import dev.engram.core.internal.JsonValues;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One turn of a conversation.
 *
 * @param role       who spoke: {@code user}, {@code assistant}, {@code system}, {@code tool} or an application's own
 * @param content    the text
 * @param name       the speaker's name, when a role has several
 * @param toolCallId the tool call a {@code tool} message answers
 * @param id         an application's id for the message
 * @param attributes JSON-like extras (tool calls, token counts, …)
 */
public record Message(String role, String content, @Nullable String name, @Nullable String toolCallId,
                      @Nullable String id, Map<String, Object> attributes) {

    public Message {
        if (role == null || role.isEmpty()) {
            throw new InvalidInputException("message.role is required");
        }
        if (content == null) {
            throw new InvalidInputException("message.content is required");
        }
        attributes = attributes == null || attributes.isEmpty() ? Map.of() : JsonValues.normalizeMap(attributes, "message.attributes");
    }

    public static Message of(String role, String content) {
        return new Message(role, content, null, null, null, Map.of());
    }

    public static Message user(String content) {
        return of("user", content);
    }

    public static Message assistant(String content) {
        return of("assistant", content);
    }

    public static Message system(String content) {
        return of("system", content);
    }

    public static Message tool(String content, String toolCallId) {
        return new Message("tool", content, null, toolCallId, null, Map.of());
    }

    public Message withAttributes(Map<String, Object> attributes) {
        return new Message(role, content, name, toolCallId, id, attributes);
    }

    public Message withName(String name) {
        return new Message(role, content, name, toolCallId, id, attributes);
    }

    public Message withId(String id) {
        return new Message(role, content, name, toolCallId, id, attributes);
    }
}
