package io.github.ggml4j.rpc;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A ggml RPC server's address, {@code host:port} as llama.cpp's {@code --rpc} takes it. ggml's client and server
 * speak IPv4 only, so the host is an IPv4 literal or a name that resolves to one.
 *
 * {@snippet :
 * RpcEndpoint one = RpcEndpoint.parse("127.0.0.1:50052");
 * List<RpcEndpoint> two = RpcEndpoint.parseList("10.0.0.2:50052,10.0.0.3:50052"); // --rpc's syntax
 * }
 *
 * @param host an IPv4 address or a host name (no port, no brackets)
 * @param port 1..65535
 */
public record RpcEndpoint(String host, int port) {

    public RpcEndpoint {
        Objects.requireNonNull(host, "host");
        if (host.isBlank() || !host.strip().equals(host) || host.length() > 253) {
            throw new IllegalArgumentException("bad RPC host '" + host + "'");
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'
                    || c == '_')) {
                throw new IllegalArgumentException("bad RPC host '" + host + "': ggml's RPC speaks IPv4 only, give "
                        + "an IPv4 address or a host name");
            }
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("RPC port must be in 1..65535, got " + port);
        }
        host = host.toLowerCase(Locale.ROOT);
    }

    /**
     * {@code host:port}.
     *
     * @throws IllegalArgumentException if it is not of that form
     */
    public static RpcEndpoint parse(String hostPort) {
        Objects.requireNonNull(hostPort, "hostPort");
        String s = hostPort.strip();
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1 || s.indexOf(':') != colon) {
            throw new IllegalArgumentException("an RPC server is host:port, not '" + hostPort + "'");
        }
        String port = s.substring(colon + 1);
        if (port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("bad port in RPC server '" + hostPort + "'");
        }
        return new RpcEndpoint(s.substring(0, colon), Integer.parseInt(port));
    }

    /**
     * A comma-separated list of {@code host:port} (llama.cpp's {@code --rpc SERVERS}).
     *
     * @throws IllegalArgumentException for an empty list, a bad entry or the same server twice
     */
    public static List<RpcEndpoint> parseList(String servers) {
        Objects.requireNonNull(servers, "servers");
        List<RpcEndpoint> out = new ArrayList<>();
        for (String part : servers.split(",", -1)) {
            RpcEndpoint e = parse(part);
            if (out.contains(e)) {
                throw new IllegalArgumentException("RPC server " + e + " is listed twice");
            }
            out.add(e);
        }
        return List.copyOf(out);
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
