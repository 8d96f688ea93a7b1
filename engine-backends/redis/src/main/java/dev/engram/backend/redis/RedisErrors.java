package dev.engram.backend.redis;

import dev.engram.core.BackendUnavailableException;
import dev.engram.core.ConfigurationException;
import dev.engram.core.CorruptDataException;
import dev.engram.core.EngramException;
import dev.engram.core.spi.support.Causes;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

/** The one place where Lettuce and Redis failures become Engram's exceptions. */
final class RedisErrors {

    /** Server replies that go away on their own: loading, failover, resharding, memory pressure, a busy script. */
    private static final List<String> TRANSIENT_REPLIES = List.of("LOADING", "BUSY", "CLUSTERDOWN", "TRYAGAIN", "MASTERDOWN",
            "READONLY", "MOVED", "ASK", "OOM", "NOREPLICAS");
    /**
     * Replies that refuse the configured credentials: none given where the server needs them, a wrong user or password,
     * a user whose ACL lacks a command or key. Trying again meets the same reply until the configuration or the
     * server's users change.
     */
    private static final List<String> REFUSED_CREDENTIALS = List.of("NOAUTH", "WRONGPASS", "NOPERM");

    private RedisErrors() {
    }

    static boolean isNoScript(Throwable e) {
        return e instanceof RedisNoScriptException
                || e instanceof RedisCommandExecutionException && String.valueOf(e.getMessage()).startsWith("NOSCRIPT");
    }

    /** Translates a failure of a Redis call about {@code what} (e.g. "append to default/t1"); Engram's own pass through. */
    static Throwable translate(Throwable e, String what) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof EngramException) {
            return cause;
        }
        // also when the connection could not be opened for it (Lettuce reports the reply as the cause)
        Throwable refused = Causes.find(cause, t -> t instanceof RedisCommandExecutionException && REFUSED_CREDENTIALS.contains(replyCode(t)));
        if (refused != null) {
            return new ConfigurationException("Redis refused the configured credentials (" + what + "): " + refused.getMessage()
                    + "; check the url, username and password, and the user's ACL", cause);
        }
        if (cause instanceof RedisCommandTimeoutException || cause instanceof TimeoutException) {
            return new BackendUnavailableException("Redis did not answer in time: " + what, cause);
        }
        if (cause instanceof RedisConnectionException || cause instanceof IOException) {
            return new BackendUnavailableException("cannot reach Redis: " + what + ": " + cause.getMessage(), cause);
        }
        if (cause instanceof RedisCommandExecutionException) {
            String reply = String.valueOf(cause.getMessage());
            String code = replyCode(cause);
            if (TRANSIENT_REPLIES.contains(code)) {
                return new BackendUnavailableException("Redis refused " + what + " for now: " + reply, cause);
            }
            if (code.equals("WRONGTYPE")) {
                return new CorruptDataException("a Redis key of " + what + " holds an unexpected type: " + reply, cause);
            }
            return new BackendUnavailableException("Redis failed " + what + ": " + reply, cause);
        }
        if (cause instanceof RedisException) {
            // connection closed, not connected, request queue full: the outcome is unknown, a retry may succeed
            return new BackendUnavailableException("Redis connection failed during " + what + ": " + cause.getMessage(), cause);
        }
        return cause;
    }

    /** The error code a server reply starts with ({@code WRONGTYPE}, {@code NOPERM}, ...). */
    private static String replyCode(Throwable reply) {
        return String.valueOf(reply.getMessage()).split(" ", 2)[0].toUpperCase(Locale.ROOT);
    }
}
