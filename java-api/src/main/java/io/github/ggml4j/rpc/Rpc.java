package io.github.ggml4j.rpc;

import io.github.ggml4j.runtime.RpcClient;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The client side of ggml's RPC backend: checking servers and listing their devices. Models use servers through
 * {@link io.github.ggml4j.model.ModelOptions#withRpcServers}.
 *
 * <p><b>Security.</b> ggml's RPC protocol has no authentication and no encryption, and its server trusts its
 * clients (llama.cpp's README calls it unsafe on open networks). Run servers on loopback, on a private network,
 * or behind an SSH or WireGuard tunnel.
 *
 * <p><b>Failure.</b> Every server is checked before ggml's client sees it (reachable, answering, the same
 * protocol version); a bad one is an {@link RpcException}. Once connected, a server that dies or stops answering
 * cannot be survived: ggml's client aborts the process (ggml4j prints which servers were in use first).
 *
 * {@snippet :
 * List<RpcEndpoint> servers = RpcEndpoint.parseList("127.0.0.1:50052,127.0.0.1:50053");
 * Rpc.devices(servers).forEach(System.out::println);
 * Model m = Model.load(path, ModelOptions.defaults().withGpuLayers(99).withRpcServers(servers));
 * }
 */
public final class Rpc {

    private Rpc() {
    }

    /** The RPC protocol version this build's ggml speaks ({@code major.minor.patch}).
     *  @throws RpcException ({@link RpcException.Reason#UNSUPPORTED}) if the build has no RPC backend */
    public static String protocolVersion() {
        return RpcClient.protocolVersion();
    }

    /**
     * Checks a server without connecting ggml to it and returns its protocol version. A server this process is
     * already connected to (ggml's server takes one client at a time) is not asked again.
     *
     * @throws RpcException if the server cannot be used
     */
    public static String check(RpcEndpoint server) {
        Objects.requireNonNull(server, "server");
        return RpcClient.check(server);
    }

    /**
     * The devices of these servers with their memory, connecting ggml's client to each (the connection is kept
     * for the life of the process, and shared by models using the same servers).
     *
     * @throws RpcException if a server cannot be used
     */
    public static List<RemoteDevice> devices(List<RpcEndpoint> servers) {
        Objects.requireNonNull(servers, "servers");
        List<RemoteDevice> out = new ArrayList<>();
        for (RpcEndpoint e : servers) {
            List<RpcClient.Device> devices = RpcClient.describe(e);
            for (int i = 0; i < devices.size(); i++) {
                RpcClient.Device d = devices.get(i);
                out.add(new RemoteDevice(d.name(), e, i, d.free(), d.total()));
            }
        }
        return List.copyOf(out);
    }
}
