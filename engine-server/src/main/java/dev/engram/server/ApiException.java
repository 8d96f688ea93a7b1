package dev.engram.server;

import io.vertx.core.json.JsonObject;

/** A refusal decided at the server's edge (authentication, limits, malformed input), carrying its HTTP status and error code. */
public final class ApiException extends RuntimeException {

    private final int status;
    private final String code;

    public ApiException(int status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    public static ApiException invalidJson(String message) {
        return new ApiException(400, ErrorMapper.INVALID_JSON, message);
    }

    public static ApiException invalidInput(String message) {
        return new ApiException(400, ErrorMapper.INVALID_INPUT, message);
    }

    public static ApiException tooLarge(String message) {
        return new ApiException(413, ErrorMapper.PAYLOAD_TOO_LARGE, message);
    }

    public static ApiException unauthorized(String message) {
        return new ApiException(401, ErrorMapper.UNAUTHORIZED, message);
    }

    public static ApiException forbidden(String message) {
        return new ApiException(403, ErrorMapper.FORBIDDEN, message);
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, ErrorMapper.NOT_FOUND, message);
    }

    public static ApiException rateLimited(String message) {
        return new ApiException(429, ErrorMapper.RATE_LIMITED, message);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public JsonObject toJson() {
        return new JsonObject().put("error", code).put("message", getMessage());
    }
}
