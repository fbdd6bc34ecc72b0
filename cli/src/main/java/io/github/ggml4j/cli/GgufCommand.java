package io.github.ggml4j.cli;

import io.github.ggml4j.gguf.GgufArray;
import io.github.ggml4j.gguf.GgufFile;
import io.github.ggml4j.gguf.GgufMetadata;
import io.github.ggml4j.gguf.GgufTensorInfo;
import io.github.ggml4j.gguf.GgufValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code ggml4j gguf FILE}: the header, metadata and tensor table of a GGUF file, in the spirit of llama.cpp's
 * {@code gguf_dump.py}. Long arrays show their first elements and their length unless {@code --full}.
 * Metadata is printed as data: strings are quoted and escaped, never interpreted.
 */
@Command(name = "gguf", mixinStandardHelpOptions = true,
        description = "Show a GGUF file's header, metadata and tensors.")
final class GgufCommand implements Callable<Integer> {

    private static final int SHOWN_ELEMENTS = 5;
    private static final int SHOWN_CHARS = 80;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "the GGUF file")
    Path file;

    @Option(names = "--json", description = "print JSON instead of text")
    boolean json;

    @Option(names = "--full", description = "print arrays and strings in full")
    boolean full;

    @Option(names = "--offset", paramLabel = "BYTES", description = "where the GGUF starts within FILE (default 0)")
    long offset;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (GgufFile gguf = GgufFile.open(file, offset)) {
            out.print(json ? json(gguf) + "\n" : text(gguf));
        }
        out.flush();
        return ExitCodes.OK;
    }

    private String text(GgufFile gguf) {
        GgufMetadata md = gguf.metadata();
        StringBuilder b = new StringBuilder();
        b.append("* File: ").append(display(gguf.origin(), Integer.MAX_VALUE)).append('\n');
        b.append(String.format("* GGUF v%d, alignment %d, %d tensor(s), %d key/value pair(s), data at byte %d"
                        + "%s, file size %d bytes%n", gguf.version(), gguf.alignment(), gguf.tensors().size(),
                md.size(), gguf.dataOffset(), gguf.startOffset() > 0 ? " (GGUF starts at " + gguf.startOffset() + ")" : "",
                gguf.fileSize()));
        b.append(String.format("* Dumping %d key/value pair(s)%n", md.size()));
        int i = 0;
        for (String key : md.keys()) {
            GgufValue v = md.require(key);
            String type = v instanceof GgufArray a ? "[" + a.elementType().shortName() + "]" : v.type().shortName();
            int count = v instanceof GgufArray a ? a.size() : 1;
            b.append(String.format("%6d: %-8s | %8d | ", ++i, type, count));
            b.append(display(key, Integer.MAX_VALUE)).append(" = ").append(text(v)).append('\n');
        }
        b.append(String.format("* Dumping %d tensor(s)%n", gguf.tensors().size()));
        i = 0;
        for (GgufTensorInfo t : gguf.tensors()) {
            b.append(String.format("%6d: %-7s | %-28s | offset %12d | %12d bytes | ", ++i, t.type().ggmlName(),
                    shape(t), t.offset(), t.byteSize()));
            b.append(display(t.name(), Integer.MAX_VALUE)).append('\n');
        }
        AttentionSummary.of(md).ifPresent(lines -> {
            b.append("* Attention\n");
            lines.forEach(l -> b.append("  ").append(l).append('\n'));
        });
        return b.toString();
    }

    private String text(GgufValue v) {
        return switch (v) {
            case GgufValue.Str s -> display(s.value(), full ? Integer.MAX_VALUE : SHOWN_CHARS);
            case GgufValue.UInt64 u -> Long.toUnsignedString(u.value());
            case GgufValue.UInt8 x -> Integer.toString(x.value());
            case GgufValue.Int8 x -> Integer.toString(x.value());
            case GgufValue.UInt16 x -> Integer.toString(x.value());
            case GgufValue.Int16 x -> Integer.toString(x.value());
            case GgufValue.UInt32 x -> Long.toString(x.value());
            case GgufValue.Int32 x -> Integer.toString(x.value());
            case GgufValue.Int64 x -> Long.toString(x.value());
            case GgufValue.Float32 x -> Float.toString(x.value());
            case GgufValue.Float64 x -> Double.toString(x.value());
            case GgufValue.Bool x -> Boolean.toString(x.value());
            case GgufArray a -> {
                StringBuilder b = new StringBuilder("[");
                int shown = full ? a.size() : Math.min(a.size(), SHOWN_ELEMENTS);
                for (int k = 0; k < shown; k++) {
                    b.append(k > 0 ? ", " : "").append(text(a.get(k)));
                }
                if (shown < a.size()) {
                    b.append(", ... (").append(a.size()).append(" items)");
                }
                yield b.append(']').toString();
            }
        };
    }

    private static String shape(GgufTensorInfo t) {
        StringBuilder b = new StringBuilder("[");
        long[] s = t.shape();
        for (int i = 0; i < s.length; i++) {
            b.append(i > 0 ? ", " : "").append(s[i]);
        }
        return b.append(']').toString();
    }

    /** A string as a quoted literal: quotes, backslashes and control characters escaped; cut to {@code max}. */
    static String display(String s, int max) {
        StringBuilder b = new StringBuilder("'");
        int n = Math.min(s.length(), max);
        for (int i = 0; i < n; i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '\'' -> b.append("\\'");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (Character.isISOControl(ch) || ch == '\u2028' || ch == '\u2029') {
                        b.append(String.format("\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        b.append('\'');
        if (n < s.length()) {
            b.append("... (").append(s.length()).append(" chars)");
        }
        return b.toString();
    }

    private String json(GgufFile gguf) {
        GgufMetadata md = gguf.metadata();
        Json j = new Json().beginObject()
                .member("file", gguf.origin())
                .member("version", gguf.version())
                .member("alignment", gguf.alignment())
                .member("start_offset", gguf.startOffset())
                .member("data_offset", gguf.dataOffset())
                .member("file_size", gguf.fileSize())
                .member("kv_count", md.size())
                .member("tensor_count", gguf.tensors().size());
        j.name("metadata").beginObject();
        for (String key : md.keys()) {
            j.name(key);
            json(j, md.require(key));
        }
        j.endObject();
        j.name("tensors").beginArray();
        for (GgufTensorInfo t : gguf.tensors()) {
            j.beginObject().member("name", t.name()).member("type", t.type().ggmlName());
            j.name("shape").beginArray();
            for (long d : t.shape()) {
                j.value(d);
            }
            j.endArray().member("offset", t.offset()).member("size", t.byteSize()).endObject();
        }
        return j.endArray().endObject().toString();
    }

    /** {"type": ..., "value": ...}; arrays add element_type and count, and "truncated" when cut short. */
    private void json(Json j, GgufValue v) {
        j.beginObject().member("type", v.type().shortName());
        if (v instanceof GgufArray a) {
            j.member("element_type", a.elementType().shortName()).member("count", a.size());
            int shown = full ? a.size() : Math.min(a.size(), SHOWN_ELEMENTS);
            j.name("value").beginArray();
            for (int k = 0; k < shown; k++) {
                GgufValue e = a.get(k);
                if (e instanceof GgufArray) {
                    json(j, e);
                } else {
                    scalar(j, e);
                }
            }
            j.endArray();
            if (shown < a.size()) {
                j.name("truncated").value(true);
            }
        } else {
            j.name("value");
            scalar(j, v);
        }
        j.endObject();
    }

    private static void scalar(Json j, GgufValue v) {
        switch (v) {
            case GgufValue.Str s -> j.value(s.value());
            case GgufValue.UInt64 u -> j.unsignedValue(u.value());
            case GgufValue.UInt8 x -> j.value(x.value());
            case GgufValue.Int8 x -> j.value(x.value());
            case GgufValue.UInt16 x -> j.value(x.value());
            case GgufValue.Int16 x -> j.value(x.value());
            case GgufValue.UInt32 x -> j.value(x.value());
            case GgufValue.Int32 x -> j.value(x.value());
            case GgufValue.Int64 x -> j.value(x.value());
            case GgufValue.Float32 x -> j.value(x.value());
            case GgufValue.Float64 x -> j.value(x.value());
            case GgufValue.Bool x -> j.value(x.value());
            case GgufArray a -> throw new IllegalStateException("not a scalar");
        }
    }
}
