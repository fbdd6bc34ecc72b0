package io.github.ggml4j.nativ;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;

/**
 * Runs {@link LoaderProbe} (or another main class) in a fresh JVM: the same java binary, a class path and
 * environment of our choice.
 */
final class ChildJvm {

    /** Where natives jars keep their libraries; a class path entry holding it provides natives. */
    static final String NATIVES_RESOURCE_DIR = "io/github/ggml4j/natives/";

    record Result(int exit, String stdout, String stderr) {
        /** The value of a {@code key=value} line the probe printed, or null. */
        String value(String key) {
            for (String line : stdout.split("\n")) {
                if (line.startsWith(key + "=")) {
                    return line.substring(key.length() + 1);
                }
            }
            return null;
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    private final List<String> classpath = new ArrayList<>();
    private final List<String> jvmArgs = new ArrayList<>();
    private final Map<String, String> env = new HashMap<>();
    private final Path workDir;

    /**
     * A child with this test JVM's class path minus any natives artifact, the environment minus GGML4J_ROOT,
     * and GGML4J_CACHE_DIR pointing at {@code cacheDir}.
     */
    ChildJvm(Path workDir, Path cacheDir) throws IOException {
        this.workDir = workDir;
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!e.isBlank() && !holdsNatives(Path.of(e))) {
                classpath.add(e);
            }
        }
        env.put("GGML4J_ROOT", null);
        env.put("GGML4J_CACHE_DIR", cacheDir.toString());
        jvmArgs.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
    }

    ChildJvm classpath(Path entry) {
        classpath.add(entry.toString());
        return this;
    }

    ChildJvm property(String key, String value) {
        jvmArgs.add("-D" + key + "=" + value);
        return this;
    }

    /** Sets (or, with null, removes) an environment variable of the child. */
    ChildJvm env(String key, String value) {
        env.put(key, value);
        return this;
    }

    Result run(String... args) throws IOException, InterruptedException {
        return start(LoaderProbe.class, args).finish();
    }

    /** Runs {@code main}'s main method with these arguments and waits for it. */
    Result runMain(Class<?> main, String... args) throws IOException, InterruptedException {
        return start(main, args).finish();
    }

    /** A child started and not yet waited for, so that several can run at once. */
    final class Running {
        private final Process process;
        private final Path out;
        private final Path err;
        private final List<String> cmd;

        private Running(Process process, Path out, Path err, List<String> cmd) {
            this.process = process;
            this.out = out;
            this.err = err;
            this.cmd = cmd;
        }

        Result finish() throws IOException, InterruptedException {
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("child JVM did not finish in 120 s: " + cmd);
            }
            Result r = new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
            Files.delete(out);
            Files.delete(err);
            return r;
        }
    }

    Running start(Class<?> main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, classpath));
        cmd.add(main.getName());
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (e.getValue() == null) {
                pb.environment().remove(e.getKey());
            } else {
                pb.environment().put(e.getKey(), e.getValue());
            }
        }
        Path out = Files.createTempFile(workDir, "child", ".out");
        Path err = Files.createTempFile(workDir, "child", ".err");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        return new Running(pb.start(), out, err, cmd);
    }

    /** Whether a class path entry (directory or jar) provides natives as resources. */
    static boolean holdsNatives(Path entry) throws IOException {
        if (Files.isDirectory(entry)) {
            return Files.isDirectory(entry.resolve(NATIVES_RESOURCE_DIR));
        }
        if (!Files.isRegularFile(entry)) {
            return false;
        }
        try (JarFile jar = new JarFile(entry.toFile())) {
            return jar.stream().anyMatch(e -> e.getName().startsWith(NATIVES_RESOURCE_DIR));
        }
    }
}
