package dev.engram.core.local;

import dev.engram.core.BackendUnavailableException;
import dev.engram.core.ConfigurationException;
import dev.engram.core.CorruptDataException;
import dev.engram.core.EngramException;
import java.nio.file.Path;
import org.rocksdb.RocksDBException;
import org.rocksdb.Status;

/** The one place where RocksDB's errors become Engram's. */
final class LocalErrors {

    private LocalErrors() {
    }

    /** Corruption is permanent; every other RocksDB failure (I/O, disk full, busy, shut down) may pass. */
    static EngramException translate(RocksDBException e, String what) {
        Status status = e.getStatus();
        Status.Code code = status == null ? Status.Code.Undefined : status.getCode();
        String message = what + " failed: " + e.getMessage();
        if (code == Status.Code.Corruption) {
            return new CorruptDataException(message, e);
        }
        return new BackendUnavailableException(message, e);
    }

    /** Opening failed; a held LOCK file means another engine (here or in another process) owns the directory. */
    static EngramException onOpen(RocksDBException e, Path dir) {
        String m = String.valueOf(e.getMessage());
        Status status = e.getStatus();
        if ((status == null || status.getCode() == Status.Code.IOError) && m.contains("LOCK")) {
            return new ConfigurationException("data directory " + dir + " is in use by another Engram process (lock held)", e);
        }
        return translate(e, "opening the data directory " + dir);
    }

    static BackendUnavailableException closed() {
        return new BackendUnavailableException("the local backend is closed");
    }
}
