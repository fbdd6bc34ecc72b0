package io.github.ggml4j.cli;

import io.github.ggml4j.CancelledException;
import io.github.ggml4j.ChatTemplateException;
import io.github.ggml4j.ContextOverflowException;
import io.github.ggml4j.GenerationException;
import io.github.ggml4j.Ggml4jException;
import io.github.ggml4j.GgufFormatException;
import io.github.ggml4j.InsufficientMemoryException;
import io.github.ggml4j.ModelException;
import io.github.ggml4j.NativeException;
import io.github.ggml4j.NativeLibraryException;
import io.github.ggml4j.QuantizeException;
import io.github.ggml4j.ResourceClosedException;
import io.github.ggml4j.SessionStateException;
import io.github.ggml4j.StorageException;
import io.github.ggml4j.TokenizerException;
import io.github.ggml4j.grammar.GrammarException;
import io.github.ggml4j.rpc.RpcException;

/** Exit codes of the command line, one per kind of failure, so scripts can tell them apart. */
final class ExitCodes {

    static final int OK = 0;
    static final int USAGE = 2;

    private ExitCodes() {
    }

    static int of(Exception e) {
        if (e instanceof Ggml4jException g) {
            return switch (g) {
                case StorageException s -> 3;
                case GgufFormatException f -> 4;
                case ModelException m -> 5;
                case TokenizerException t -> 5;
                case ContextOverflowException c -> 6;
                case GenerationException ge -> 7;
                case NativeLibraryException n -> 8;
                case NativeException n -> 9;
                case QuantizeException q -> 10;
                case CancelledException c -> 11;
                case ResourceClosedException r -> 12;
                case InsufficientMemoryException i -> 13;
                case SessionStateException s -> 14;
                case ChatTemplateException t -> 15;
                case GrammarException gr -> 16;
                case RpcException r -> 17;
            };
        }
        return USAGE;
    }
}
