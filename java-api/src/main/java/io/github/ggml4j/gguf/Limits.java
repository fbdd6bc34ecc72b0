package io.github.ggml4j.gguf;

/** Limits the reader and the writer enforce, most of them ggml's own. */
final class Limits {

    /** ggml's default data alignment when {@code general.alignment} is absent. */
    static final int DEFAULT_ALIGNMENT = 32;
    /** Larger alignments only waste space; a bigger value is a corrupt or hostile file. */
    static final int MAX_ALIGNMENT = 1 << 20;
    /** GGUF spec: keys are at most 2^16-1 bytes. */
    static final int MAX_KEY_BYTES = 0xFFFF;
    /** ggml's GGUF_MAX_STRING_LENGTH. */
    static final long MAX_STRING_BYTES = 1L << 30;
    /** ggml's GGUF_MAX_ARRAY_ELEMENTS; also keeps every count within a Java int. */
    static final long MAX_ARRAY_ELEMENTS = 1L << 30;
    /** Arrays of arrays deeper than this are refused, which bounds the recursion of the walker. */
    static final int MAX_NESTING = 16;
    /** ggml's GGML_MAX_NAME is 64 including the terminating NUL. */
    static final int MAX_TENSOR_NAME_BYTES = 63;
    /** ggml's GGML_MAX_DIMS. */
    static final int MAX_DIMS = 4;
    /** Versions this reader understands; v2 and v3 share the little-endian layout. */
    static final int MIN_VERSION = 2;
    static final int MAX_VERSION = 3;
    /** "GGUF" read as a little-endian u32. */
    static final int MAGIC = 0x46554747;

    private Limits() {
    }
}
