package dev.engram.core.extraction;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A real HTTP server on 127.0.0.1 that answers like an OpenAI-compatible API, from a script: per path, replies queued
 * by the test are used first, then the path's handler. It records every request, and can hold a request open until
 * the test releases it (for timeouts and for closing an engine in the middle of a call).
 */
final class ScriptedModelServer implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    record Request(String path, @Nullable String authorization, JsonNode body) {
    }

    record Reply(int status, Map<String, String> headers, String body) {

        static Reply json(int status, String body) {
            return new Reply(status, Map.of("Content-Type", "application/json"), body);
        }

        static Reply ok(Object json) {
            try {
                return json(200, JSON.writeValueAsString(json));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        Reply withHeader(String name, String value) {
            Map<String, String> h = new LinkedHashMap<>(headers);
            h.put(name, value);
            return new Reply(status, h, body);
        }
    }

    @FunctionalInterface
    interface Handler {
        Reply answer(Request request) throws Exception;
    }

    /** A request held open: {@link #arrived()} when it came in, then answered once {@link #release()} is called. */
    static final class Hold {
        private final CountDownLatch arrived = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);
        private volatile @Nullable Request request;

        /** Waits (up to 30 s) for the held request and returns it. */
        Request arrived() throws InterruptedException {
            if (!arrived.await(30, TimeUnit.SECONDS)) {
                throw new AssertionError("the held request never arrived");
            }
            return request;
        }

        void release() {
            released.countDown();
        }
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "scripted-model");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Handler> handlers = new ConcurrentHashMap<>();
    private final Map<String, ConcurrentLinkedQueue<Reply>> queued = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Hold> holds = new ConcurrentLinkedQueue<>();
    private final List<Hold> allHolds = new CopyOnWriteArrayList<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    private ScriptedModelServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/v1/", this::serve);
        server.start();
    }

    static ScriptedModelServer start() throws IOException {
        return new ScriptedModelServer();
    }

    /** The base URL including {@code /v1}, as configured in {@code memory.*.baseUrl}. */
    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    /** Answers {@code path} (e.g. {@code /v1/embeddings}) with {@code handler} once queued replies are used up. */
    ScriptedModelServer on(String path, Handler handler) {
        handlers.put(path, handler);
        return this;
    }

    /** Answers the next requests to {@code path} with these replies, in order. */
    ScriptedModelServer enqueue(String path, Reply... replies) {
        queued.computeIfAbsent(path, p -> new ConcurrentLinkedQueue<>()).addAll(List.of(replies));
        return this;
    }

    /** Holds the next request (to any path) open until the returned hold is released. */
    Hold holdNext() {
        Hold h = new Hold();
        holds.add(h);
        allHolds.add(h);
        return h;
    }

    List<Request> requests() {
        return new ArrayList<>(requests);
    }

    List<Request> requests(String path) {
        return requests.stream().filter(r -> r.path().equals(path)).toList();
    }

    private void serve(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            byte[] in = exchange.getRequestBody().readAllBytes();
            JsonNode body = in.length == 0 ? JSON.nullNode() : JSON.readTree(in);
            Request request = new Request(path, exchange.getRequestHeaders().getFirst("Authorization"), body);
            requests.add(request);
            Hold hold = holds.poll();
            if (hold != null) {
                hold.request = request;
                hold.arrived.countDown();
                hold.released.await(60, TimeUnit.SECONDS);
            }
            Reply reply = reply(path, request);
            byte[] out = reply.body().getBytes(StandardCharsets.UTF_8);
            reply.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            exchange.sendResponseHeaders(reply.status(), out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                try (OutputStream os = exchange.getResponseBody()) {
                    os.write(out);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the client went away (a timeout, an engine closed mid-call): nothing to answer
        }
    }

    private Reply reply(String path, Request request) throws IOException {
        ConcurrentLinkedQueue<Reply> q = queued.get(path);
        Reply next = q == null ? null : q.poll();
        if (next != null) {
            return next;
        }
        Handler h = handlers.get(path);
        if (h == null) {
            return Reply.json(404, JSON.createObjectNode().set("error", JSON.createObjectNode().put("message", "no route " + path)).toString());
        }
        try {
            return h.answer(request);
        } catch (Exception e) {
            return Reply.json(500, JSON.createObjectNode().set("error", JSON.createObjectNode().put("message", "script failed: " + e)).toString());
        }
    }

    @Override
    public void close() {
        allHolds.forEach(Hold::release);
        server.stop(0);
        executor.shutdownNow();
    }
}
