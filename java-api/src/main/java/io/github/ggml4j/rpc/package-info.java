/**
 * ggml's RPC backend: remote devices that take a model's layers, and the server that offers this machine's
 * devices, compatible with llama.cpp's {@code --rpc} and {@code rpc-server} of the same ggml.
 *
 * {@snippet :
 * // on the helper machine (its own process: serve blocks until the process ends)
 * RpcServer.serve(RpcServerOptions.loopback(50052));
 *
 * // on the main machine, through a tunnel to the helper
 * List<RpcEndpoint> servers = RpcEndpoint.parseList("127.0.0.1:50052");
 * try (Model m = Model.load(path, ModelOptions.defaults().withGpuLayers(99).withRpcServers(servers))) {
 *     // ...
 * }
 * }
 *
 * <p>See {@link io.github.ggml4j.rpc.Rpc} for the security and failure rules.
 */
package io.github.ggml4j.rpc;
