package io.github.ggml4j.runtime;

import io.github.ggml4j.StorageException;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.rpc.RpcException;
import io.github.ggml4j.rpc.RpcException.Reason;
import io.github.ggml4j.rpc.RpcServer;
import io.github.ggml4j.rpc.RpcServerOptions;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@link RpcServer#serve}'s native side: which devices, the cache directory, the address check. */
public final class RpcServing {

    private static final System.Logger LOG = System.getLogger("io.github.ggml4j.rpc");

    private RpcServing() {
    }

    public static void serve(RpcServerOptions o) {
        RpcClient.clientVersion(); // UNSUPPORTED without the backend
        if (!o.loopbackHost()) {
            LOG.log(System.Logger.Level.WARNING, "ggml4j: serving RPC on " + o.host() + ": " + RpcServer.WARNING);
        }
        String cache = null;
        if (o.cacheDir().isPresent()) {
            Path dir = o.cacheDir().get().toAbsolutePath();
            int removed = sweep(dir);
            if (removed > 0) {
                LOG.log(System.Logger.Level.WARNING, "ggml4j: removed " + removed + " damaged file(s) from the RPC "
                        + "cache " + dir + " (cut short when a server stopped while writing them)");
            }
            cache = dir.toString();
        }
        checkBindable(o);
        Devices local = Devices.get();
        List<MemorySegment> devices = local.gpus().isEmpty() ? List.of(local.cpu()) : local.gpus();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment devs = arena.allocate(ValueLayout.ADDRESS, devices.size());
            for (int i = 0; i < devices.size(); i++) {
                devs.setAtIndex(ValueLayout.ADDRESS, i, devices.get(i));
            }
            int status = GgmlLib.ggml4j_rpc_start_server(arena.allocateFrom(o.endpoint().toString()),
                    cache == null ? MemorySegment.NULL : arena.allocateFrom(cache), o.threads(), devs, devices.size());
            throw new RpcException(o.endpoint(), Reason.BIND, "the RPC server on " + o.endpoint() + " stopped: "
                    + "ggml could not listen on or accept connections at that address (status " + status + ")");
        }
    }

    /** A clear error for a port in use or an address not of this machine, before ggml only prints one. */
    private static void checkBindable(RpcServerOptions o) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(o.host()), o.port()));
        } catch (IOException e) {
            throw new RpcException(o.endpoint(), Reason.BIND, "cannot listen on " + o.endpoint() + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * ggml's server names each cached tensor by the 64-bit FNV-1a hash of its bytes and writes it in place; a
     * server stopped mid-write leaves a shorter file under the full data's name, which it would later serve as
     * that tensor. Such files (name and content disagree) are removed; other files are left alone.
     */
    static int sweep(Path dir) {
        int removed = 0;
        try {
            Files.createDirectories(dir);
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "????????????????")) {
                for (Path f : files) {
                    String name = f.getFileName().toString();
                    if (!name.matches("[0-9a-f]{16}") || !Files.isRegularFile(f)) {
                        continue;
                    }
                    if (!String.format("%016x", fnv1a(f)).equals(name)) {
                        Files.delete(f);
                        removed++;
                    }
                }
            }
        } catch (IOException e) {
            throw new StorageException("RPC cache directory " + dir + ": " + e.getMessage(), e);
        }
        return removed;
    }

    static long fnv1a(Path f) throws IOException {
        long h = 0xcbf29ce484222325L;
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(f)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    h ^= buf[i] & 0xff;
                    h *= 0x100000001b3L;
                }
            }
        }
        return h;
    }
}
