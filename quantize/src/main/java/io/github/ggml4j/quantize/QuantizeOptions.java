package io.github.ggml4j.quantize;

import io.github.ggml4j.QuantizeException;
import io.github.ggml4j.gguf.GgmlType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * What {@link Quantizer} does: the same choices as {@code llama-quantize}'s flags. Build with {@link #builder}.
 *
 * {@snippet :
 * QuantizeOptions o = QuantizeOptions.builder(FileType.Q4_K_M)
 *         .threads(8)
 *         .imatrix(Path.of("imatrix.gguf"))
 *         .tensorType("attn_v", GgmlType.Q8_0)        // --tensor-type attn_v=q8_0
 *         .build();
 * }
 *
 * @param fileType           the mix ({@code TYPE} on the command line)
 * @param threads            threads over rows; 0 means one per available processor
 * @param imatrix            importance matrix file (llama-imatrix's GGUF or legacy format), if any
 * @param includeWeights     use the importance matrix only for entries whose name contains one of these
 * @param excludeWeights     drop importance matrix entries whose name contains one of these
 * @param outputTensorType   type of {@code output.weight}, if forced
 * @param tokenEmbeddingType type of {@code token_embd.weight}, if forced
 * @param tensorTypes        {@code --tensor-type} rules, first match wins (patterns are searched in the name)
 * @param leaveOutputTensor  keep {@code output.weight} as it is
 * @param pure               no mix: every quantizable matrix gets the default type
 * @param allowRequantize    allow quantized input tensors to be quantized again
 * @param keepSplit          name the output as llama-quantize names a one-shard split ({@code OUT-00001-of-00001.gguf})
 * @param dryRun             plan and report sizes, write nothing
 * @param maxBufferBytes     most bytes of rows held at a time while quantizing one tensor
 */
public record QuantizeOptions(FileType fileType, int threads, Optional<Path> imatrix, List<String> includeWeights,
                              List<String> excludeWeights, Optional<GgmlType> outputTensorType,
                              Optional<GgmlType> tokenEmbeddingType, List<TensorTypeRule> tensorTypes,
                              boolean leaveOutputTensor, boolean pure, boolean allowRequantize, boolean keepSplit,
                              boolean dryRun, long maxBufferBytes) {

    /** 512 MiB of rows at a time: large enough for every tensor of a 70B model in a handful of slabs. */
    public static final long DEFAULT_MAX_BUFFER = 512L << 20;

    /**
     * One {@code --tensor-type NAME=TYPE} rule: tensors whose name contains a match of {@code pattern} (a regular
     * expression, lower-cased as llama-quantize does) get {@code type}.
     */
    public record TensorTypeRule(String pattern, GgmlType type) {
        public TensorTypeRule {
            Objects.requireNonNull(pattern, "pattern");
            Objects.requireNonNull(type, "type");
            if (pattern.isEmpty()) {
                throw new QuantizeException("--tensor-type: missing tensor name");
            }
            if (!TensorQuantizer.canQuantize(type)) {
                throw new QuantizeException("--tensor-type " + pattern + ": ggml cannot write " + type.ggmlName());
            }
            try {
                Pattern.compile(pattern);
            } catch (PatternSyntaxException e) {
                throw new QuantizeException("--tensor-type: bad pattern '" + pattern + "': " + e.getDescription(), e);
            }
        }

        /** Parses {@code NAME=TYPE} as llama-quantize does (name lower-cased, type by its ggml name). */
        public static TensorTypeRule parse(String spec) {
            int eq = spec.indexOf('=');
            if (eq < 0) {
                throw new QuantizeException("malformed tensor type '" + spec + "' (expected NAME=TYPE)");
            }
            if (eq == spec.length() - 1) {
                throw new QuantizeException("--tensor-type " + spec + ": missing quantization type");
            }
            return new TensorTypeRule(spec.substring(0, eq).toLowerCase(java.util.Locale.ROOT),
                    FileType.parseTensorType(spec.substring(eq + 1)));
        }
    }

    public QuantizeOptions {
        Objects.requireNonNull(fileType, "fileType");
        Objects.requireNonNull(imatrix, "imatrix");
        Objects.requireNonNull(outputTensorType, "outputTensorType");
        Objects.requireNonNull(tokenEmbeddingType, "tokenEmbeddingType");
        includeWeights = List.copyOf(includeWeights);
        excludeWeights = List.copyOf(excludeWeights);
        tensorTypes = List.copyOf(tensorTypes);
        if (threads < 0 || threads > 4096) {
            throw new QuantizeException("threads must be 0 (all) to 4096, got " + threads);
        }
        if (!includeWeights.isEmpty() && !excludeWeights.isEmpty()) {
            throw new QuantizeException("--include-weights and --exclude-weights cannot be used together");
        }
        if ((!includeWeights.isEmpty() || !excludeWeights.isEmpty()) && imatrix.isEmpty()) {
            throw new QuantizeException("--include-weights/--exclude-weights need --imatrix");
        }
        for (String w : includeWeights) {
            if (w.isEmpty()) {
                throw new QuantizeException("--include-weights: empty name");
            }
        }
        for (String w : excludeWeights) {
            if (w.isEmpty()) {
                throw new QuantizeException("--exclude-weights: empty name");
            }
        }
        outputTensorType.ifPresent(t -> check("--output-tensor-type", t));
        tokenEmbeddingType.ifPresent(t -> check("--token-embedding-type", t));
        if (maxBufferBytes < (1 << 20)) {
            throw new QuantizeException("max buffer must be at least 1 MiB, got " + maxBufferBytes + " bytes");
        }
    }

    private static void check(String what, GgmlType t) {
        if (!TensorQuantizer.canQuantize(t)) {
            throw new QuantizeException(what + ": ggml cannot write " + t.ggmlName());
        }
    }

    /** Options for {@code fileType} and llama-quantize's defaults for everything else. */
    public static QuantizeOptions of(FileType fileType) {
        return builder(fileType).build();
    }

    public static Builder builder(FileType fileType) {
        return new Builder(fileType);
    }

    /** A builder starting from these options. */
    public Builder toBuilder() {
        Builder b = new Builder(fileType);
        b.threads = threads;
        b.imatrix = imatrix.orElse(null);
        b.includeWeights.addAll(includeWeights);
        b.excludeWeights.addAll(excludeWeights);
        b.outputTensorType = outputTensorType.orElse(null);
        b.tokenEmbeddingType = tokenEmbeddingType.orElse(null);
        b.tensorTypes.addAll(tensorTypes);
        b.leaveOutputTensor = leaveOutputTensor;
        b.pure = pure;
        b.allowRequantize = allowRequantize;
        b.keepSplit = keepSplit;
        b.dryRun = dryRun;
        b.maxBufferBytes = maxBufferBytes;
        return b;
    }

    /** The threads to use: {@link #threads()}, or one per available processor when 0. */
    public int effectiveThreads() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }

    /** Collects options; {@link #build()} validates them. */
    public static final class Builder {
        private FileType fileType;
        private int threads;
        private Path imatrix;
        private final List<String> includeWeights = new ArrayList<>();
        private final List<String> excludeWeights = new ArrayList<>();
        private GgmlType outputTensorType;
        private GgmlType tokenEmbeddingType;
        private final List<TensorTypeRule> tensorTypes = new ArrayList<>();
        private boolean leaveOutputTensor;
        private boolean pure;
        private boolean allowRequantize;
        private boolean keepSplit;
        private boolean dryRun;
        private long maxBufferBytes = DEFAULT_MAX_BUFFER;

        private Builder(FileType fileType) {
            this.fileType = Objects.requireNonNull(fileType, "fileType");
        }

        public Builder fileType(FileType v) {
            fileType = Objects.requireNonNull(v, "fileType");
            return this;
        }

        public Builder threads(int v) {
            threads = v;
            return this;
        }

        public Builder imatrix(Path v) {
            imatrix = v;
            return this;
        }

        public Builder includeWeights(String name) {
            includeWeights.add(Objects.requireNonNull(name, "name"));
            return this;
        }

        public Builder excludeWeights(String name) {
            excludeWeights.add(Objects.requireNonNull(name, "name"));
            return this;
        }

        public Builder outputTensorType(GgmlType v) {
            outputTensorType = v;
            return this;
        }

        public Builder tokenEmbeddingType(GgmlType v) {
            tokenEmbeddingType = v;
            return this;
        }

        public Builder tensorType(String pattern, GgmlType type) {
            tensorTypes.add(new TensorTypeRule(pattern, type));
            return this;
        }

        public Builder tensorType(TensorTypeRule rule) {
            tensorTypes.add(Objects.requireNonNull(rule, "rule"));
            return this;
        }

        public Builder leaveOutputTensor(boolean v) {
            leaveOutputTensor = v;
            return this;
        }

        public Builder pure(boolean v) {
            pure = v;
            return this;
        }

        public Builder allowRequantize(boolean v) {
            allowRequantize = v;
            return this;
        }

        public Builder keepSplit(boolean v) {
            keepSplit = v;
            return this;
        }

        public Builder dryRun(boolean v) {
            dryRun = v;
            return this;
        }

        public Builder maxBufferBytes(long v) {
            maxBufferBytes = v;
            return this;
        }

        /** @throws QuantizeException if the options contradict each other or are out of range */
        public QuantizeOptions build() {
            return new QuantizeOptions(fileType, threads, Optional.ofNullable(imatrix), includeWeights,
                    excludeWeights, Optional.ofNullable(outputTensorType), Optional.ofNullable(tokenEmbeddingType),
                    tensorTypes, leaveOutputTensor, pure, allowRequantize, keepSplit, dryRun, maxBufferBytes);
        }
    }
}
