package io.github.ggml4j;

/**
 * Root of every exception ggml4j throws on purpose. Unchecked and sealed: callers can catch this one type,
 * or switch over the permitted subtypes exhaustively.
 *
 * {@snippet :
 * try (var gguf = GgufFile.open(path)) {
 *     // ...
 * } catch (Ggml4jException e) {
 *     switch (e) {
 *         case GgufFormatException f -> System.err.println("bad file: " + f.getMessage());
 *         default -> System.err.println(e.getMessage());
 *     }
 * }
 * }
 */
public abstract sealed class Ggml4jException extends RuntimeException
        permits GgufFormatException, ModelException, TokenizerException, ContextOverflowException,
                NativeException, NativeLibraryException, CancelledException, ResourceClosedException,
                GenerationException, StorageException, QuantizeException, InsufficientMemoryException,
                SessionStateException, ChatTemplateException, io.github.ggml4j.rpc.RpcException,
                io.github.ggml4j.grammar.GrammarException {

    private static final long serialVersionUID = 1L;

    protected Ggml4jException(String message) {
        super(message);
    }

    protected Ggml4jException(String message, Throwable cause) {
        super(message, cause);
    }
}
