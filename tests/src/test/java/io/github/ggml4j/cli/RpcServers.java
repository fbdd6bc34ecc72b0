package io.github.ggml4j.cli;

import io.github.ggml4j.rpc.Rpc;
import io.github.ggml4j.rpc.RpcEndpoint;
import io.github.ggml4j.rpc.RpcException;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * ggml RPC servers on 127.0.0.1 for the tests, each a process of its own: ggml4j's ({@code ggml4j rpc-server} in a
 * child JVM) and llama.cpp's ({@code ggml-rpc-server} from the pinned tree). Clients in this JVM only ever check
 * them (a check closes its connection again): ggml's client keeps its connection for the life of its process and
 * the server serves one client at a time, so generation runs in child processes.
 */
final class RpcServers {

    /** A running server; its stdout and stderr go to {@code log}. */
    record Server(String kind, Process process, int port, Path logFile) implements AutoCloseable {

        RpcEndpoint endpoint() {
            return new RpcEndpoint("127.0.0.1", port);
        }

        /** What the server printed so far. */
        String log() {
            try {
                return Files.readString(logFile, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }

        /** Kills the server and waits for it to be gone (bounded). */
        @Override
        public void close() {
            process.destroyForcibly();
            try {
                process.waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private RpcServers() {
    }

    /** A port nothing listens on right now. */
    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** {@code ggml4j rpc-server} in a child JVM with this one's class path. */
    static Server ours(Path dir, int threads, String... extra) {
        int port = freePort();
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        String root = System.getProperty("ggml4j.root");
        if (root != null) {
            cmd.add("-Dggml4j.root=" + root);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "rpc-server",
                "--host", "127.0.0.1", "--port", Integer.toString(port), "-t", Integer.toString(threads)));
        cmd.addAll(List.of(extra));
        return start("ggml4j rpc-server", cmd, port, dir);
    }

    /** llama.cpp's {@code ggml-rpc-server} of the pinned tree. */
    static Server theirs(Path dir, int threads) {
        int port = freePort();
        List<String> cmd = List.of(ReferenceTool.path("ggml-rpc-server").toString(), "-H", "127.0.0.1",
                "-p", Integer.toString(port), "-t", Integer.toString(threads));
        return start("llama.cpp ggml-rpc-server", cmd, port, dir);
    }

    private static Server start(String kind, List<String> cmd, int port, Path dir) {
        try {
            Path log = Files.createTempFile(dir, "rpc-server", ".log");
            Process p = new ProcessBuilder(cmd).redirectInput(new File("/dev/null")).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            Server s = new Server(kind, p, port, log);
            awaitListening(s);
            return s;
        } catch (IOException e) {
            throw new AssertionError("cannot start " + cmd + ": " + e, e);
        }
    }

    /** Until the server answers the handshake (at most 60 s), failing with its log if it exits first. */
    static void awaitListening(Server s) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (!s.process().isAlive()) {
                throw new AssertionError(s.kind() + " exited with " + s.process().exitValue() + ":\n" + s.log());
            }
            try {
                Rpc.check(s.endpoint());
                return;
            } catch (RpcException e) {
                if (e.reason() != RpcException.Reason.REFUSED || System.nanoTime() > deadline) {
                    s.close();
                    throw new AssertionError(s.kind() + " on " + s.endpoint() + " did not come up: " + e.getMessage()
                            + "\n" + s.log(), e);
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
