package io.github.ggml4j.quantize;

import io.github.ggml4j.Ggml4jException;
import io.github.ggml4j.QuantizeException;
import io.github.ggml4j.StorageException;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.gguf.GgufTensorInfo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * An importance matrix, as {@code llama-imatrix} writes it (its GGUF format, with {@code NAME.in_sum2} and
 * {@code NAME.counts} tensors, or the legacy binary format) and {@code llama-quantize} reads it: per weight
 * tensor, the mean squared activation of each input column (per expert for 3D tensors).
 *
 * {@snippet :
 * ImportanceMatrix m = ImportanceMatrix.load(Path.of("imatrix.gguf"));
 * float[] w = m.entries().get("blk.0.attn_q.weight");   // one value per column
 * ImportanceMatrix some = m.include(List.of("ffn_down")); // --include-weights ffn_down
 * }
 *
 * @param entries    per tensor name, the normalized importance values
 * @param datasets   the datasets it was computed on, if recorded
 * @param chunkCount chunks it was computed on (0 if unknown)
 */
public record ImportanceMatrix(Map<String, float[]> entries, List<String> datasets, int chunkCount) {

    private static final int MAX_ENTRIES = 1 << 20;

    public ImportanceMatrix {
        entries = Collections.unmodifiableMap(new TreeMap<>(entries));
        datasets = List.copyOf(datasets);
        for (Map.Entry<String, float[]> e : entries.entrySet()) {
            for (float f : e.getValue()) {
                if (!Float.isFinite(f)) {
                    throw new QuantizeException("imatrix contains non-finite value " + f + " for " + e.getKey());
                }
            }
        }
    }

    /**
     * Reads an importance matrix file.
     *
     * @throws QuantizeException if the file is not a valid importance matrix
     * @throws StorageException  if it cannot be read
     */
    public static ImportanceMatrix load(Path file) {
        Objects.requireNonNull(file, "file");
        byte[] magic = new byte[4];
        try (var in = Files.newInputStream(file)) {
            if (in.readNBytes(magic, 0, 4) == 4 && new String(magic, StandardCharsets.US_ASCII).equals("GGUF")) {
                return loadGguf(file);
            }
        } catch (IOException e) {
            throw new StorageException("cannot read imatrix " + file + ": " + e.getMessage(), e);
        }
        return loadLegacy(file);
    }

    private static ImportanceMatrix loadGguf(Path file) {
        try (GgufFile g = GgufFile.open(file)) {
            var md = g.metadata();
            boolean hasMetadata = md.contains("imatrix.datasets") && md.contains("imatrix.chunk_count")
                    && md.contains("imatrix.chunk_size");
            if (!hasMetadata) {
                throw new QuantizeException("missing imatrix metadata in file " + file);
            }
            List<String> datasets = new ArrayList<>(md.optStringArray("imatrix.datasets").orElse(List.of()));
            int chunks = (int) md.getLong("imatrix.chunk_count");
            if (g.tensors().isEmpty()) {
                throw new QuantizeException("no data in imatrix file " + file);
            }
            Map<String, GgufTensorInfo[]> pairs = new TreeMap<>();
            for (GgufTensorInfo t : g.tensors()) {
                String n = t.name();
                if (n.endsWith(".in_sum2")) {
                    pairs.computeIfAbsent(n.substring(0, n.length() - 8), k -> new GgufTensorInfo[2])[0] = t;
                } else if (n.endsWith(".counts")) {
                    pairs.computeIfAbsent(n.substring(0, n.length() - 7), k -> new GgufTensorInfo[2])[1] = t;
                }
            }
            Map<String, float[]> entries = new LinkedHashMap<>();
            for (Map.Entry<String, GgufTensorInfo[]> e : pairs.entrySet()) {
                GgufTensorInfo sums = e.getValue()[0];
                GgufTensorInfo counts = e.getValue()[1];
                if (sums == null || counts == null) {
                    throw new QuantizeException("imatrix " + file + ": mismatched sums and counts for " + e.getKey());
                }
                if (sums.type() != GgmlType.F32 || counts.type() != GgmlType.F32) {
                    throw new QuantizeException("imatrix " + file + ": sums and counts for " + e.getKey()
                            + " must be F32");
                }
                float[] s = floats(g, sums);
                float[] c = floats(g, counts);
                if (c.length == 0 || s.length % c.length != 0) {
                    throw new QuantizeException("imatrix " + file + ": " + s.length + " sums do not split into "
                            + c.length + " counts for " + e.getKey());
                }
                int ne0 = s.length / c.length;
                float[] v = new float[s.length];
                for (int j = 0; j < c.length; j++) {
                    float count = (float) lround(c[j]);
                    for (int i = 0; i < ne0; i++) {
                        v[j * ne0 + i] = count > 0 ? s[j * ne0 + i] / count : 1;
                    }
                }
                entries.put(e.getKey(), v);
            }
            return new ImportanceMatrix(entries, datasets, chunks);
        } catch (QuantizeException e) {
            throw e;
        } catch (Ggml4jException e) {
            throw new QuantizeException("cannot read imatrix " + file + ": " + e.getMessage(), e);
        }
    }

    private static long lround(float f) {
        double d = f;
        return (long) (d >= 0 ? Math.floor(d + 0.5) : -Math.floor(-d + 0.5));
    }

    private static float[] floats(GgufFile g, GgufTensorInfo t) {
        ByteBuffer b = g.tensorBytes(t.name());
        float[] out = new float[Math.toIntExact(t.elementCount())];
        b.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    private static ImportanceMatrix loadLegacy(Path file) {
        ByteBuffer b;
        try {
            if (Files.size(file) > Integer.MAX_VALUE) {
                throw new QuantizeException("imatrix " + file + " is too large for the legacy format");
            }
            b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new StorageException("cannot read imatrix " + file + ": " + e.getMessage(), e);
        }
        try {
            int n = b.getInt();
            if (n < 1 || n > MAX_ENTRIES) {
                throw new QuantizeException("no data in imatrix file " + file);
            }
            Map<String, float[]> entries = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                int len = b.getInt();
                if (len < 0 || len > b.remaining()) {
                    throw new QuantizeException("imatrix " + file + ": bad name length for entry " + (i + 1));
                }
                byte[] name = new byte[len];
                b.get(name);
                int ncall = b.getInt();
                int nval = b.getInt();
                if (nval < 1 || (long) nval * 4 > b.remaining()) {
                    throw new QuantizeException("imatrix " + file + ": bad number of values for entry " + (i + 1));
                }
                float[] v = new float[nval];
                b.asFloatBuffer().get(v);
                b.position(b.position() + nval * 4);
                if (ncall > 0) {
                    for (int j = 0; j < nval; j++) {
                        v[j] = v[j] / ncall;
                    }
                }
                String key = new String(name, StandardCharsets.UTF_8);
                int nul = key.indexOf('\0');
                entries.put(nul >= 0 ? key.substring(0, nul) : key, v);
            }
            int chunks = 0;
            List<String> datasets = new ArrayList<>();
            if (b.remaining() >= 4) {
                chunks = b.getInt();
                if (b.remaining() >= 4) {
                    int len = b.getInt();
                    if (len > 0 && len <= b.remaining()) {
                        byte[] d = new byte[len];
                        b.get(d);
                        String s = new String(d, StandardCharsets.UTF_8);
                        int nul = s.indexOf('\0');
                        datasets.add(nul >= 0 ? s.substring(0, nul) : s);
                    }
                }
            }
            return new ImportanceMatrix(entries, datasets, chunks);
        } catch (java.nio.BufferUnderflowException e) {
            throw new QuantizeException("imatrix " + file + " is truncated", e);
        }
    }

    /** Only the entries whose name contains one of {@code names} ({@code --include-weights}). */
    public ImportanceMatrix include(List<String> names) {
        if (names.isEmpty()) {
            return this;
        }
        Map<String, float[]> kept = new LinkedHashMap<>();
        entries.forEach((k, v) -> {
            for (String n : names) {
                if (k.contains(n)) {
                    kept.put(k, v);
                    break;
                }
            }
        });
        return new ImportanceMatrix(kept, datasets, chunkCount);
    }

    /** Without the entries whose name contains one of {@code names} ({@code --exclude-weights}). */
    public ImportanceMatrix exclude(List<String> names) {
        Map<String, float[]> kept = new LinkedHashMap<>();
        entries.forEach((k, v) -> {
            for (String n : names) {
                if (k.contains(n)) {
                    return;
                }
            }
            kept.put(k, v);
        });
        return new ImportanceMatrix(kept, datasets, chunkCount);
    }
}
