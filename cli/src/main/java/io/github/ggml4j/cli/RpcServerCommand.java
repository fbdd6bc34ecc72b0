package io.github.ggml4j.cli;

import io.github.ggml4j.Ggml4j;
import io.github.ggml4j.rpc.Rpc;
import io.github.ggml4j.rpc.RpcServer;
import io.github.ggml4j.rpc.RpcServerOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code ggml4j rpc-server}: this machine's devices served over ggml's RPC protocol, to ggml4j's {@code --rpc} and
 * llama.cpp's alike. It runs until the process is ended (Ctrl-C, SIGTERM).
 */
@Command(name = "rpc-server", mixinStandardHelpOptions = true,
        description = "Serve this machine's devices to ggml RPC clients (ggml4j or llama.cpp --rpc) until stopped. "
                + "No authentication: loopback by default; use a private network or an SSH/WireGuard tunnel.")
final class RpcServerCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-H", "--host"}, defaultValue = "127.0.0.1", paramLabel = "IPV4",
            description = "address to listen on (default ${DEFAULT-VALUE}; others need --allow-remote)")
    String host;

    @Option(names = {"-p", "--port"}, defaultValue = "50052", description = "port (default ${DEFAULT-VALUE})")
    int port;

    @Option(names = {"-t", "--threads"}, description = "CPU threads (default: all cores)")
    Integer threads;

    @Option(names = {"-c", "--cache"}, paramLabel = "DIR",
            description = "keep received tensors in DIR by hash, so a client reloading a model sends less")
    Path cache;

    @Option(names = "--allow-remote", description = "listen on a non-loopback address (unauthenticated: read the warning)")
    boolean allowRemote;

    @Override
    public Integer call() {
        RpcServerOptions o = new RpcServerOptions(host, port, threads != null ? threads : Ggml4j.defaultThreads(),
                Optional.ofNullable(cache), allowRemote);
        PrintWriter err = spec.commandLine().getErr();
        if (!o.loopbackHost() && allowRemote) {
            err.println("ggml4j: WARNING: listening on " + host + ", not loopback. " + RpcServer.WARNING);
        }
        err.println("ggml4j: RPC server (protocol " + Rpc.protocolVersion() + ") on " + o.endpoint()
                + "; stop it with Ctrl-C or SIGTERM");
        err.flush();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            err.println("ggml4j: RPC server on " + o.endpoint() + " stopped");
            err.flush();
        }, "ggml4j-rpc-server-stop"));
        RpcServer.serve(o); // returns only by an exception
        return ExitCodes.OK;
    }
}
