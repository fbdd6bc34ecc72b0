package io.github.ggml4j.runtime;

import io.github.ggml4j.ContextOverflowException;
import io.github.ggml4j.ModelException;
import io.github.ggml4j.SessionStateException;
import io.github.ggml4j.arch.HParams;
import io.github.ggml4j.gguf.GgufTensorInfo;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * The saved state of one sequence: a header naming the model it came from (architecture, a hash of every
 * tensor's name, type and shape, a hash of the hyper-parameters), the tokens, the last output row, the
 * memory's own section, and a CRC-32 of all of it. Restoring checks all of these first.
 */
public final class SessionStates {

    private static final byte[] MAGIC = "GGML4JSS".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;

    private SessionStates() {
    }

    /** The state of {@code seq} as bytes (runs on the engine's thread). */
    public static byte[] save(Engine engine, Sequence seq) {
        return engine.call(() -> {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.write(MAGIC);
            out.writeInt(VERSION);
            writeIdentity(engine.model(), out);
            int[] tokens = seq.tokens();
            out.writeInt(tokens.length);
            for (int t : tokens) {
                out.writeInt(t);
            }
            float[] last = seq.lastOutput();
            out.writeInt(last == null ? 0 : last.length);
            if (last != null) {
                for (float f : last) {
                    out.writeFloat(f);
                }
            }
            engine.memory().writeState(seq.id, out);
            out.flush();
            CRC32 crc = new CRC32();
            crc.update(bytes.toByteArray());
            out.writeLong(crc.getValue());
            out.flush();
            return bytes.toByteArray();
        });
    }

    /**
     * A new sequence holding a saved state.
     *
     * @throws SessionStateException for a damaged or truncated state, or one from another model
     */
    public static Sequence restore(Engine engine, byte[] state, int limit, boolean waitWhenFull) {
        if (state.length < MAGIC.length + 4 + 8 || !Arrays.equals(state, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new SessionStateException("not a ggml4j session state (" + state.length + " bytes, no header)");
        }
        CRC32 crc = new CRC32();
        crc.update(state, 0, state.length - 8);
        long stored = ByteBuffer.wrap(state, state.length - 8, 8).getLong();
        if (crc.getValue() != stored) {
            throw new SessionStateException("the session state is truncated or damaged (checksum mismatch over "
                    + state.length + " bytes)");
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(state, 0, state.length - 8));
        try {
            in.skipNBytes(MAGIC.length);
            int version = in.readInt();
            if (version != VERSION) {
                throw new SessionStateException("session state version " + version + " is not supported (this is "
                        + VERSION + ")");
            }
            checkIdentity(engine.model(), in);
            int n = in.readInt();
            if (n < 0 || n > limit) {
                throw new ContextOverflowException("the state holds " + n + " positions; the session may hold " + limit,
                        Math.max(0, n), limit);
            }
            int[] tokens = new int[n];
            for (int i = 0; i < n; i++) {
                tokens[i] = in.readInt();
            }
            int width = in.readInt();
            if (width < 0 || width > 1 << 24) {
                throw new SessionStateException("the session state is damaged (output width " + width + ")");
            }
            float[] last = null;
            if (width > 0) {
                last = new float[width];
                for (int i = 0; i < width; i++) {
                    last[i] = in.readFloat();
                }
            }
            float[] lastOutput = last;
            return engine.call(() -> {
                Sequence s = engine.newSequenceOnEngineThread(limit, waitWhenFull);
                try {
                    engine.memory().readState(s.id, in);
                    if (engine.memory().nextPosition(s.id) != n) {
                        throw new SessionStateException("the session state is damaged: " + n + " tokens but positions up to "
                                + engine.memory().nextPosition(s.id));
                    }
                } catch (ModelException e) {
                    engine.forget(s);
                    throw new SessionStateException("the session state does not fit this model: " + e.getMessage(), e);
                } catch (IOException | RuntimeException e) {
                    engine.forget(s);
                    throw e;
                }
                s.append(tokens, 0, n);
                s.setLastOutput(lastOutput);
                return s;
            });
        } catch (EOFException e) {
            throw new SessionStateException("the session state is truncated", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes a state to a file atomically: a temporary file, synced, then renamed; the target is complete or absent. */
    public static void write(java.nio.file.Path file, byte[] state) {
        java.nio.file.Path dir = file.toAbsolutePath().getParent();
        java.nio.file.Path tmp = null;
        try {
            tmp = java.nio.file.Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp,
                    java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap(state);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            try {
                java.nio.file.Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } catch (java.nio.file.AtomicMoveNotSupportedException e) {
                java.nio.file.Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new io.github.ggml4j.StorageException("cannot write the session state to " + file + ": "
                    + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    java.nio.file.Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }

    private static void writeIdentity(LoadedModel model, DataOutputStream out) throws IOException {
        HParams hp = model.hparams();
        out.writeUTF(hp.arch());
        out.write(tensorsHash(model));
        out.write(sha256(hp.toString().getBytes(StandardCharsets.UTF_8)));
    }

    private static void checkIdentity(LoadedModel model, DataInputStream in) throws IOException {
        HParams hp = model.hparams();
        String arch = in.readUTF();
        byte[] tensors = in.readNBytes(32);
        byte[] hparams = in.readNBytes(32);
        if (!arch.equals(hp.arch())) {
            throw new SessionStateException("the session state was saved from a '" + arch + "' model; this one is '"
                    + hp.arch() + "'");
        }
        if (!Arrays.equals(tensors, tensorsHash(model))) {
            throw new SessionStateException("the session state was saved from another model (its tensors' names, "
                    + "types or shapes differ)");
        }
        if (!Arrays.equals(hparams, sha256(hp.toString().getBytes(StandardCharsets.UTF_8)))) {
            throw new SessionStateException("the session state was saved from a model with other hyper-parameters");
        }
    }

    private static byte[] tensorsHash(LoadedModel model) {
        StringBuilder sb = new StringBuilder();
        for (GgufTensorInfo t : model.file().tensors()) {
            sb.append(t.name()).append(':').append(t.type()).append(':').append(Arrays.toString(t.shape())).append('\n');
        }
        return sha256(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
