package dev.engram.server;

import io.vertx.core.json.JsonObject;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A TCP event bus bridge client on a plain socket: each frame is a 4-byte big-endian length and that many bytes of JSON. */
final class BridgeClient implements AutoCloseable {

    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;

    BridgeClient(int port) {
        try {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(20_000);
            in = new DataInputStream(socket.getInputStream());
            out = new DataOutputStream(socket.getOutputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void write(JsonObject frame) {
        byte[] bytes = frame.encode().getBytes(StandardCharsets.UTF_8);
        try {
            out.writeInt(bytes.length);
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The next frame; fails after 20 s of silence. */
    JsonObject read() {
        try {
            int length = in.readInt();
            byte[] bytes = new byte[length];
            in.readFully(bytes);
            return new JsonObject(new String(bytes, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonObject send(String address, String token, String replyAddress, JsonObject body) {
        JsonObject frame = new JsonObject().put("type", "send").put("address", address).put("replyAddress", replyAddress).put("body", body);
        return token == null ? frame : frame.put("headers", new JsonObject().put("authorization", "Bearer " + token));
    }

    static JsonObject register(String address, String token) {
        JsonObject frame = new JsonObject().put("type", "register").put("address", address);
        return token == null ? frame : frame.put("headers", new JsonObject().put("authorization", "Bearer " + token));
    }

    /** Sends a request and reads frames until its reply (or error) arrives. */
    JsonObject request(String address, String token, JsonObject body) {
        String reply = "reply-" + System.nanoTime();
        write(send(address, token, reply, body));
        while (true) {
            JsonObject frame = read();
            if (reply.equals(frame.getString("address")) || "err".equals(frame.getString("type")) && frame.getString("address") == null) {
                return frame;
            }
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
