package io.github.ggml4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ggml4j serve}: flags checked before anything loads, and a served model answering in a child JVM. */
class ServeCommandTest {

    @Test
    void badFlagsAreErrorsNamingThem() {
        String model = CliModels.LLAMA_F32.cached().toString();
        Cli.Result r = Cli.run("serve", "-m", model, "-np", "0");
        assertEquals(ExitCodes.USAGE, r.exit(), r.all());
        assertTrue(r.err().contains("--parallel"), r.all());
        r = Cli.run("serve", "-m", model, "-c", "16", "-np", "16");
        assertEquals(ExitCodes.USAGE, r.exit(), r.all());
        assertTrue(r.err().contains("slots"), r.all());
        r = Cli.run("serve", "-m", model, "--port", "70000");
        assertEquals(ExitCodes.USAGE, r.exit(), r.all());
        assertTrue(r.err().contains("port"), r.all());
        r = Cli.run("serve", "-m", model, "--api-key", " ");
        assertEquals(ExitCodes.USAGE, r.exit(), r.all());
        r = Cli.run("serve", "-m", model, "--cache-ram", "-2");
        assertEquals(ExitCodes.USAGE, r.exit(), r.all());
        assertTrue(r.err().contains("--cache-ram"), r.all());
    }

    @Test
    void aPortInUseIsAnError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Cli.Result r = Cli.run("serve", "-m", CliModels.LLAMA_F32.cached().toString(), "-t", "1", "-c", "256",
                    "--port", Integer.toString(taken.getLocalPort()));
            assertEquals(ExitCodes.USAGE, r.exit(), r.all());
            assertTrue(r.err().contains("cannot listen"), r.all());
        }
    }

    @Test
    void servesAChatCompletionAndStopsOnSigterm(@TempDir Path dir) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        if (System.getProperty("ggml4j.root") != null) {
            cmd.add("-Dggml4j.root=" + System.getProperty("ggml4j.root"));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve", "-m",
                CliModels.LLAMA_F32.cached().toString(), "-t", "1", "-c", "512", "-np", "2", "--port", "0",
                "--api-key", "k", "-a", "tiny", "-n", "16"));
        Path err = dir.resolve("serve.err");
        Process p = new ProcessBuilder(cmd).redirectInput(new File("/dev/null")).redirectErrorStream(true)
                .redirectOutput(err.toFile()).start();
        try {
            URI base = awaitUrl(err, p);
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
                    .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer k")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"tiny\", \"temperature\": 0, "
                            + "\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().contains("\"completion_tokens\":16"), "-n caps the default max_tokens: " + r.body());
            HttpResponse<String> over = http.send(HttpRequest.newBuilder(base.resolve("/v1/completions"))
                    .header("Authorization", "Bearer k")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"x\", \"max_tokens\": 17}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(400, over.statusCode(), over.body());
        } finally {
            p.destroy();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "serve stops on SIGTERM");
        }
        assertNotEquals(0, Files.size(err));
    }

    private static URI awaitUrl(Path log, Process p) throws Exception {
        Pattern url = Pattern.compile("at (http://[0-9.]+:[0-9]+)");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            String text = Files.readString(log, StandardCharsets.UTF_8);
            Matcher m = url.matcher(text);
            if (m.find()) {
                return URI.create(m.group(1));
            }
            if (!p.isAlive()) {
                throw new AssertionError("serve exited " + p.exitValue() + ":\n" + text);
            }
            Thread.sleep(100);
        }
        throw new AssertionError("serve printed no address in 90 s:\n" + Files.readString(log));
    }
}
