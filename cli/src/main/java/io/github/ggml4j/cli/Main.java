package io.github.ggml4j.cli;

import io.github.ggml4j.Ggml4jException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * {@code ggml4j}: the command line. Each subcommand is a class of its own; this one only wires them and
 * turns ggml4j's typed errors into one-line messages and a non-zero exit code.
 */
@Command(name = "ggml4j", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Run quantized LLMs in the JVM over ggml.",
        subcommands = {InfoCommand.class, GgufCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (tests call this instead of main). */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs the command line writing to the given streams, and returns its exit code. */
    static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main());
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
