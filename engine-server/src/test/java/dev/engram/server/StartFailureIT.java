package dev.engram.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.config.EngramConfig;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A server that cannot start says so: its start future fails with the cause and leaves nothing running. */
class StartFailureIT {

    @Test
    void aTakenPortFailsTheStartInsteadOfHanging() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            ServerOptions options = new ServerOptions().setHost("127.0.0.1").setPort(taken.getLocalPort()).setTcpBridgePort(-1).setInstances(1);
            EngramConfig config = EngramConfig.defaults().withProvider("memory").withStrict(true);

            var start = EngramServer.start(config, options).toCompletionStage().toCompletableFuture();

            assertThatThrownBy(() -> start.get(30, TimeUnit.SECONDS))
                    .as("the start fails within the timeout, naming the bind failure")
                    .hasStackTraceContaining("Address already in use");
            assertThat(start).isCompletedExceptionally();
        }
    }
}
