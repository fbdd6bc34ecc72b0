package io.github.ggml4j.gguf;

import io.github.ggml4j.GgufFormatException;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * The key-value metadata of a {@link GgufFile}, in file order. Values are decoded from the mapping when asked
 * for; arrays come back as lazy views ({@link GgufArray}).
 *
 * <p>The required accessors ({@code getX}) throw {@link GgufFormatException} naming the key when it is missing
 * or holds another type; the optional ones ({@code optX}) return empty for a missing key but still throw for
 * a key of the wrong type, since that is a malformed file, not an absent setting. Integer accessors take any
 * integer type whose value fits; {@link #getFloat} takes f32 and f64.
 *
 * {@snippet :
 * GgufMetadata md = gguf.metadata();
 * String arch = md.architecture();                              // general.architecture
 * int ctx = md.getInt(arch + ".context_length");
 * float eps = md.optFloat(arch + ".attention.layer_norm_rms_epsilon").orElse(1e-5f);
 * List<String> tokens = md.getStringArray("tokenizer.ggml.tokens");
 * }
 */
public final class GgufMetadata {

    /** Where a value is: its type, the offset of its encoding (after the type id) and the encoding's length. */
    record Entry(GgufValueType type, long offset, long length) {
    }

    private final Mapping mapping;
    private final Map<String, Entry> entries;
    private final List<String> keys;

    GgufMetadata(Mapping mapping, LinkedHashMap<String, Entry> entries) {
        this.mapping = mapping;
        this.entries = entries;
        this.keys = List.copyOf(entries.keySet());
    }

    /** All keys, in file order. */
    public List<String> keys() {
        mapping.check();
        return keys;
    }

    public int size() {
        mapping.check();
        return keys.size();
    }

    public boolean contains(String key) {
        mapping.check();
        return entries.containsKey(key);
    }

    /** The stored type of a key's value. */
    public Optional<GgufValueType> type(String key) {
        mapping.check();
        Entry e = entries.get(key);
        return e == null ? Optional.empty() : Optional.of(e.type());
    }

    /** A key's value, decoded. */
    public Optional<GgufValue> get(String key) {
        mapping.check();
        Entry e = entries.get(key);
        return e == null ? Optional.empty() : Optional.of(decode(e));
    }

    /**
     * A key's value.
     *
     * @throws GgufFormatException if the key is missing
     */
    public GgufValue require(String key) {
        return get(key).orElseThrow(() -> new GgufFormatException("metadata key '" + Wire.quote(key) + "' is missing"));
    }

    /** All entries, in file order; arrays stay lazy views over the file. */
    public Map<String, GgufValue> toMap() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        for (String k : keys()) {
            m.put(k, decode(entries.get(k)));
        }
        return Collections.unmodifiableMap(m);
    }

    /** {@code general.architecture}, e.g. {@code llama}. */
    public String architecture() {
        return getString("general.architecture");
    }

    public String getString(String key) {
        return string(key, require(key));
    }

    public int getInt(String key) {
        return integer(key, require(key));
    }

    public long getLong(String key) {
        return longValue(key, require(key));
    }

    public float getFloat(String key) {
        return (float) floating(key, require(key));
    }

    public double getDouble(String key) {
        return floating(key, require(key));
    }

    public boolean getBool(String key) {
        return bool(key, require(key));
    }

    public GgufArray getArray(String key) {
        return array(key, require(key));
    }

    /** An array of strings, as a lazy view (each {@code get} decodes one string). */
    public List<String> getStringArray(String key) {
        return strings(key, require(key));
    }

    /** An array of f32 or f64, copied out. */
    public float[] getFloatArray(String key) {
        return floats(key, require(key));
    }

    /** An array of any integer type whose elements fit an int, copied out. */
    public int[] getIntArray(String key) {
        return ints(key, require(key));
    }

    /** An array of any integer type whose elements fit a long, copied out. */
    public long[] getLongArray(String key) {
        GgufArray a = array(key, require(key));
        expectElements(key, a, a.elementType().isInteger(), "integers");
        return a.toLongArray();
    }

    public Optional<String> optString(String key) {
        return opt(key, v -> string(key, v));
    }

    public OptionalInt optInt(String key) {
        Optional<GgufValue> v = get(key);
        return v.isEmpty() ? OptionalInt.empty() : OptionalInt.of(integer(key, v.get()));
    }

    public OptionalLong optLong(String key) {
        Optional<GgufValue> v = get(key);
        return v.isEmpty() ? OptionalLong.empty() : OptionalLong.of(longValue(key, v.get()));
    }

    public Optional<Float> optFloat(String key) {
        return opt(key, v -> (float) floating(key, v));
    }

    public Optional<Double> optDouble(String key) {
        return opt(key, v -> floating(key, v));
    }

    public Optional<Boolean> optBool(String key) {
        return opt(key, v -> bool(key, v));
    }

    public Optional<GgufArray> optArray(String key) {
        return opt(key, v -> array(key, v));
    }

    public Optional<List<String>> optStringArray(String key) {
        return opt(key, v -> strings(key, v));
    }

    public Optional<float[]> optFloatArray(String key) {
        return opt(key, v -> floats(key, v));
    }

    public Optional<int[]> optIntArray(String key) {
        return opt(key, v -> ints(key, v));
    }

    private <T> Optional<T> opt(String key, Function<GgufValue, T> convert) {
        return get(key).map(convert);
    }

    private GgufValue decode(Entry e) {
        try {
            return switch (e.type()) {
                case STRING -> new GgufValue.Str(Wire.string(mapping.segment(), e.offset()));
                case ARRAY -> new GgufArray(mapping,
                        GgufValueType.fromId(mapping.segment().get(Cursor.I32, e.offset())),
                        (int) mapping.segment().get(Cursor.I64, e.offset() + 4), e.offset() + 12, e.length() - 12);
                default -> Wire.scalar(mapping.segment(), e.offset(), e.type());
            };
        } catch (IllegalStateException ex) {
            throw mapping.closed(ex);
        }
    }

    private static GgufFormatException wrongType(String key, GgufValue v, String expected) {
        String actual = v instanceof GgufArray a ? "an array of " + a.elementType().shortName() : v.type().shortName();
        return new GgufFormatException("metadata '" + Wire.quote(key) + "' is " + actual + ", expected " + expected);
    }

    private static String string(String key, GgufValue v) {
        if (v instanceof GgufValue.Str s) {
            return s.value();
        }
        throw wrongType(key, v, "str");
    }

    private static long longValue(String key, GgufValue v) {
        return switch (v) {
            case GgufValue.UInt8 x -> x.value();
            case GgufValue.Int8 x -> x.value();
            case GgufValue.UInt16 x -> x.value();
            case GgufValue.Int16 x -> x.value();
            case GgufValue.UInt32 x -> x.value();
            case GgufValue.Int32 x -> x.value();
            case GgufValue.Int64 x -> x.value();
            case GgufValue.UInt64 x -> {
                if (x.value() < 0) {
                    throw new GgufFormatException("metadata '" + Wire.quote(key) + "' = "
                            + Long.toUnsignedString(x.value()) + " (u64) does not fit a long");
                }
                yield x.value();
            }
            default -> throw wrongType(key, v, "an integer");
        };
    }

    private static int integer(String key, GgufValue v) {
        long l = longValue(key, v);
        if (l != (int) l) {
            throw new GgufFormatException("metadata '" + Wire.quote(key) + "' = " + l + " (" + v.type().shortName()
                    + ") does not fit an int");
        }
        return (int) l;
    }

    private static double floating(String key, GgufValue v) {
        return switch (v) {
            case GgufValue.Float32 f -> f.value();
            case GgufValue.Float64 f -> f.value();
            default -> throw wrongType(key, v, "f32 or f64");
        };
    }

    private static boolean bool(String key, GgufValue v) {
        if (v instanceof GgufValue.Bool b) {
            return b.value();
        }
        throw wrongType(key, v, "bool");
    }

    private static GgufArray array(String key, GgufValue v) {
        if (v instanceof GgufArray a) {
            return a;
        }
        throw wrongType(key, v, "an array");
    }

    private static List<String> strings(String key, GgufValue v) {
        GgufArray a = array(key, v);
        expectElements(key, a, a.elementType() == GgufValueType.STRING, "an array of str");
        return a.strings();
    }

    private static float[] floats(String key, GgufValue v) {
        GgufArray a = array(key, v);
        expectElements(key, a, a.elementType().isFloat(), "an array of f32 or f64");
        return a.toFloatArray();
    }

    private static int[] ints(String key, GgufValue v) {
        GgufArray a = array(key, v);
        expectElements(key, a, a.elementType().isInteger(), "an array of integers");
        try {
            return a.toIntArray();
        } catch (GgufFormatException e) {
            throw new GgufFormatException("metadata '" + Wire.quote(key) + "': " + e.getMessage(), e);
        }
    }

    private static void expectElements(String key, GgufArray a, boolean ok, String expected) {
        if (!ok) {
            throw wrongType(key, a, expected);
        }
    }
}
