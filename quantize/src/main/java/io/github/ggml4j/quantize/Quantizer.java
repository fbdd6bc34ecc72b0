package io.github.ggml4j.quantize;

import io.github.ggml4j.Ggml4jException;
import io.github.ggml4j.QuantizeException;
import io.github.ggml4j.StorageException;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.gguf.GgufMetadata;
import io.github.ggml4j.gguf.GgufTensorInfo;
import io.github.ggml4j.gguf.GgufValue;
import io.github.ggml4j.gguf.GgufWriter;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Quantizes a GGUF model file into another, as {@code llama-quantize} does and with the same bytes: the same
 * per-tensor types ({@link QuantizePlanner}), the same metadata changes ({@code general.file_type},
 * {@code general.quantization_version}, {@code quantize.imatrix.*}), the same tensor order, ggml's own kernels.
 *
 * <p>The input is memory-mapped and streamed: at most one slab of one tensor's rows (see
 * {@link QuantizeOptions#maxBufferBytes()}) is held, in native memory, at a time. Rows are split over
 * {@link QuantizeOptions#threads()} threads. The output is written to a temporary file next to the target,
 * forced to disk and renamed over it, so the target is either complete or untouched; a temporary file left by a
 * killed run is removed by the next run for the same target.
 *
 * {@snippet :
 * QuantizeResult r = Quantizer.quantize(Path.of("model-f16.gguf"), Path.of("model-q4_k_m.gguf"),
 *         QuantizeOptions.builder(FileType.Q4_K_M).threads(8).build());
 * System.out.printf("%.2f -> %.2f bpw in %s%n", r.inputBitsPerWeight(), r.outputBitsPerWeight(), r.elapsed());
 * }
 */
public final class Quantizer {

    private static final int QUANTIZATION_VERSION = 2;
    private static final int FTYPE_GUESSED = 1024;
    private static final String TEMP_TAG = ".ggml4j-";

    private Quantizer() {
    }

    /** Quantizes without progress reports. */
    public static QuantizeResult quantize(Path in, Path out, QuantizeOptions options) {
        return quantize(in, out, options, ProgressListener.NONE);
    }

    /**
     * Quantizes {@code in} into {@code out} (for a dry run, only plans and sizes it).
     *
     * @throws QuantizeException if the options do not fit the model (a type that needs an importance matrix without
     *                           one, quantized input without {@code allowRequantize}, output equal to input, ...)
     * @throws StorageException  if a file cannot be read or written (the target is then left as it was)
     */
    public static QuantizeResult quantize(Path in, Path out, QuantizeOptions options, ProgressListener progress) {
        long t0 = System.nanoTime();
        Path target = outputPath(out, options);
        if (!options.dryRun()) {
            refuseSameFile(in, target);
        }
        Kernels.ensureLoaded();
        try (GgufFile src = GgufFile.open(in)) {
            Prepared p = prepare(src, options);
            long inBytes = 0;
            long outBytes = 0;
            long elements = 0;
            for (TensorPlan t : p.plans) {
                inBytes += t.inputBytes();
                outBytes += t.outputBytes();
                elements += t.elementCount();
            }
            if (!options.dryRun()) {
                write(src, p, target, options, progress, inBytes);
            }
            return new QuantizeResult(options.dryRun() ? Optional.empty() : Optional.of(target), p.plans, inBytes,
                    outBytes, elements, p.fallbacks, Duration.ofNanos(System.nanoTime() - t0));
        }
    }

    /** The per-tensor plan llama-quantize would follow for this file and these options, in output order. */
    public static List<TensorPlan> plan(Path in, QuantizeOptions options) {
        try (GgufFile src = GgufFile.open(in)) {
            return prepare(src, options).plans;
        }
    }

    /**
     * The file actually written for {@code out}: {@code out} itself, or with {@code keepSplit} the one-shard split
     * name llama-quantize uses ({@code out} without {@code .gguf}, then {@code -00001-of-00001.gguf}).
     */
    public static Path outputPath(Path out, QuantizeOptions options) {
        if (!options.keepSplit()) {
            return out;
        }
        String s = out.toString();
        int i = s.indexOf(".gguf");
        if (i >= 0) {
            s = s.substring(0, s.length() - 5);
        }
        return Path.of(s + "-00001-of-00001.gguf");
    }

    private static void refuseSameFile(Path in, Path out) {
        try {
            if (in.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())
                    || (Files.exists(out) && Files.isSameFile(in, out))) {
                throw new QuantizeException("input and output files are the same: '" + in + "'");
            }
        } catch (IOException e) {
            throw new StorageException("cannot compare " + in + " and " + out + ": " + e.getMessage(), e);
        }
    }

    private record Prepared(List<TensorPlan> plans, Map<String, float[]> imatrix, GgufWriter writer,
                            int fallbacks) {
    }

    private static Prepared prepare(GgufFile src, QuantizeOptions o) {
        GgufMetadata md = src.metadata();
        if (md.optLong("split.count").orElse(1) > 1) {
            throw new QuantizeException(src.origin() + " is one shard of a split model; merge it first");
        }
        ImportanceMatrix im = null;
        if (o.imatrix().isPresent()) {
            im = ImportanceMatrix.load(o.imatrix().get());
            im = o.excludeWeights().isEmpty() ? im.include(o.includeWeights()) : im.exclude(o.excludeWeights());
            if (im.entries().isEmpty()) {
                im = null;
            }
        }
        Map<String, float[]> imatrix = im == null ? Map.of() : im.entries();
        QuantizePlanner planner = new QuantizePlanner(md, o, im != null);
        List<GgufTensorInfo> ordered = QuantizePlanner.outputOrder(src.tensors());
        if (o.keepSplit()) {
            // llama-quantize sorts by shard and offset for --keep-split: the input's data order
            ordered = new ArrayList<>(ordered);
            ordered.sort(java.util.Comparator.comparingLong(GgufTensorInfo::offset));
        }
        List<TensorPlan> plans = planner.plan(ordered);
        check(plans, imatrix, im != null, o);

        GgufWriter w = new GgufWriter();
        for (String key : md.keys()) {
            w.put(key, md.require(key));
        }
        long ftype = o.fileType() == FileType.COPY ? inputFileType(md, ordered) : o.fileType().id();
        replaceAtEnd(w, "general.quantization_version", new GgufValue.UInt32(QUANTIZATION_VERSION));
        replaceAtEnd(w, "general.file_type", new GgufValue.UInt32(ftype));
        w.remove("split.no");
        w.remove("split.count");
        w.remove("split.tensors.count");
        if (im != null) {
            replaceAtEnd(w, "quantize.imatrix.file", new GgufValue.Str(truncate(o.imatrix().get().toString())));
            if (!im.datasets().isEmpty()) {
                replaceAtEnd(w, "quantize.imatrix.dataset", new GgufValue.Str(truncate(im.datasets().get(0))));
            }
            replaceAtEnd(w, "quantize.imatrix.entries_count", new GgufValue.UInt32(im.entries().size()));
            if (im.chunkCount() > 0) {
                replaceAtEnd(w, "quantize.imatrix.chunks_count", new GgufValue.UInt32(im.chunkCount()));
            }
        }
        return new Prepared(plans, imatrix, w, planner.fallbacks());
    }

    /** As ggml's gguf_set_val_*: an existing key is removed and the new value goes last. */
    private static void replaceAtEnd(GgufWriter w, String key, GgufValue v) {
        w.remove(key);
        w.put(key, v);
    }

    /** llama-quantize copies at most 127 bytes of these strings. */
    private static String truncate(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return b.length <= 127 ? s : new String(b, 0, 127, StandardCharsets.UTF_8);
    }

    /** The input's {@code general.file_type}, or llama.cpp's guess from its most common tensor type. */
    private static long inputFileType(GgufMetadata md, List<GgufTensorInfo> ordered) {
        if (md.contains("general.file_type")) {
            return md.getLong("general.file_type");
        }
        int[] counts = new int[64];
        int best = 0;
        GgmlType bestType = GgmlType.F32;
        for (GgufTensorInfo t : ordered) {
            int c = ++counts[t.type().id()];
            if (c > best) {
                best = c;
                bestType = t.type();
            }
        }
        int guess = switch (bestType) {
            case F16 -> 1; case BF16 -> 32; case Q4_0 -> 2; case Q4_1 -> 3; case Q5_0 -> 8; case Q5_1 -> 9;
            case Q8_0 -> 7; case Q2_K -> 10; case Q3_K -> 12; case Q4_K -> 15; case Q5_K -> 17; case Q6_K -> 18;
            case TQ1_0 -> 36; case TQ2_0 -> 37; case IQ2_XXS -> 19; case IQ2_XS -> 20; case IQ2_S -> 28;
            case IQ3_XXS -> 23; case IQ1_S -> 24; case IQ1_M -> 31; case IQ4_NL -> 25; case IQ4_XS -> 30;
            case IQ3_S -> 26; case NVFP4 -> 39; case Q1_0 -> 40; case Q2_0 -> 41;
            default -> 0;
        };
        return guess | FTYPE_GUESSED;
    }

    /** Everything llama-quantize would fail on part-way, and everything ggml would assert on, before writing. */
    private static void check(List<TensorPlan> plans, Map<String, float[]> imatrix, boolean hasImatrix,
                              QuantizeOptions o) {
        for (TensorPlan t : plans) {
            if (t.requiresImatrix() && !hasImatrix && !o.dryRun()) {
                throw new QuantizeException("this quantization requires an importance matrix (tensor " + t.name()
                        + ", type " + t.to().ggmlName() + "); pass one with --imatrix");
            }
        }
        if (o.dryRun()) {
            return;
        }
        for (TensorPlan t : plans) {
            if (!t.converts()) {
                continue;
            }
            long[] ne = t.shape();
            float[] w = imatrix.get(t.name());
            long expected = ne[0] * (ne.length > 2 ? ne[2] : 1);
            boolean tokenEmbd = t.name().equals("token_embd.weight") || t.name().equals("per_layer_token_embd.weight");
            if (w != null && w.length != expected && !tokenEmbd) {
                throw new QuantizeException("imatrix size " + w.length + " is different from tensor size " + expected
                        + " for " + t.name());
            }
            boolean haveRows = w != null && w.length == expected;
            if (!haveRows && t.requiresImatrix()) {
                throw new QuantizeException("missing importance matrix for tensor " + t.name()
                        + " in a very low-bit quantization");
            }
            if (t.from().isQuantized() && !o.allowRequantize()) {
                throw new QuantizeException("requantizing from type " + t.from().ggmlName() + " is disabled"
                        + " (tensor " + t.name() + "); pass --allow-requantize");
            }
            if (!Kernels.canConvertToFloat(t.from())) {
                throw new QuantizeException("cannot dequantize/convert tensor type " + t.from().ggmlName()
                        + " (tensor " + t.name() + ")");
            }
            if (!TensorQuantizer.canQuantize(t.to())) {
                throw new QuantizeException("ggml cannot quantize to " + t.to().ggmlName() + " (tensor " + t.name() + ")");
            }
            if (ne[0] % t.to().blockSize() != 0) {
                throw new QuantizeException("tensor " + t.name() + " has rows of " + ne[0] + ", not a multiple of "
                        + t.to().ggmlName() + "'s block size " + t.to().blockSize());
            }
            if (!haveRows && TensorQuantizer.needsImportance(t.to())) {
                throw new QuantizeException(t.to().ggmlName() + " needs an importance matrix (tensor " + t.name() + ")");
            }
        }
    }

    private static void write(GgufFile src, Prepared p, Path target, QuantizeOptions o, ProgressListener progress,
                              long totalBytes) {
        int threads = o.effectiveThreads();
        AtomicInteger n = new AtomicInteger();
        ExecutorService pool = threads < 2 ? null : Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "ggml4j-quantize-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            TensorStreamer streamer = new TensorStreamer(src, p.imatrix, o, pool, threads, progress, p.plans.size(),
                    totalBytes);
            for (int i = 0; i < p.plans.size(); i++) {
                TensorPlan t = p.plans.get(i);
                int index = i;
                // ggml writes ggml_n_dims dimensions: trailing dimensions of 1 are dropped, as here
                long[] shape = java.util.Arrays.copyOf(t.shape(), QuantizePlanner.nDims(t.shape()));
                p.writer.addTensor(t.name(), t.to(), shape, out -> streamer.write(index, t, out));
            }
            writeAtomically(p.writer, target);
        } finally {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
    }

    private static void writeAtomically(GgufWriter w, Path target) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new StorageException("cannot write " + target + ": no such directory " + dir);
        }
        removeStaleTemps(dir, abs.getFileName().toString());
        Path tmp = dir.resolve("." + abs.getFileName() + TEMP_TAG + ProcessHandle.current().pid() + ".tmp");
        boolean moved = false;
        try {
            Files.deleteIfExists(tmp);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                w.writeTo(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new StorageException("cannot rename " + tmp + " atomically onto " + target, e);
            }
            moved = true;
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException | UnsupportedOperationException ignored) {
                // best effort: the file itself is complete
            }
        } catch (IOException e) {
            throw new StorageException("cannot write " + target + ": " + e.getMessage(), e);
        } catch (Ggml4jException e) {
            if (e instanceof StorageException && e.getCause() instanceof IOException io) {
                throw new StorageException("cannot write " + target + ": " + io.getMessage(), e);
            }
            throw e;
        } finally {
            if (!moved) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure matters more
                }
            }
        }
    }

    /** Temporary files of earlier runs for the same target whose process is gone (killed runs). */
    private static void removeStaleTemps(Path dir, String name) {
        Pattern p = Pattern.compile(Pattern.quote("." + name + TEMP_TAG) + "(\\d+)\\.tmp");
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "." + globEscape(name) + "*.tmp")) {
            List<Path> stale = new ArrayList<>();
            for (Path f : ds) {
                Matcher m = p.matcher(f.getFileName().toString());
                if (m.matches()) {
                    long pid = Long.parseLong(m.group(1));
                    boolean alive = pid != ProcessHandle.current().pid()
                            && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                    if (!alive) {
                        stale.add(f);
                    }
                }
            }
            for (Path f : stale) {
                Files.deleteIfExists(f);
            }
        } catch (IOException | NumberFormatException e) {
            // leftovers are harmless to this run; it writes a temporary file of its own
        }
    }

    private static String globEscape(String s) {
        return s.replaceAll("([*?\\[\\]{}\\\\])", "\\\\$1");
    }
}
