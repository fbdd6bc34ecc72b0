package io.github.ggml4j.runtime;

import io.github.ggml4j.rpc.RpcEndpoint;
import io.github.ggml4j.rpc.RpcException;
import io.github.ggml4j.rpc.RpcException.Reason;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * ggml's RPC handshake spoken from Java, so a bad endpoint becomes an {@link RpcException} instead of the
 * {@code GGML_ABORT} ggml's client calls on it (ggml-rpc.cpp: {@code rpc_dispatcher::start}, {@code negotiate_hello}).
 * Wire format: a request is {@code | cmd (1 byte) | size (u64 LE) | payload |}, a reply {@code | size (u64 LE) |
 * payload |}. HELLO (command 14) carries 24 bytes of transport capabilities (zero: plain TCP) and is answered
 * with {@code major, minor, patch, padding} and the server's 24 capability bytes.
 */
final class RpcHandshake {

    static final int CMD_HELLO = 14;
    static final int CAPS_SIZE = 24;
    static final int HELLO_REPLY_SIZE = 4 + CAPS_SIZE;

    /** A protocol version. */
    record Version(int major, int minor, int patch) {
        static Version of(int packed) {
            return new Version(packed >>> 16 & 0xff, packed >>> 8 & 0xff, packed & 0xff);
        }

        /** ggml's client rule: the same major version, and a minor version no newer than the client's. */
        boolean servesClient(Version client) {
            return major == client.major && minor <= client.minor;
        }

        @Override
        public String toString() {
            return major + "." + minor + "." + patch;
        }
    }

    private RpcHandshake() {
    }

    /** The IPv4 address ggml's client would connect to ({@code gethostbyname}: IPv4 only). */
    static Inet4Address resolve(RpcEndpoint e) {
        try {
            for (InetAddress a : InetAddress.getAllByName(e.host())) {
                if (a instanceof Inet4Address v4) {
                    return v4;
                }
            }
            throw new RpcException(e, Reason.UNRESOLVED, "RPC server " + e + ": '" + e.host()
                    + "' has no IPv4 address (ggml's RPC speaks IPv4 only)");
        } catch (UnknownHostException x) {
            throw new RpcException(e, Reason.UNRESOLVED, "RPC server " + e + ": unknown host '" + e.host() + "'", x);
        }
    }

    /**
     * Connects, says HELLO, reads the server's version and closes again (ggml's server then takes the next
     * client).
     *
     * @throws RpcException for an unknown host, a refused or timed-out connection, a peer that does not speak the
     *                      protocol or does not answer in time
     */
    static Version hello(RpcEndpoint e, Inet4Address address, int connectTimeoutMillis, int answerTimeoutMillis) {
        try (Socket s = new Socket()) {
            try {
                s.connect(new InetSocketAddress(address, e.port()), connectTimeoutMillis);
            } catch (ConnectException x) {
                throw new RpcException(e, Reason.REFUSED, "RPC server " + e + ": connection refused (nothing listens "
                        + "on port " + e.port() + " of " + address.getHostAddress() + ")", x);
            } catch (SocketTimeoutException | NoRouteToHostException x) {
                throw new RpcException(e, Reason.UNREACHABLE, "RPC server " + e + ": cannot reach "
                        + address.getHostAddress() + ":" + e.port() + " (" + x.getMessage() + ")", x);
            }
            s.setTcpNoDelay(true);
            s.setSoTimeout(answerTimeoutMillis);
            ByteBuffer req = ByteBuffer.allocate(1 + 8 + CAPS_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            req.put((byte) CMD_HELLO).putLong(CAPS_SIZE);
            s.getOutputStream().write(req.array());
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            byte[] head = in.readNBytes(8);
            if (head.length != 8) {
                throw new EOFException(head.length == 0 ? "closed without a reply" : "reply cut short");
            }
            long size = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (size != HELLO_REPLY_SIZE) {
                throw new RpcException(e, Reason.NOT_RPC, "RPC server " + e + ": the handshake reply has " + size
                        + " bytes, not " + HELLO_REPLY_SIZE + " (not a ggml RPC server of this protocol generation)");
            }
            byte[] reply = in.readNBytes(HELLO_REPLY_SIZE);
            if (reply.length != HELLO_REPLY_SIZE) {
                throw new EOFException("reply cut short");
            }
            return new Version(reply[0] & 0xff, reply[1] & 0xff, reply[2] & 0xff);
        } catch (RpcException x) {
            throw x;
        } catch (SocketTimeoutException x) {
            throw new RpcException(e, Reason.NO_ANSWER, "RPC server " + e + ": no answer to the handshake in "
                    + answerTimeoutMillis + " ms (ggml's RPC server serves one client at a time: is another client "
                    + "connected to it?)", x);
        } catch (IOException x) {
            throw notRpc(e, x);
        }
    }

    private static RpcException notRpc(RpcEndpoint e, Exception x) {
        return new RpcException(e, Reason.NOT_RPC, "RPC server " + e + ": the connection closed during the handshake "
                + "(not a ggml RPC server, or one of another protocol version: " + x.getMessage() + ")", x);
    }
}
