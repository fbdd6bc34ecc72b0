package io.github.ggml4j.cli;

import io.github.ggml4j.Ggml4jException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * {@code ggml4j}: the command line. Each subcommand is a class of its own; this one only wires them and
 * turns ggml4j's typed errors into one-line messages and a non-zero exit code.
 */
@Command(name = "ggml4j", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Run quantized LLMs in the JVM over ggml.")
public final class Main implements Runnable {

    /**
     * The subcommands, in help order. Only the one a command line names is given to picocli: building the
     * model of all of them (annotations read through proxies, in picocli's Java 5 classes that no CDS/AOT
     * archive holds) was most of a short run's start-up.
     */
    static final java.util.List<Class<?>> SUBCOMMANDS = java.util.List.of(InfoCommand.class, GgufCommand.class,
            GenerateCommand.class, ChatCommand.class, TokenizeCommand.class, BenchCommand.class,
            BatchedBenchCommand.class, QuantizeCommand.class, PerplexityCommand.class, ServeCommand.class,
            EmbedCommand.class, RerankCommand.class, RpcServerCommand.class, TrainCommand.class,
            CommandLine.HelpCommand.class);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        skipUnusedConverters();
        quietLogging(Boolean.getBoolean("ggml4j.verbose") || System.getenv("GGML4J_VERBOSE") != null);
        System.exit(run(args));
    }

    /**
     * picocli registers converters for java.time and java.sql types by reflection, initialising those classes
     * (java.time's formatters alone were milliseconds of every start); no option here has such a type. A value
     * the user set stands.
     */
    static void skipUnusedConverters() {
        if (System.getProperty(CONVERTER_EXCLUDES) == null) {
            System.setProperty(CONVERTER_EXCLUDES, "java\\.time\\..*,java\\.sql\\..*");
        }
    }

    static final String CONVERTER_EXCLUDES = "picocli.converters.excludes";

    /** The library logs where it loaded natives from at INFO; the CLI shows that only when asked. */
    static void quietLogging(boolean verbose) {
        // one line per message (the library's messages start with "ggml4j: "), unless the user chose a format
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%5$s%n");
        }
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.setLevel(verbose ? java.util.logging.Level.INFO : java.util.logging.Level.WARNING);
    }

    /** Runs the command line and returns its exit code (tests call this instead of main). */
    public static int run(String... args) {
        return run(utf8(System.out), utf8(System.err), args);
    }

    /**
     * Generated text is written as UTF-8 bytes, as llama.cpp writes it, whatever the locale: System.out encodes
     * by the locale's charset, which under a plain C/POSIX locale (containers, CI, cron) is ASCII and turns
     * every other character into '?'.
     */
    private static PrintWriter utf8(PrintStream stream) {
        return new PrintWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), true);
    }

    /** Runs the command line writing to the given streams, and returns its exit code. */
    static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main());
        // a lone --version needs no subcommand (all of them: 0.25 s, most of its run)
        boolean versionOnly = args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"));
        Class<?> only = args.length > 0 ? subcommand(args[0]) : null;
        for (Class<?> c : SUBCOMMANDS) {
            if (!versionOnly && (only == null || c == only)) {
                cl.addSubcommand(c);
            }
        }
        // arguments are taken literally (case 62): "-p @notes.txt" is that text, not the file's contents
        cl.setExpandAtFiles(false);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof Ggml4jException || ex instanceof IllegalArgumentException) {
                cmd.getErr().println("ggml4j: " + firstLine(ex.getMessage()));
                return ExitCodes.of(ex);
            }
            throw ex;
        });
        return cl.execute(args);
    }

    /** The subcommand named {@code name} (or an alias), or null for none or {@code help} (which needs them all). */
    static Class<?> subcommand(String name) {
        for (Class<?> c : SUBCOMMANDS) {
            Command command = c.getAnnotation(Command.class);
            if (command.name().equals("help")) {
                continue;
            }
            if (command.name().equals(name) || java.util.Arrays.asList(command.aliases()).contains(name)) {
                return c;
            }
        }
        return null;
    }

    static String firstLine(String message) {
        if (message == null) {
            return "(no message)";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
