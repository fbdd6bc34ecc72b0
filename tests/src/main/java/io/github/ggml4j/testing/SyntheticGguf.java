package io.github.ggml4j.testing;

import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufArray;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.gguf.GgufMetadata;
import io.github.ggml4j.gguf.GgufValue;
import io.github.ggml4j.gguf.GgufWriter;
import io.github.ggml4j.quantize.TensorQuantizer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * Writes small synthetic GGUF models for tests: any architecture and metadata, tensors from given floats or
 * seeded normal noise, stored in any ggml type (quantized by ggml itself through {@link TensorQuantizer}),
 * and optionally a real vocabulary copied from a llama.cpp vocab file.
 *
 * {@snippet :
 * Path model = SyntheticGguf.create("llama")
 *         .putUInt32("llama.context_length", 128)
 *         .copyTokenizer(SyntheticGguf.llamaCppVocab("llama-spm"))
 *         .randomTensor("token_embd.weight", GgmlType.Q8_0, 0.02, 64, 32000)
 *         .tensor("output_norm.weight", GgmlType.F32, ones, 64)
 *         .write(dir.resolve("tiny.gguf"));
 * }
 */
public final class SyntheticGguf {

    private final GgufWriter writer = new GgufWriter();
    private long seed = 42;

    private SyntheticGguf(String architecture) {
        writer.putString("general.architecture", Objects.requireNonNull(architecture, "architecture"));
    }

    /** A model of this architecture ({@code general.architecture}). */
    public static SyntheticGguf create(String architecture) {
        return new SyntheticGguf(architecture);
    }

    /**
     * A vocabulary file of the pinned llama.cpp tree, e.g. {@code "llama-spm"} for
     * {@code models/ggml-vocab-llama-spm.gguf}. The tree is {@code $GGML4J_LLAMA_CPP} or
     * {@code ~/.cache/ggml4j/src/llama.cpp-de3ff815ea7d}.
     */
    public static Path llamaCppVocab(String name) {
        String env = System.getenv("GGML4J_LLAMA_CPP");
        Path tree = env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "ggml4j", "src", "llama.cpp-de3ff815ea7d");
        Path p = tree.resolve("models").resolve("ggml-vocab-" + name + ".gguf");
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException("no vocab file " + p);
        }
        return p;
    }

    /** The seed for {@link #randomTensor}; each tensor draws from its own stream derived from it and its name. */
    public SyntheticGguf seed(long seed) {
        this.seed = seed;
        return this;
    }

    public SyntheticGguf alignment(int alignment) {
        writer.alignment(alignment);
        return this;
    }

    /** Adds or replaces a metadata value. */
    public SyntheticGguf set(String key, GgufValue value) {
        writer.set(key, value);
        return this;
    }

    public SyntheticGguf putString(String key, String value) {
        return set(key, new GgufValue.Str(value));
    }

    public SyntheticGguf putUInt32(String key, long value) {
        return set(key, new GgufValue.UInt32(value));
    }

    public SyntheticGguf putInt32(String key, int value) {
        return set(key, new GgufValue.Int32(value));
    }

    public SyntheticGguf putFloat32(String key, float value) {
        return set(key, new GgufValue.Float32(value));
    }

    public SyntheticGguf putBool(String key, boolean value) {
        return set(key, new GgufValue.Bool(value));
    }

    public SyntheticGguf putStrings(String key, List<String> values) {
        return set(key, GgufArray.ofStrings(values));
    }

    public SyntheticGguf putFloats(String key, float... values) {
        return set(key, GgufArray.ofFloats(values));
    }

    public SyntheticGguf putInts(String key, int... values) {
        return set(key, GgufArray.ofInts(values));
    }

    /** Copies every {@code tokenizer.*} key of a vocab GGUF (values are copied; the file is closed again). */
    public SyntheticGguf copyTokenizer(Path vocabGguf) {
        try (GgufFile vocab = GgufFile.open(vocabGguf)) {
            GgufMetadata md = vocab.metadata();
            for (String key : md.keys()) {
                if (key.startsWith("tokenizer.")) {
                    GgufValue v = md.require(key);
                    writer.set(key, v instanceof GgufArray a ? a.detach() : v);
                }
            }
        }
        return this;
    }

    /**
     * A tensor from floats, stored as {@code type}.
     *
     * @param shape ggml's {@code ne}, row length first
     */
    public SyntheticGguf tensor(String name, GgmlType type, float[] values, long... shape) {
        writer.addTensor(name, type, shape, encode(type, values, shape));
        return this;
    }

    /** A tensor of normal noise with mean 0 and standard deviation {@code std}, stored as {@code type}. */
    public SyntheticGguf randomTensor(String name, GgmlType type, double std, long... shape) {
        float[] v = new float[Math.toIntExact(elements(shape))];
        Random rnd = new Random(seed * 0x9E3779B97F4A7C15L + name.hashCode());
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rnd.nextGaussian() * std);
        }
        return tensor(name, type, v, shape);
    }

    /** The underlying writer, for anything this helper does not cover. */
    public GgufWriter writer() {
        return writer;
    }

    /** Writes the model (atomically) and returns {@code target}. */
    public Path write(Path target) {
        writer.write(target);
        return target;
    }

    /** Floats encoded as {@code type}: plain types directly, quantized types by ggml. */
    static byte[] encode(GgmlType type, float[] v, long[] shape) {
        long n = elements(shape);
        if (n != v.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has " + n + " elements, got "
                    + v.length + " values");
        }
        ByteBuffer b;
        switch (type) {
            case F32 -> {
                b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(v);
                return b.array();
            }
            case F64 -> {
                b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
                for (float x : v) {
                    b.putDouble(x);
                }
                return b.array();
            }
            case I8, I16, I32, I64 -> {
                int width = type.typeSize();
                b = ByteBuffer.allocate(width * v.length).order(ByteOrder.LITTLE_ENDIAN);
                for (float x : v) {
                    long r = Math.round(x);
                    switch (width) {
                        case 1 -> b.put((byte) r);
                        case 2 -> b.putShort((short) r);
                        case 4 -> b.putInt((int) r);
                        default -> b.putLong(r);
                    }
                }
                return b.array();
            }
            default -> {
                int rowLength = Math.toIntExact(shape[0]);
                int rows = Math.toIntExact(n / rowLength);
                float[] importance = null;
                if (TensorQuantizer.needsImportance(type)) {
                    importance = new float[rowLength];
                    Arrays.fill(importance, 1f);
                }
                return TensorQuantizer.quantize(type, v, rows, rowLength, importance);
            }
        }
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException("dimension " + d + " in " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}
