package io.github.ggml4j.cli;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.rpc.Rpc;
import io.github.ggml4j.rpc.RpcEndpoint;
import io.github.ggml4j.rpc.RpcException;
import io.github.ggml4j.rpc.RpcException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What goes wrong with RPC servers, and what the caller sees: a typed {@link RpcException} (exit code 17 on the
 * command line) for a wrong address, a closed port, a peer that is no ggml RPC server, one of another protocol
 * version or one that does not answer, all before ggml's client (which would abort the JVM) sees the endpoint;
 * refusals of the server side; and, once a server is in use, the documented abort with a clear message when it
 * dies mid-generation (in a child JVM). All traffic stays on 127.0.0.1.
 */
class RpcFailureTest {

    @TempDir
    Path dir;

    static Path model() {
        return RpcSplitParityTest.MODEL.cached();
    }

    static RpcException loadFails(String server) {
        ModelOptions o = ModelOptions.defaults().withThreads(1).withContextSize(256).withGpuLayers(99)
                .withRpcServers(List.of(RpcEndpoint.parse(server)));
        return assertThrows(RpcException.class, () -> Model.load(model(), o).close());
    }

    @Test
    void unknownHostIsUnresolved() {
        RpcException e = loadFails("no-such-host.invalid:50052");
        assertEquals(Reason.UNRESOLVED, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("no-such-host.invalid"), e.getMessage());
        Cli.Result r = Cli.run("generate", "-m", model().toString(), "-p", "hi", "-n", "2", "--rpc",
                "no-such-host.invalid:50052");
        assertEquals(17, r.exit(), r.all());
        assertTrue(r.err().startsWith("ggml4j: RPC server no-such-host.invalid:50052: unknown host"), r.all());
    }

    @Test
    void closedPortIsRefused() {
        int port = RpcServers.freePort();
        RpcException e = loadFails("127.0.0.1:" + port);
        assertEquals(Reason.REFUSED, e.reason(), e.getMessage());
        assertEquals(new RpcEndpoint("127.0.0.1", port), e.endpoint());
        Cli.Result r = Cli.run("info", "--rpc", "127.0.0.1:" + port);
        assertEquals(17, r.exit(), r.all());
        assertTrue(r.err().contains("connection refused"), r.all());
    }

    @Test
    void badEndpointsAreUsageErrors() {
        for (String bad : new String[] {"localhost", "127.0.0.1:0", "127.0.0.1:70000", "[::1]:50052", "a:1,a:1", ""}) {
            Cli.Result r = Cli.run("generate", "-m", model().toString(), "-p", "hi", "-n", "2", "--rpc", bad);
            assertEquals(2, r.exit(), bad + ": " + r.all());
            assertTrue(r.err().startsWith("ggml4j: --rpc: "), bad + ": " + r.all());
        }
        Cli.Result ts = Cli.run("generate", "-m", model().toString(), "-p", "hi", "-n", "2", "-ts", "1,x");
        assertEquals(2, ts.exit(), ts.all());
    }

    @Test
    void anotherProtocolVersionIsAMismatch() throws Exception {
        // answers HELLO as a server of protocol 6.1.0 would
        try (FakeServer f = new FakeServer(s -> {
            byte[] reply = new byte[8 + 28];
            reply[0] = 28;
            reply[8] = 6;
            reply[9] = 1;
            answerAfterHello(s, reply);
        })) {
            RpcException e = loadFails(f.endpoint());
            assertEquals(Reason.VERSION_MISMATCH, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains("6.1.0") && e.getMessage().contains(Rpc.protocolVersion()),
                    e.getMessage());
        }
        // a newer minor version is refused too (ggml's rule); an older minor one would be accepted
        String[] ours = Rpc.protocolVersion().split("\\.");
        try (FakeServer f = new FakeServer(s -> {
            byte[] reply = new byte[8 + 28];
            reply[0] = 28;
            reply[8] = (byte) Integer.parseInt(ours[0]);
            reply[9] = (byte) (Integer.parseInt(ours[1]) + 1);
            answerAfterHello(s, reply);
        })) {
            assertEquals(Reason.VERSION_MISMATCH, assertThrows(RpcException.class,
                    () -> Rpc.check(RpcEndpoint.parse(f.endpoint()))).reason());
        }
    }

    @Test
    void aPeerThatIsNoRpcServerIsNotRpc() throws Exception {
        try (FakeServer f = new FakeServer(s -> answerAfterHello(s,
                "HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII)))) {
            assertEquals(Reason.NOT_RPC, loadFails(f.endpoint()).reason());
        }
        try (FakeServer f = new FakeServer(s -> { })) { // accepts and closes at once
            assertEquals(Reason.NOT_RPC, loadFails(f.endpoint()).reason());
        }
    }

    @Test
    void aServerThatDoesNotAnswerIsNoAnswer() throws Exception {
        // as ggml's server does while another client holds it: the connection opens, the handshake waits
        try (FakeServer f = new FakeServer(s -> {
            try {
                Thread.sleep(15_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })) {
            long t0 = System.nanoTime();
            RpcException e = loadFails(f.endpoint());
            assertEquals(Reason.NO_ANSWER, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains("one client at a time"), e.getMessage());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(14), "bounded by the answer timeout");
        }
    }

    @Test
    void theServerRefusesNonLoopbackAddressesWithoutPermissionAndBusyPorts() throws Exception {
        int port = RpcServers.freePort();
        Cli.Result r = Cli.run("rpc-server", "--host", "0.0.0.0", "--port", Integer.toString(port));
        assertEquals(17, r.exit(), r.all());
        assertTrue(r.err().contains("refusing to serve on 0.0.0.0") && r.err().contains("--allow-remote")
                && r.err().contains("SSH or WireGuard"), r.all());
        Cli.Result name = Cli.run("rpc-server", "--host", "localhost", "--port", Integer.toString(port));
        assertEquals(2, name.exit(), name.all());
        assertTrue(name.err().contains("IPv4 address"), name.all());
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Cli.Result b = Cli.run("rpc-server", "--port", Integer.toString(busy.getLocalPort()));
            assertEquals(17, b.exit(), b.all());
            assertTrue(b.err().contains("cannot listen on 127.0.0.1:" + busy.getLocalPort()), b.all());
        }
    }

    @Test
    void infoListsTheRemoteDevicesWithTheirMemory() throws Exception {
        try (RpcServers.Server s = RpcServers.ours(dir, 1)) {
            Cli.Result r = Cli.process(dir, "info", "--rpc", s.endpoint().toString());
            assertEquals(0, r.exit(), r.all() + s.log());
            assertTrue(r.out().contains("rpc protocol   : " + Rpc.protocolVersion()), r.out());
            assertTrue(r.out().matches("(?s).*\\n  RPC0 +RPC +dev 0 +" + s.endpoint().toString().replace(".", "\\.")
                    + " device 0 \\([0-9,]+ MiB free of [0-9,]+ MiB\\)\\n.*"), r.out());
        }
    }

    @Test
    void aServerKilledMidGenerationEndsTheClientWithTheDocumentedMessage() throws Exception {
        try (RpcServers.Server s = RpcServers.ours(dir, 1)) {
            List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                    "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"));
            if (System.getProperty("ggml4j.root") != null) {
                cmd.add("-Dggml4j.root=" + System.getProperty("ggml4j.root"));
            }
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "generate",
                    "-m", model().toString(), "-p", "Hello", "-n", "4000", "-c", "4096", "-t", "1",
                    "--logit-bias", "2-100", "--rpc", s.endpoint().toString(), "-ngl", "99"));
            Path out = Files.createTempFile(dir, "gen", ".out");
            Path err = Files.createTempFile(dir, "gen", ".err");
            Process child = new ProcessBuilder(cmd).redirectInput(new File("/dev/null")).redirectOutput(out.toFile())
                    .redirectError(err.toFile()).start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                while (Files.size(out) < 40 && child.isAlive() && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertTrue(child.isAlive() && Files.size(out) >= 40, "the child generates through the server: "
                        + Files.readString(out) + Files.readString(err));
                s.close(); // the server dies mid-generation
                assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the client ends when its server is gone");
            } finally {
                child.destroyForcibly();
            }
            String e = Files.readString(err);
            assertEquals(134, child.exitValue(), "ggml's abort (SIGABRT): " + e);
            assertTrue(e.contains("ggml4j: native abort: ") && e.contains("RPC"), e);
            assertTrue(e.contains("ggml4j: an RPC server this process uses (" + s.endpoint() + ") stopped answering"),
                    e);
        }
    }

    private static void answerAfterHello(Socket s, byte[] reply) {
        try {
            InputStream in = s.getInputStream();
            in.readNBytes(1 + 8 + 24);
            OutputStream o = s.getOutputStream();
            o.write(reply);
            o.flush();
        } catch (IOException e) {
            // the client gave up first
        }
    }

    /** A loopback server that hands each connection to a handler on its own thread, then closes it. */
    static final class FakeServer implements AutoCloseable {
        private final ServerSocket socket;
        private final Thread thread;

        FakeServer(Consumer<Socket> handler) throws IOException {
            socket = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
            thread = Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try (Socket s = socket.accept()) {
                        handler.accept(s);
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        String endpoint() {
            return "127.0.0.1:" + socket.getLocalPort();
        }

        @Override
        public void close() throws Exception {
            socket.close();
            thread.interrupt();
            thread.join(20_000);
        }
    }
}
