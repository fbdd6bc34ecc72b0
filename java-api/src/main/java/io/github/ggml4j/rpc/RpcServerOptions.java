package io.github.ggml4j.rpc;

import io.github.ggml4j.Ggml4j;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * How {@link RpcServer#serve} listens.
 *
 * {@snippet :
 * RpcServerOptions local = RpcServerOptions.loopback(50052).withThreads(4);
 * RpcServerOptions lan = RpcServerOptions.loopback(50052).withHost("10.0.0.2").withAllowNonLoopback(true);
 * }
 *
 * @param host               the IPv4 address to listen on (ggml's server takes a literal address only)
 * @param port               1..65535
 * @param threads            CPU threads for the served CPU device
 * @param cacheDir           where the server keeps tensors by hash so clients can skip sending them again
 *                           (llama.cpp's {@code rpc-server -c}); empty: no cache
 * @param allowNonLoopback   listen on an address other than loopback; ggml's RPC has no authentication, so this
 *                           must be asked for explicitly
 */
public record RpcServerOptions(String host, int port, int threads, Optional<Path> cacheDir, boolean allowNonLoopback) {

    public RpcServerOptions {
        Objects.requireNonNull(host, "host");
        if (!isIpv4Literal(host)) {
            throw new IllegalArgumentException("the RPC server listens on an IPv4 address (like 127.0.0.1), not '"
                    + host + "'");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be in 1..65535, got " + port);
        }
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("threads must be in 1..1024, got " + threads);
        }
        Objects.requireNonNull(cacheDir, "cacheDir");
    }

    /** On 127.0.0.1, all cores' default thread count, no cache. */
    public static RpcServerOptions loopback(int port) {
        return new RpcServerOptions("127.0.0.1", port, Ggml4j.defaultThreads(), Optional.empty(), false);
    }

    public RpcServerOptions withHost(String value) {
        return new RpcServerOptions(value, port, threads, cacheDir, allowNonLoopback);
    }

    public RpcServerOptions withThreads(int value) {
        return new RpcServerOptions(host, port, value, cacheDir, allowNonLoopback);
    }

    public RpcServerOptions withCacheDir(Path value) {
        return new RpcServerOptions(host, port, threads, Optional.of(value), allowNonLoopback);
    }

    public RpcServerOptions withAllowNonLoopback(boolean value) {
        return new RpcServerOptions(host, port, threads, cacheDir, value);
    }

    /** Whether the host is in 127.0.0.0/8. */
    public boolean loopbackHost() {
        return host.startsWith("127.");
    }

    /** The endpoint clients connect to. */
    public RpcEndpoint endpoint() {
        return new RpcEndpoint(host, port);
    }

    static boolean isIpv4Literal(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')
                    || Integer.parseInt(p) > 255 || p.length() > 1 && p.charAt(0) == '0') {
                return false;
            }
        }
        return true;
    }
}
