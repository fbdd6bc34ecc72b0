package io.github.ggml4j.nativ;

import io.github.ggml4j.CancelledException;
import io.github.ggml4j.Ggml4jException;
import io.github.ggml4j.NativeException;
import io.github.ggml4j.internal.ggml.GgmlLib;

/**
 * The one place where libggml4j's status codes (see {@code ggml4j.h}) become Java exceptions.
 */
public final class NativeStatus {

    public static final int OK = 0;
    public static final int INVALID_ARG = -1;
    public static final int OUT_OF_RANGE = -2;
    public static final int UNSUPPORTED = -3;
    public static final int ALLOC = -4;
    public static final int COMPUTE = -5;
    public static final int ABORTED = -6;
    public static final int IO = -7;

    private NativeStatus() {
    }

    /** Returns normally for {@link #OK}; otherwise throws the exception the status maps to. */
    public static void check(int status, String what) {
        if (status != OK) {
            throw toException(status, what);
        }
    }

    /** The exception for a non-OK status: cancellation is its own type, everything else a NativeException. */
    public static Ggml4jException toException(int status, String what) {
        if (status == ABORTED) {
            return new CancelledException(what + ": cancelled");
        }
        return new NativeException(what + ": " + describe(status), status);
    }

    /** libggml4j's own text for a status. */
    public static String describe(int status) {
        NativeLoader.ensureLoaded();
        return GgmlLib.ggml4j_status_string(status).getString(0);
    }
}
