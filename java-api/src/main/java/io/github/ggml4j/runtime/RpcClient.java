package io.github.ggml4j.runtime;

import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.nativ.NativeLoader;
import io.github.ggml4j.nativ.NativeStatus;
import io.github.ggml4j.rpc.RpcEndpoint;
import io.github.ggml4j.rpc.RpcException;
import io.github.ggml4j.rpc.RpcException.Reason;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The process's connections to RPC servers, through ggml's RPC client. Each endpoint is checked in Java first
 * ({@link RpcHandshake}: reachable, speaks this protocol version), because ggml aborts the process on a bad one;
 * then ggml connects once and keeps the connection for the life of the process (its dispatcher is global), so a
 * server is connected once however many models use it. The endpoint handed to ggml is the resolved IPv4 address,
 * so two spellings of one server share one connection (ggml's server serves one client at a time: a second
 * connection from this process would wait forever).
 */
public final class RpcClient {

    /** How long a connection may take to open, and the server to answer the handshake (milliseconds). */
    static final int CONNECT_TIMEOUT = Integer.getInteger("ggml4j.rpc.connectTimeoutMillis", 5000);
    static final int ANSWER_TIMEOUT = Integer.getInteger("ggml4j.rpc.answerTimeoutMillis", 10000);

    /** The devices of each connected server, keyed by the address given to ggml. */
    private static final Map<String, List<MemorySegment>> CONNECTED = new LinkedHashMap<>();

    private RpcClient() {
    }

    /** This build's protocol version. */
    static RpcHandshake.Version clientVersion() {
        NativeLoader.ensureLoaded();
        int v = GgmlLib.ggml4j_rpc_proto_version();
        if (v < 0) {
            throw new RpcException(null, Reason.UNSUPPORTED, "this build of ggml4j's natives has no RPC backend "
                    + "(ggml built without GGML_RPC)");
        }
        return RpcHandshake.Version.of(v);
    }

    /** The protocol version of this build's ggml, as {@code major.minor.patch}. */
    public static String protocolVersion() {
        return clientVersion().toString();
    }

    /**
     * Checks one endpoint without connecting ggml to it: the server's protocol version.
     *
     * @throws RpcException if it cannot be used
     */
    public static String check(RpcEndpoint e) {
        RpcHandshake.Version client = clientVersion();
        Inet4Address address = RpcHandshake.resolve(e);
        synchronized (CONNECTED) {
            if (CONNECTED.containsKey(key(address, e))) {
                return client.toString(); // this process holds the server's one connection: it answered before
            }
        }
        RpcHandshake.Version server = RpcHandshake.hello(e, address, CONNECT_TIMEOUT, ANSWER_TIMEOUT);
        if (!server.servesClient(client)) {
            throw new RpcException(e, Reason.VERSION_MISMATCH, "RPC server " + e + " speaks protocol " + server
                    + ", this build's ggml speaks " + client + " (the major versions must match and the server's "
                    + "minor version must not be newer): run a server built from the same ggml");
        }
        return server.toString();
    }

    /**
     * The devices of these servers, in order, each server checked and connected once per process.
     *
     * @throws RpcException if a server cannot be used; servers before it stay connected
     */
    public static List<MemorySegment> connect(List<RpcEndpoint> endpoints) {
        List<MemorySegment> out = new ArrayList<>();
        for (RpcEndpoint e : endpoints) {
            out.addAll(connect(e));
        }
        return List.copyOf(out);
    }

    /** One server's devices, connecting it on first use. */
    static List<MemorySegment> connect(RpcEndpoint e) {
        clientVersion();
        Inet4Address address = RpcHandshake.resolve(e);
        String key = key(address, e);
        synchronized (CONNECTED) {
            List<MemorySegment> known = CONNECTED.get(key);
            if (known != null) {
                return known;
            }
            check(e);
            List<MemorySegment> devices = new ArrayList<>();
            try (Arena arena = Arena.ofConfined()) {
                int max = 64;
                MemorySegment out = arena.allocate(ValueLayout.ADDRESS, max);
                int n = GgmlLib.ggml4j_rpc_add_server(arena.allocateFrom(key), out, max);
                if (n < 0) {
                    throw NativeStatus.toException(n, "connecting to RPC server " + e);
                }
                for (int i = 0; i < Math.min(n, max); i++) {
                    devices.add(out.getAtIndex(ValueLayout.ADDRESS, i));
                }
            }
            if (devices.isEmpty()) {
                throw new RpcException(e, Reason.NO_DEVICES, "RPC server " + e + " offers no devices");
            }
            List<MemorySegment> result = List.copyOf(devices);
            CONNECTED.put(key, result);
            return result;
        }
    }

    /** A connected device's name and memory. */
    public record Device(String name, long free, long total) {
    }

    /** One server's devices with name and memory, connecting it on first use. */
    public static List<Device> describe(RpcEndpoint e) {
        List<Device> out = new ArrayList<>();
        for (MemorySegment d : connect(e)) {
            long[] mem = Devices.memory(d);
            out.add(new Device(Devices.name(d), mem[0], mem[1]));
        }
        return List.copyOf(out);
    }

    private static String key(Inet4Address address, RpcEndpoint e) {
        return address.getHostAddress() + ":" + e.port();
    }
}
