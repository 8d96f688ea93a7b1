package dev.engram.backend.mongodb;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.MongoSecurityException;
import com.mongodb.MongoServerException;
import com.mongodb.MongoWriteException;
import com.mongodb.bulk.BulkWriteError;
import dev.engram.core.BackendUnavailableException;
import dev.engram.core.ConfigurationException;
import dev.engram.core.EngramException;
import dev.engram.core.PayloadTooLargeException;
import dev.engram.core.spi.support.Causes;
import java.util.concurrent.TimeoutException;
import org.bson.BsonMaximumSizeExceededException;

/** The one place that turns driver exceptions into Engram's. */
final class MongoErrors {

    static final int DUPLICATE_KEY = 11000;
    static final int UNAUTHORIZED = 13;
    static final int AUTHENTICATION_FAILED = 18;
    static final long MAX_DOCUMENT_BYTES = 16L * 1024 * 1024;

    private MongoErrors() {
    }

    /** Whether a write (or an index build) failed on a unique index. */
    static boolean isDuplicateKey(Throwable e) {
        if (e instanceof MongoCommandException c) {
            return c.getErrorCode() == DUPLICATE_KEY;
        }
        if (e instanceof MongoWriteException w) {
            return w.getError().getCategory() == ErrorCategory.DUPLICATE_KEY || w.getError().getCode() == DUPLICATE_KEY;
        }
        if (e instanceof MongoBulkWriteException b) {
            return b.getWriteErrors().stream().anyMatch(MongoErrors::isDuplicateKey);
        }
        return false;
    }

    /** Whether one write of a bulk failed on a unique index. */
    static boolean isDuplicateKey(BulkWriteError error) {
        return error.getCategory() == ErrorCategory.DUPLICATE_KEY || error.getCode() == DUPLICATE_KEY;
    }

    /** Translates anything that is not already an {@link EngramException}. */
    static Throwable translate(Throwable e, String what) {
        if (e instanceof EngramException) {
            return e;
        }
        Throwable refused = Causes.find(e, MongoErrors::refusesCredentials);
        if (refused != null) {
            return new ConfigurationException("MongoDB refused the configured credentials (" + what + "): " + refused.getMessage()
                    + "; check the url's user, password and authSource, and the user's roles on the database", e);
        }
        if (e instanceof BsonMaximumSizeExceededException) {
            return new PayloadTooLargeException(what + ": a MongoDB document (16 MiB BSON limit)", MAX_DOCUMENT_BYTES + 1, MAX_DOCUMENT_BYTES);
        }
        if (e instanceof TimeoutException) {
            return new BackendUnavailableException("MongoDB did not answer in time (" + what + ")", e);
        }
        if (e instanceof MongoException) {
            // network loss, server selection and socket timeouts, failovers and server-side errors alike: whether a
            // write took effect is unknown, and trying again is the caller's only move
            return new BackendUnavailableException("MongoDB failed (" + what + "): " + e.getMessage(), e);
        }
        return e;
    }

    /**
     * Whether the server refused the configured credentials: authentication failed (on a new connection, or code 18), or
     * the user may not run the command (code 13). Trying again meets the same refusal until the configuration or the
     * server's users change.
     */
    private static boolean refusesCredentials(Throwable t) {
        return t instanceof MongoSecurityException
                || t instanceof MongoServerException s && (s.getCode() == UNAUTHORIZED || s.getCode() == AUTHENTICATION_FAILED);
    }
}
