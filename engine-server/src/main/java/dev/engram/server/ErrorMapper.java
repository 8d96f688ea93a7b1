package dev.engram.server;

import dev.engram.core.BackendUnavailableException;
import dev.engram.core.ConfigurationException;
import dev.engram.core.CorruptDataException;
import dev.engram.core.InvalidInputException;
import dev.engram.core.NotFoundException;
import dev.engram.core.PayloadTooLargeException;
import dev.engram.core.SubscriberOverflowException;
import dev.engram.core.VersionConflictException;
import dev.engram.core.EngramTransientException;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place that turns a failure into an HTTP status and a {@code {"error", "message"}} body, for every surface. */
public final class ErrorMapper {

    public static final String INVALID_JSON = "invalid_json";
    public static final String INVALID_INPUT = "invalid_input";
    public static final String PAYLOAD_TOO_LARGE = "payload_too_large";
    public static final String VERSION_CONFLICT = "version_conflict";
    public static final String NOT_FOUND = "not_found";
    public static final String UNAUTHORIZED = "unauthorized";
    public static final String FORBIDDEN = "forbidden";
    public static final String RATE_LIMITED = "rate_limited";
    public static final String BACKEND_UNAVAILABLE = "backend_unavailable";
    public static final String METHOD_NOT_ALLOWED = "method_not_allowed";
    public static final String INTERNAL = "internal";

    private static final Logger LOG = LoggerFactory.getLogger(ErrorMapper.class);

    private ErrorMapper() {
    }

    /** A failure as the client sees it. */
    public record ApiError(int status, JsonObject body) {

        public String code() {
            return body.getString("error");
        }
    }

    public static ApiError map(Throwable failure) {
        Throwable e = unwrap(failure);
        if (e instanceof ApiException a) {
            return new ApiError(a.status(), a.toJson());
        }
        if (e instanceof VersionConflictException c) {
            return new ApiError(409, body(VERSION_CONFLICT, "expected version " + c.expected() + " but the thread is at " + c.actual())
                    .put("expected", expected(c)).put("actual", c.actual()));
        }
        if (e instanceof PayloadTooLargeException p) {
            return new ApiError(413, body(PAYLOAD_TOO_LARGE, p.getMessage()).put("limit", p.limit()));
        }
        if (e instanceof InvalidInputException) {
            return new ApiError(400, body(INVALID_INPUT, e.getMessage()));
        }
        if (e instanceof NotFoundException) {
            return new ApiError(404, body(NOT_FOUND, e.getMessage()));
        }
        if (e instanceof SubscriberOverflowException) {
            return new ApiError(429, body(RATE_LIMITED, e.getMessage()));
        }
        if (e instanceof BackendUnavailableException || e instanceof EngramTransientException) {
            LOG.warn("Backend unavailable: {}", e.getMessage());
            return new ApiError(503, body(BACKEND_UNAVAILABLE, "the storage backend is unavailable; retry (appends with the same event ids)"));
        }
        if (e instanceof CorruptDataException) {
            LOG.error("Server-side failure", e);
            return new ApiError(500, body(INTERNAL, e.getMessage()));
        }
        if (e instanceof ConfigurationException) {
            // e.g. the backend refused the server's credentials: the details (users, databases) are the operator's, not the client's
            LOG.error("Server misconfigured", e);
            return new ApiError(500, body(INTERNAL, "the server is misconfigured (see its log); retrying does not help"));
        }
        LOG.error("Unexpected failure", e);
        return new ApiError(500, body(INTERNAL, "internal error"));
    }

    /**
     * Whether the failure is the backend's, for the backend-errors metric: unavailable, corrupt data, or (the only
     * configuration failure a running server meets) its configuration refused by the backend.
     */
    public static boolean isBackendFailure(Throwable failure) {
        Throwable e = unwrap(failure);
        return e instanceof EngramTransientException && !(e instanceof SubscriberOverflowException) || e instanceof CorruptDataException
                || e instanceof ConfigurationException;
    }

    private static Object expected(VersionConflictException c) {
        return c.expected().isAny() ? "any" : c.expected().version() == 0 ? "none" : c.expected().version();
    }

    private static JsonObject body(String code, String message) {
        return new JsonObject().put("error", code).put("message", message);
    }

    private static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException
                || t.getClass() == RuntimeException.class) && t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }
}
