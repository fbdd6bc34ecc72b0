package io.github.ggml4j.rpc;

import io.github.ggml4j.Ggml4jException;

import java.util.Objects;

/**
 * An RPC server could not be used or served: checked before ggml's RPC client sees the endpoint, because ggml
 * aborts the whole process on an unreachable server or a failed handshake. {@link #reason()} says which check
 * failed.
 *
 * {@snippet :
 * try {
 *     Rpc.check(RpcEndpoint.parse("127.0.0.1:50052"));
 * } catch (RpcException e) {
 *     if (e.reason() == RpcException.Reason.REFUSED) {
 *         System.err.println("start the server first: " + e.getMessage());
 *     }
 * }
 * }
 */
public final class RpcException extends Ggml4jException {

    private static final long serialVersionUID = 1L;

    /** Which check failed. */
    public enum Reason {
        /** This build of the natives has no RPC backend. */
        UNSUPPORTED,
        /** The host name does not resolve to an IPv4 address (ggml's RPC is IPv4 only). */
        UNRESOLVED,
        /** Nothing listens on the port (connection refused). */
        REFUSED,
        /** The host cannot be reached, or the connection did not open in time. */
        UNREACHABLE,
        /** The server accepted but did not answer the handshake in time (ggml's server serves one client at a
         *  time: another client may hold it). */
        NO_ANSWER,
        /** The peer does not speak ggml's RPC protocol (or closed the connection during the handshake). */
        NOT_RPC,
        /** The server speaks another version of the protocol than this build's ggml. */
        VERSION_MISMATCH,
        /** The server reported no devices. */
        NO_DEVICES,
        /** A server could not listen on the address (port in use, not a local address). */
        BIND,
        /** A server was asked to listen on a non-loopback address without allowing it explicitly. */
        NOT_LOOPBACK
    }

    private final transient RpcEndpoint endpoint;
    private final Reason reason;

    public RpcException(RpcEndpoint endpoint, Reason reason, String message) {
        super(message);
        this.endpoint = endpoint;
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public RpcException(RpcEndpoint endpoint, Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.endpoint = endpoint;
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** The server concerned, or null when the failure concerns none (an unsupported build). */
    public RpcEndpoint endpoint() {
        return endpoint;
    }

    public Reason reason() {
        return reason;
    }
}
