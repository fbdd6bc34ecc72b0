package io.github.ggml4j.rpc;

import java.util.Objects;

/**
 * A device an RPC server offers, as ggml's RPC client reports it.
 *
 * {@snippet :
 * for (RemoteDevice d : Rpc.devices(RpcEndpoint.parseList("127.0.0.1:50052"))) {
 *     System.out.println(d.name() + " on " + d.endpoint() + ": " + (d.memoryFree() >> 20) + " MiB free");
 * }
 * }
 *
 * @param name        ggml's name for it in this process ({@code RPC0}, {@code RPC1} ...)
 * @param endpoint    the server
 * @param index       the device's index on that server
 * @param memoryFree  free bytes the server reports
 * @param memoryTotal total bytes the server reports
 */
public record RemoteDevice(String name, RpcEndpoint endpoint, int index, long memoryFree, long memoryTotal) {

    public RemoteDevice {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(endpoint, "endpoint");
        if (index < 0 || memoryFree < 0 || memoryTotal < 0) {
            throw new IllegalArgumentException("bad remote device " + name + ": index " + index + ", memory "
                    + memoryFree + "/" + memoryTotal);
        }
    }
}
