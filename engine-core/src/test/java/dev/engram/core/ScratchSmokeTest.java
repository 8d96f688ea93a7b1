package dev.engram.core;

import dev.engram.core.config.*;
import dev.engram.core.model.*;
import java.time.Duration;
import java.util.*;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

class ScratchSmokeTest {
    @Test
    void smoke() {
        Engram e = Engram.open(EngramConfig.defaults().withProvider("memory").withCheckpoints(new CheckpointPolicy(10, 0, 2, false)));
        ThreadHandle t = e.thread("a");
        for (int i = 0; i < 35; i++) t.append(Change.message(Message.user("m" + i))).block();
        System.out.println("state " + t.state().block());
        Flux.interval(Duration.ofMillis(20)).take(10).blockLast();
        System.out.println("cps " + t.checkpoints().collectList().block());
        System.out.println("at 12 " + t.stateAt(12).block().messages().size());
        var w = t.watch(30).take(3).collectList().subscribeOn(Schedulers.parallel()).toFuture();
        for (int i = 0; i < 3; i++) t.append(Change.message(Message.user("x" + i))).block();
        System.out.println("watch " + w.join().stream().map(u -> u.firstVersion() + "-" + u.lastVersion()).toList());
        System.out.println("fork " + t.fork(ThreadKey.of("b"), 20).block());
        System.out.println("list " + e.threads(ThreadQuery.of("default")).block());
        System.out.println("del " + t.delete().block() + " " + t.state().block());
    }
}
