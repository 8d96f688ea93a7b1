package dev.engram.core.local;

import dev.engram.core.BackendUnavailableException;
import dev.engram.core.ConfigurationException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * The open RocksDB database and its column families. Every native call goes through {@link #call}, which holds a
 * read lease so that {@link #close()} waits for calls in flight instead of freeing handles under them (a crash in JNI).
 */
final class LocalDb {

    static {
        RocksDB.loadLibrary();
    }

    final Path dir;
    final RocksDB db;
    /** Thread records by prefix. */
    final ColumnFamilyHandle threads;
    /** Events by prefix + big-endian version. */
    final ColumnFamilyHandle events;
    /** Event versions by prefix + event id, for idempotent retries. */
    final ColumnFamilyHandle ids;
    /** Checkpoints by prefix + big-endian version. */
    final ColumnFamilyHandle checkpoints;
    /** Memory items by {@code tenant 0x00 namespace-path 0x00 key}. */
    final ColumnFamilyHandle memories;

    private final DBOptions dbOptions;
    private final ColumnFamilyOptions cfOptions;
    private final List<ColumnFamilyHandle> handles;
    private final ReentrantReadWriteLock lease = new ReentrantReadWriteLock();
    private volatile boolean closed;

    private LocalDb(Path dir, RocksDB db, DBOptions dbOptions, ColumnFamilyOptions cfOptions, List<ColumnFamilyHandle> handles) {
        this.dir = dir;
        this.db = db;
        this.dbOptions = dbOptions;
        this.cfOptions = cfOptions;
        this.handles = handles;
        this.threads = handles.get(1);
        this.events = handles.get(2);
        this.ids = handles.get(3);
        this.checkpoints = handles.get(4);
        this.memories = handles.get(5);
    }

    static LocalDb open(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new ConfigurationException("cannot create the data directory " + dir + ": " + e, e);
        }
        DBOptions dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
                .setKeepLogFileNum(3).setMaxLogFileSize(8L << 20);
        ColumnFamilyOptions cfOptions = new ColumnFamilyOptions();
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        // a family missing from an older directory is created on open (setCreateMissingColumnFamilies)
        for (String name : List.of("default", "threads", "events", "ids", "checkpoints", "memories")) {
            byte[] id = name.equals("default") ? RocksDB.DEFAULT_COLUMN_FAMILY : name.getBytes(StandardCharsets.US_ASCII);
            descriptors.add(new ColumnFamilyDescriptor(id, cfOptions));
        }
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try {
            RocksDB db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
            return new LocalDb(dir, db, dbOptions, cfOptions, handles);
        } catch (RocksDBException e) {
            handles.forEach(ColumnFamilyHandle::close);
            cfOptions.close();
            dbOptions.close();
            throw LocalErrors.onOpen(e, dir);
        }
    }

    /** A blocking native call; throws {@link BackendUnavailableException} once closed. */
    interface Call<T> {
        T run() throws RocksDBException;
    }

    <T> T call(String what, Call<T> call) {
        lease.readLock().lock();
        try {
            if (closed) {
                throw LocalErrors.closed();
            }
            return call.run();
        } catch (RocksDBException e) {
            throw LocalErrors.translate(e, what);
        } finally {
            lease.readLock().unlock();
        }
    }

    boolean isClosed() {
        return closed;
    }

    /** Waits for calls in flight, then closes handles, database and options, in the order rocksdbjni requires. */
    void close() {
        lease.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            handles.forEach(ColumnFamilyHandle::close);
            db.close();
            cfOptions.close();
            dbOptions.close();
        } finally {
            lease.writeLock().unlock();
        }
    }
}
