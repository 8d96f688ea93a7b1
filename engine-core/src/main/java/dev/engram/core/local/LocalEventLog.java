package dev.engram.core.local;

import dev.engram.core.model.Page;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadQuery;
import dev.engram.core.spi.EventLog;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.LogAppended;
import dev.engram.core.spi.ThreadRecord;
import dev.engram.core.spi.support.ThreadCursor;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Reads run on the read scheduler against committed data; writes go to the {@link LocalWriter}. */
final class LocalEventLog implements EventLog {

    private final LocalDb db;
    private final LocalReads reads;
    private final LocalWriter writer;
    private final Clock clock;

    LocalEventLog(LocalDb db, LocalReads reads, LocalWriter writer, Clock clock) {
        this.db = db;
        this.reads = reads;
        this.writer = writer;
        this.clock = clock;
    }

    @Override
    public Mono<LogAppended> append(LogAppend append) {
        return writer.append(append);
    }

    @Override
    public Flux<EventRecord> read(ThreadKey key, long fromVersion, long toVersion, int limit) {
        return reads.call("reading the events of " + key, () -> {
            if (limit < 1) {
                return List.<EventRecord>of();
            }
            byte[] prefix = LocalFormat.prefix(key);
            Snapshot snapshot = db.db.getSnapshot();
            // one snapshot for record and events: the head bounds the range even while appends land
            try (ReadOptions options = new ReadOptions().setSnapshot(snapshot)) {
                byte[] value = db.db.get(db.threads, options, prefix);
                ThreadRecord r = value == null ? null : LocalFormat.decodeRecord(key, value);
                if (r == null || r.isExpiredAt(clock.millis())) {
                    return List.<EventRecord>of();
                }
                long first = Math.max(fromVersion, 1);
                long last = Math.min(toVersion, r.version());
                List<EventRecord> out = new ArrayList<>();
                if (first > last) {
                    return out;
                }
                try (RocksIterator it = db.db.newIterator(db.events, options)) {
                    for (it.seek(LocalFormat.versionKey(prefix, first)); it.isValid() && out.size() < limit; it.next()) {
                        byte[] k = it.key();
                        if (!LocalFormat.startsWith(k, prefix)) {
                            break;
                        }
                        long v = LocalFormat.versionOf(k);
                        if (v > last) {
                            break;
                        }
                        out.add(LocalFormat.decodeEvent(key, v, it.value()));
                    }
                    it.status();
                }
                return out;
            } finally {
                db.db.releaseSnapshot(snapshot);
            }
        }).flatMapIterable(list -> list);
    }

    @Override
    public Mono<ThreadRecord> find(ThreadKey key) {
        return reads.call("reading " + key, () -> {
            byte[] value = db.db.get(db.threads, LocalFormat.prefix(key));
            ThreadRecord r = value == null ? null : LocalFormat.decodeRecord(key, value);
            return r == null || r.isExpiredAt(clock.millis()) ? null : r;
        });
    }

    @Override
    public Mono<ThreadRecord> updateMetadata(ThreadKey key, Map<String, String> set, Set<String> remove) {
        return writer.updateMetadata(key, set, remove);
    }

    @Override
    public Mono<Boolean> delete(ThreadKey key) {
        return writer.delete(key);
    }

    @Override
    public Mono<Long> deleteEventsUpTo(ThreadKey key, long upToVersion) {
        return writer.deleteEventsUpTo(key, upToVersion);
    }

    @Override
    public Mono<Page<ThreadRecord>> list(ThreadQuery query) {
        return reads.call("listing the threads of " + query.tenant(), () -> {
            long now = clock.millis();
            byte[] tenant = LocalFormat.tenantPrefix(query.tenant());
            List<ThreadRecord> matches = new ArrayList<>();
            try (RocksIterator it = db.db.newIterator(db.threads)) {
                // record keys sort like ThreadCursor.ORDER, so the scan starts at the cursor and stops one past the page
                it.seek(query.after() == null ? tenant : LocalFormat.cursorKey(query.tenant(), query.after()));
                for (; it.isValid() && matches.size() <= query.limit(); it.next()) {
                    byte[] k = it.key();
                    if (!LocalFormat.startsWith(k, tenant)) {
                        break;
                    }
                    ThreadKey key = LocalFormat.threadKeyOf(k);
                    if (!ThreadCursor.isAfter(key, query.after())) {
                        continue;
                    }
                    ThreadRecord r = LocalFormat.decodeRecord(key, it.value());
                    if (!r.isExpiredAt(now) && r.metadata().entrySet().containsAll(query.metadata().entrySet())) {
                        matches.add(r);
                    }
                }
                it.status();
            }
            return ThreadCursor.page(matches, query.limit());
        });
    }
}
