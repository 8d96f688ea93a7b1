package dev.engram.backend.postgres;

import dev.engram.core.BackendUnavailableException;
import dev.engram.core.ConfigurationException;
import dev.engram.core.EngramException;
import dev.engram.core.spi.support.Causes;
import io.r2dbc.spi.R2dbcDataIntegrityViolationException;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.R2dbcTimeoutException;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/** The one place where driver exceptions become Engram's. */
final class PostgresErrors {

    static final String UNIQUE_VIOLATION = "23505";

    private PostgresErrors() {
    }

    /** Whether {@code t} is a duplicate key: another writer stored the same version or event id first. */
    static boolean isDuplicateKey(Throwable t) {
        return t instanceof R2dbcDataIntegrityViolationException e && UNIQUE_VIOLATION.equals(e.getSqlState());
    }

    /**
     * Whether a failed call may have failed because of one of its inputs (a duplicate key, a value out of range, a
     * limit, an exception raised by a function), rather than the connection or the server: then each input alone may pass.
     */
    static boolean mayBelongToOneStatementInput(Throwable t) {
        if (!(t instanceof R2dbcException e) || e.getSqlState() == null) {
            return false;
        }
        String state = e.getSqlState();
        return state.startsWith("22") || state.startsWith("23") || state.startsWith("54") || state.startsWith("P0");
    }

    /**
     * Translates a failure of {@code what} (e.g. "appending to t"). A refusal of the configuration itself (see {@link
     * #refusesConfiguration}) is a {@link ConfigurationException}: trying again meets it again. Every other driver
     * failure is transient from the caller's point of view: a lost connection, a timeout, a cancelled statement, a
     * server shutting down. Duplicate keys are handled by the caller before getting here, because turning them into a
     * conflict needs the actual head.
     */
    static RuntimeException translate(Throwable t, String what) {
        if (t instanceof EngramException e) {
            return e;
        }
        // also when a connection could not be opened for it (the driver's refusal is then a cause)
        if (Causes.find(t, c -> c instanceof R2dbcException e && refusesConfiguration(e.getSqlState())) instanceof R2dbcException refused) {
            return new ConfigurationException("PostgreSQL refused the configuration while " + what + ": [" + refused.getSqlState() + "] "
                    + refused.getMessage() + "; check the url, user and password, the database, and the user's privileges on the schema", t);
        }
        if (t instanceof TimeoutException || t instanceof R2dbcTimeoutException) {
            return new BackendUnavailableException("PostgreSQL did not answer in time while " + what, t);
        }
        if (t instanceof R2dbcException e && e.getSqlState() != null) {
            return new BackendUnavailableException("PostgreSQL failed while " + what + ": [" + e.getSqlState() + "] " + e.getMessage(), t);
        }
        return new BackendUnavailableException("PostgreSQL is unavailable while " + what + ": " + t, t);
    }

    /** Credentials refused (SQLSTATE class 28), a privilege missing (42501), no such database (3D000). */
    private static boolean refusesConfiguration(@Nullable String state) {
        return state != null && (state.startsWith("28") || state.equals("42501") || state.equals("3D000"));
    }
}
