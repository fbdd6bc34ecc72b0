package io.github.ggml4j.rpc;

import io.github.ggml4j.runtime.RpcServing;

import java.util.Objects;

/**
 * The server side of ggml's RPC backend over {@code ggml_backend_rpc_start_server}: this process's devices (its
 * GPUs, or the CPU when it has none, as llama.cpp's {@code rpc-server} picks them) served to ggml RPC clients,
 * ggml4j's ({@link io.github.ggml4j.model.ModelOptions#withRpcServers}) and llama.cpp's ({@code --rpc}) alike.
 *
 * <p>ggml's server serves one client at a time and has no way to be stopped: {@link #serve} blocks its thread
 * until the process ends. Run it as a process of its own ({@code ggml4j rpc-server}) and stop it by ending the
 * process (Ctrl-C, SIGTERM); its clients then fail as described in {@link Rpc}.
 *
 * <p><b>Security.</b> The protocol has no authentication and a client can make the server read and write its
 * memory through malformed requests (CVE-2026-34159 and open out-of-bounds reports against ggml-rpc): the server
 * listens on loopback unless {@link RpcServerOptions#allowNonLoopback} is set, and even then belongs on a
 * private network or behind an SSH or WireGuard tunnel.
 *
 * {@snippet :
 * RpcServer.serve(RpcServerOptions.loopback(50052).withThreads(4)); // returns only by an RpcException
 * }
 */
public final class RpcServer {

    /** The warning printed when a server listens beyond loopback. */
    public static final String WARNING = "ggml's RPC server has no authentication and trusts its clients: anyone who "
            + "can reach this address can use this machine's devices and may be able to read or corrupt its memory. "
            + "Serve only on a private network, or keep it on 127.0.0.1 behind an SSH or WireGuard tunnel.";

    private RpcServer() {
    }

    /**
     * Serves until the process ends.
     *
     * @throws RpcException ({@link RpcException.Reason#NOT_LOOPBACK}) for a non-loopback host without
     *                      {@code allowNonLoopback}; ({@link RpcException.Reason#BIND}) if the address cannot be
     *                      listened on; ({@link RpcException.Reason#UNSUPPORTED}) without an RPC backend
     * @throws io.github.ggml4j.StorageException if the cache directory cannot be made or read
     */
    public static void serve(RpcServerOptions options) {
        Objects.requireNonNull(options, "options");
        if (!options.loopbackHost() && !options.allowNonLoopback()) {
            throw new RpcException(options.endpoint(), RpcException.Reason.NOT_LOOPBACK, "refusing to serve on "
                    + options.host() + ", which is not a loopback address, without an explicit permission "
                    + "(ggml4j rpc-server --allow-remote). " + WARNING);
        }
        RpcServing.serve(options);
    }
}
