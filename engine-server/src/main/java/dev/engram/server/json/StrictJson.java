package dev.engram.server.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.engram.server.ApiException;
import java.io.IOException;

/** Parses request bodies as strict JSON: one object, no duplicate keys, no comments, no trailing tokens. */
public final class StrictJson {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private StrictJson() {
    }

    /** The body as an object; {@code invalid_json} when it is not one. */
    public static ObjectNode object(byte[] body) {
        if (body.length == 0) {
            throw ApiException.invalidJson("the request body is empty; expected a JSON object");
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiException.invalidJson("malformed JSON at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.invalidJson("unreadable JSON: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw ApiException.invalidJson("expected a JSON object, got " + Fields.kind(node));
        }
        return (ObjectNode) node;
    }

    public static ObjectNode object(String body) {
        return object(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

}
