package io.github.ggml4j.perf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.ggml4j.chat.ChatTemplate;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.nativ.NativeLoader;
import io.github.ggml4j.sampling.SamplingOptions;
import io.github.ggml4j.server.OpenAiServer;
import io.github.ggml4j.server.ServerOptions;
import io.github.ggml4j.testing.SyntheticLlama;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A load test of {@code ggml4j serve}'s server against llama.cpp's {@code llama-server} (built from the same
 * pinned tree) on the same GGUF in the same run: N greedy {@code /v1/completions} requests from C concurrent
 * clients on loopback, then the same requests from one sequential client; requests/s, p50/p99 latency, completed
 * tokens/s and errors for each, in rounds (3 by default) in which the servers take turns, and over all rounds. Not a
 * unit test: timings depend on the machine and what else runs on it.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -Dggml4j.root=. -cp "tests/target/classes:tests/target/lib/*" \
 *     io.github.ggml4j.perf.ServeLoad [--model FILE] [--requests 200] [--concurrency 32] [--max-tokens 32]
 *     [--threads N] [--sequential 50] [--rounds 3] [--warmup REQUESTS] [--llama-args "-kvu ..."] [--kv-unified true]
 *     [--ours process|in-process] [--ours-args "--cache-ram 0 ..."]
 * </pre>
 *
 * <p>ggml4j's server runs as {@code ./ggml4j serve} in a process of its own, as llama-server does, so the load
 * generator's JVM (its JIT and its collector) is not ggml4j's; {@code --ours in-process} starts it in this JVM
 * instead, and prints the engine's steps and graph builds.
 *
 * <p>{@code --llama-args} adds arguments to llama-server's command line: {@code -kvu} gives it one KV cache shared
 * by all slots instead of its default of one stream per slot; {@code --kv-unified true} does the same for ggml4j
 * (whose server, like llama-server, defaults to one KV stream per slot). {@code --ours-args} adds arguments to
 * {@code ggml4j serve}'s: {@code --llama-args "-cram 0" --ours-args "--cache-ram 0"} measures both without their
 * prompt caches, every request's prompt computed (by default both restore the earlier rounds' prompts from host
 * memory).
 */
public final class ServeLoad {

    private static final ObjectMapper JSON = new ObjectMapper();

    record Result(String server, String mode, int requests, int errors, double seconds, long tokens,
                  double[] latencies, List<String> texts) {
        double p50() {
            return sorted()[(int) Math.floor(0.50 * (latencies.length - 1))];
        }

        double p99() {
            return sorted()[(int) Math.ceil(0.99 * (latencies.length - 1))];
        }

        private double[] sorted() {
            double[] sorted = latencies.clone();
            Arrays.sort(sorted);
            return sorted;
        }

        /** The rounds as one: requests, tokens and wall time summed, latencies pooled. */
        static Result total(List<Result> rounds) {
            Result first = rounds.get(0);
            double[] all = rounds.stream().flatMapToDouble(r -> Arrays.stream(r.latencies())).toArray();
            return new Result(first.server(), first.mode().replaceFirst(" #\\d+$", "") + ", all rounds",
                    rounds.stream().mapToInt(Result::requests).sum(), rounds.stream().mapToInt(Result::errors).sum(),
                    rounds.stream().mapToDouble(Result::seconds).sum(), rounds.stream().mapToLong(Result::tokens).sum(),
                    all, first.texts());
        }

        double rps() {
            return requests / seconds;
        }

        double tps() {
            return tokens / seconds;
        }
    }

    private ServeLoad() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new java.util.HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int requests = Integer.parseInt(a.getOrDefault("requests", "200"));
        int concurrency = Integer.parseInt(a.getOrDefault("concurrency", "32"));
        int maxTokens = Integer.parseInt(a.getOrDefault("max-tokens", "32"));
        int sequential = Integer.parseInt(a.getOrDefault("sequential", "50"));
        int rounds = Integer.parseInt(a.getOrDefault("rounds", "3"));
        int warmup = Integer.parseInt(a.getOrDefault("warmup", Integer.toString(requests)));
        int threads = Integer.parseInt(a.getOrDefault("threads", Integer.toString(Runtime.getRuntime().availableProcessors())));
        int slot = 256;
        Path file = a.containsKey("model") ? Path.of(a.get("model"))
                : SyntheticLlama.llama(512, 4, 8, 4, 1408).withTypes(GgmlType.Q8_0).withStd(0.05).withSeed(21)
                        .cached();
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            prompts.add("Request " + i + ": tell me about the number " + (i * 37 % 101) + " and why it matters to "
                    + "someone who counts " + (i % 7 + 2) + " sheep.");
        }
        System.out.printf(Locale.ROOT, "model %s, %d requests, %d concurrent, max_tokens %d, %d threads, greedy%n",
                file.getFileName(), requests, concurrency, maxTokens, threads);
        Path llama = NativeLoader.ensureLoaded().referenceBinDir().orElseThrow().resolve("llama-server");
        if (!Files.isExecutable(llama)) {
            throw new IllegalStateException(llama + " is missing: rebuild the natives (./build.sh native)");
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Files.createDirectories(Path.of("target"));
        List<String> command = new ArrayList<>(List.of(llama.toString(), "-m", file.toString(), "--host", "127.0.0.1",
                "--port", Integer.toString(port), "-np", Integer.toString(concurrency), "-c",
                Integer.toString(concurrency * slot), "-t", Integer.toString(threads), "-tb",
                Integer.toString(threads), "-n", Integer.toString(maxTokens), "--no-webui", "-fa", "on"));
        String extra = a.getOrDefault("llama-args", "").strip();
        if (!extra.isEmpty()) {
            command.addAll(Arrays.asList(extra.split("\\s+")));
        }
        System.out.println("llama-server " + String.join(" ", command.subList(1, command.size())));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(Path.of("target/llama-server-load.log").toFile()).start();
        // both servers up at once (the idle one sleeps), measured in turns: each phase of one right after the
        // same phase of the other, so a change in the machine's load hits both alike
        List<List<Result>> res = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        boolean unified = Boolean.parseBoolean(a.getOrDefault("kv-unified", "false"));
        boolean inProcess = a.getOrDefault("ours", "process").equals("in-process");
        Model model = null;
        OpenAiServer server = null;
        Process ourProcess = null;
        try {
            URI ours;
            if (inProcess) {
                model = Model.load(file, ModelOptions.defaults().withThreads(threads)
                        .withContextSize(concurrency * slot).withCachedPrompts(concurrency)
                        .withKvStreams(unified ? 1 : concurrency));
                server = OpenAiServer.start(model, ChatTemplate.forModel(model),
                        ServerOptions.defaults("m").withPort(0).withParallel(concurrency).withSlotContext(slot)
                                .withMaxTokens(maxTokens).withQueueSize(requests).withSampling(SamplingOptions.greedy()));
                ours = server.baseUri();
            } else {
                int ourPort;
                try (ServerSocket s = new ServerSocket(0)) {
                    ourPort = s.getLocalPort();
                }
                Path launcher = Path.of(System.getProperty("ggml4j.root", ".")).resolve("ggml4j");
                List<String> ourCommand = new ArrayList<>(List.of(launcher.toString(), "serve", "-m", file.toString(),
                        "--host", "127.0.0.1", "--port", Integer.toString(ourPort), "-np", Integer.toString(concurrency),
                        "-c", Integer.toString(concurrency * slot), "-t", Integer.toString(threads), "-n",
                        Integer.toString(maxTokens), "--queue-size", Integer.toString(requests), "--temp", "0", "-a", "m"));
                if (unified) {
                    ourCommand.add("-kvu");
                }
                String ours0 = a.getOrDefault("ours-args", "").strip();
                if (!ours0.isEmpty()) {
                    ourCommand.addAll(Arrays.asList(ours0.split("\\s+")));
                }
                System.out.println("ggml4j " + String.join(" ", ourCommand.subList(1, ourCommand.size())));
                ourProcess = new ProcessBuilder(ourCommand).redirectErrorStream(true)
                        .redirectOutput(Path.of("target/ggml4j-serve-load.log").toFile()).start();
                ours = URI.create("http://127.0.0.1:" + ourPort);
                awaitHealthy(ours, ourProcess, "ggml4j serve", "target/ggml4j-serve-load.log");
            }
            URI theirs = URI.create("http://127.0.0.1:" + port);
            awaitHealthy(theirs, p, "llama-server", "target/llama-server-load.log");
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            // warmed up with the whole load once: ggml4j's JIT compiles its request path in the first few hundred
            // requests (with 32 only, its first measured round ran 0.85x where later ones ran 0.98x)
            List<String> warm = prompts.subList(0, Math.min(prompts.size(), warmup));
            List<String> seq = prompts.subList(0, Math.min(sequential, prompts.size()));
            run("ggml4j serve", "warm-up", ours, http, warm, concurrency, maxTokens);
            run("llama-server", "warm-up", theirs, http, warm, concurrency, maxTokens);
            io.github.ggml4j.runtime.Engine engine = model == null ? null
                    : io.github.ggml4j.runtime.ModelAccess.get().engine(model);
            io.github.ggml4j.runtime.Engine.Stats before = engine == null ? null : engine.stats();
            // each phase in rounds, the servers taking turns and swapping who goes first: on a shared machine
            // whose speed drifts by 20% over seconds, one long phase each measures the drift more than the servers
            for (int k = 1; k <= rounds; k++) {
                String tag = rounds > 1 ? " #" + k : "";
                for (int turn = 0; turn < 2; turn++) {
                    if ((turn == 0) == (k % 2 == 1)) {
                        res.get(0).add(run("ggml4j serve", concurrency + " concurrent" + tag, ours, http, prompts,
                                concurrency, maxTokens));
                    } else {
                        res.get(2).add(run("llama-server", concurrency + " concurrent" + tag, theirs, http, prompts,
                                concurrency, maxTokens));
                    }
                }
            }
            if (engine != null) {
                io.github.ggml4j.runtime.Engine.Stats after = engine.stats();
                long steps = after.steps() - before.steps();
                long generated = res.get(0).stream().mapToLong(Result::tokens).sum();
                System.out.printf(Locale.ROOT, "ggml4j engine: %d steps for %d requests (%.1f generated tokens a step), "
                        + "%d graphs built, %d reused%n", steps, prompts.size() * rounds, (double) generated / steps,
                        after.graphBuilds() - before.graphBuilds(), after.graphReuses() - before.graphReuses());
            }
            if (command.contains("--metrics")) {
                // llama-server's own counters: its decode calls and the slots busy in each, to set against the
                // engine's steps above (in-process mode)
                String metrics = http.send(HttpRequest.newBuilder(theirs.resolve("/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                metrics.lines().filter(l -> l.startsWith("llamacpp:n_decode_total")
                        || l.startsWith("llamacpp:n_busy_slots_per_decode") || l.startsWith("llamacpp:tokens_predicted_total"))
                        .forEach(l -> System.out.println("llama-server metrics (warm-up and concurrent rounds): " + l));
            }
            for (int k = 1; k <= rounds; k++) {
                String tag = rounds > 1 ? " #" + k : "";
                for (int turn = 0; turn < 2; turn++) {
                    if ((turn == 0) == (k % 2 == 1)) {
                        res.get(1).add(run("ggml4j serve", "1 sequential" + tag, ours, http, seq, 1, maxTokens));
                    } else {
                        res.get(3).add(run("llama-server", "1 sequential" + tag, theirs, http, seq, 1, maxTokens));
                    }
                }
            }
        } finally {
            if (server != null) {
                server.close();
            }
            if (model != null) {
                model.close();
            }
            for (Process proc : new Process[] {p, ourProcess}) {
                if (proc != null) {
                    proc.destroy();
                    if (!proc.waitFor(10, TimeUnit.SECONDS)) {
                        proc.destroyForcibly();
                    }
                }
            }
        }
        List<Result> results = new ArrayList<>();
        for (List<Result> phase : res) {
            results.add(Result.total(phase));
        }
        System.out.println();
        System.out.println("| server | clients | requests | errors | wall s | req/s | p50 ms | p99 ms | tokens | tokens/s |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (int i = 0; i < 4; i++) {
            List<Result> rows = new ArrayList<>(res.get(i));
            if (rounds > 1) {
                rows.add(results.get(i));
            }
            for (Result r : rows) {
                System.out.printf(Locale.ROOT, "| %s | %s | %d | %d | %.2f | %.2f | %.0f | %.0f | %d | %.1f |%n",
                        r.server(), r.mode(), r.requests(), r.errors(), r.seconds(), r.rps(), r.p50(), r.p99(),
                        r.tokens(), r.tps());
            }
        }
        Result ours = results.get(0);
        Result theirs = results.get(2);
        int same = 0;
        for (int i = 0; i < ours.texts().size(); i++) {
            same += ours.texts().get(i).equals(theirs.texts().get(i)) ? 1 : 0;
        }
        StringBuilder perRound = new StringBuilder();
        for (int k = 0; k < rounds; k++) {
            perRound.append(k == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f",
                    res.get(0).get(k).tps() / res.get(2).get(k).tps()));
        }
        System.out.printf(Locale.ROOT, "%nconcurrent completed tokens/s, ggml4j / llama-server: %.3f (%d rounds: %s); "
                + "sequential: %.3f%n", ours.tps() / theirs.tps(), rounds, perRound, results.get(1).tps()
                / results.get(3).tps());
        int repeatOurs = 0;
        int repeatTheirs = 0;
        for (int k = 1; k < rounds; k++) {
            repeatOurs += agree(res.get(0).get(0), res.get(0).get(k));
            repeatTheirs += agree(res.get(2).get(0), res.get(2).get(k));
        }
        System.out.printf(Locale.ROOT, "identical greedy answers, ggml4j vs llama-server (concurrent runs): %d of %d;"
                + " ggml4j concurrent vs sequential: %d of %d; llama-server concurrent vs sequential: %d of %d; "
                + "later rounds vs the first: ggml4j %d, llama-server %d of %d%n", same,
                ours.texts().size(), agree(ours, results.get(1)), results.get(1).requests() / rounds,
                agree(theirs, results.get(3)), results.get(3).requests() / rounds, repeatOurs, repeatTheirs,
                (rounds - 1) * ours.texts().size());
    }

    private static int agree(Result a, Result b) {
        int n = 0;
        for (int i = 0; i < Math.min(a.texts().size(), b.texts().size()); i++) {
            n += java.util.Objects.equals(a.texts().get(i), b.texts().get(i)) ? 1 : 0;
        }
        return n;
    }

    static Result run(String name, String mode, URI base, HttpClient http, List<String> prompts, int concurrency,
                      int maxTokens) throws Exception {
        int n = prompts.size();
        double[] latency = new double[n];
        long[] tokens = new long[n];
        String[] texts = new String[n];
        AtomicInteger next = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        double[] promptMs = new double[n];
        double[] predictedMs = new double[n];
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < concurrency; w++) {
                workers.add(pool.submit(() -> {
                    for (int i; (i = next.getAndIncrement()) < n; ) {
                        String body = JSON.writeValueAsString(Map.of("model", "m", "prompt", prompts.get(i),
                                "max_tokens", maxTokens, "temperature", 0));
                        long s = System.nanoTime();
                        try {
                            HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/v1/completions"))
                                    .timeout(Duration.ofSeconds(600)).header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            latency[i] = (System.nanoTime() - s) / 1e6;
                            JsonNode j = JSON.readTree(r.body());
                            if (r.statusCode() != 200) {
                                errors.incrementAndGet();
                                continue;
                            }
                            tokens[i] = j.at("/usage/completion_tokens").asLong();
                            texts[i] = j.at("/choices/0/text").asText();
                            promptMs[i] = j.at("/timings/prompt_ms").asDouble(Double.NaN);
                            predictedMs[i] = j.at("/timings/predicted_ms").asDouble(Double.NaN);
                        } catch (IOException e) {
                            errors.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : workers) {
                f.get();
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Result r = new Result(name, mode, n, errors.get(), seconds, Arrays.stream(tokens).sum(), latency,
                Arrays.asList(texts));
        double prompt = Arrays.stream(promptMs).average().orElse(Double.NaN);
        double predicted = Arrays.stream(predictedMs).average().orElse(Double.NaN);
        System.out.printf(Locale.ROOT, "%s, %s: %d requests in %.2f s, %d errors, %.1f tokens/s%s%n", name, mode, n,
                seconds, r.errors(), r.tps(), Double.isNaN(prompt) ? "" : String.format(Locale.ROOT,
                        " (server timings, mean: prompt %.1f ms, generation %.1f ms)", prompt, predicted));
        return r;
    }

    private static void awaitHealthy(URI base, Process p, String name, String log) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException(name + " exited: see " + log);
            }
            try {
                if (http.send(HttpRequest.newBuilder(base.resolve("/health")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(name + " did not become healthy in 120 s");
    }
}
