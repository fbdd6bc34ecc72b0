package io.github.ggml4j.cli;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;
import io.github.ggml4j.session.SessionOptions;
import io.github.ggml4j.testing.SyntheticLlama;
import io.github.ggml4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A model split over the local CPU and two RPC servers on 127.0.0.1, one ggml4j's ({@code ggml4j rpc-server}) and
 * one llama.cpp's ({@code ggml-rpc-server}): 32 greedy tokens are those of the local run, from ggml4j's client and
 * from llama.cpp's {@code llama-completion --rpc} on the same split. So each client works with each server.
 *
 * <p>The split: a 4-block model with {@code -ngl 4 -ts 1,1} keeps the embeddings and block 0 on the local CPU, puts
 * blocks 1 and 2 on the first server and block 3 and the head on the second (llama.cpp's rule, which ggml4j
 * follows). The test runs it both ways round, so either server holds the head. With {@code -ngl 99} everything but
 * the embeddings is remote, and ggml4j's scheduler pipelines its splits as llama.cpp's does (input copies and
 * events instead of backend synchronizations): the tokens stay the same.
 */
class RpcSplitParityTest {

    static final int N = 32;
    static final String PROMPT = "Hello my name is";
    static final SyntheticLlama MODEL = SyntheticLlama.llama(64, 4, 4, 2, 192).withStd(0.1).withSeed(20);

    @TempDir
    static Path dir;

    static RpcServers.Server ours;
    static RpcServers.Server theirs;
    static Path file;
    static Generation local;
    static byte[] plain;

    @BeforeAll
    static void start() {
        file = MODEL.cached();
        try (Model m = Model.load(file, ModelOptions.defaults().withThreads(1).withContextSize(512));
             Session s = m.newSession(SessionOptions.defaults().withContextSize(512))) {
            local = s.generate(PROMPT, GenerateOptions.greedy(N));
            Tokenizer t = m.tokenizer();
            java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
            for (int id : local.tokens()) {
                b.writeBytes(t.tokenBytes(id, false));
            }
            plain = b.toByteArray();
        }
        assertEquals(N, local.tokens().length, "the local run generates " + N + " tokens");
        ours = RpcServers.ours(dir, 1);
        theirs = RpcServers.theirs(dir, 1);
    }

    @AfterAll
    static void stop() {
        if (ours != null) {
            ours.close();
        }
        if (theirs != null) {
            theirs.close();
        }
    }

    static String servers(RpcServers.Server first, RpcServers.Server second) {
        return first.endpoint() + "," + second.endpoint();
    }

    @Test
    void ggml4jClientOnBothServersGeneratesTheLocalTokens() throws Exception {
        for (String ngl : new String[] {"4", "99"}) {
            for (String rpc : new String[] {servers(ours, theirs), servers(theirs, ours)}) {
                Cli.Result r = Cli.process(dir, Map.of("GGML4J_VERBOSE", "1"), "generate", "-m", file.toString(),
                        "-p", PROMPT, "-n", Integer.toString(N), "-t", "1", "-c", "512", "--rpc", rpc, "-ngl", ngl,
                        "-ts", "1,1");
                assertEquals(0, r.exit(), r.all() + "\nservers:\n" + ours.log() + theirs.log());
                assertEquals(local.text() + "\n", r.out(),
                        "-ngl " + ngl + " split over " + rpc + " vs the local run\n" + r.all());
                // the weights really are on both servers: ggml names remote buffer types RPCn[host:port]
                String[] eps = rpc.split(",");
                assertTrue(r.err().contains("[" + eps[0] + "]") && r.err().contains("[" + eps[1] + "]")
                        && r.err().contains("CPU"), "weights on the CPU and both servers: " + r.err());
                // llama.cpp's rule: pipelined only when every block and the head are offloaded
                assertEquals(ngl.equals("99"), r.err().contains("splits pipelined over the offload devices"),
                        "-ngl " + ngl + ": " + r.err());
            }
        }
    }

    @Test
    void aTensorSplitLongerThanTheDeviceListIsAModelError() throws Exception {
        Cli.Result r = Cli.process(dir, "generate", "-m", file.toString(), "-p", PROMPT, "-n", "2", "-t", "1",
                "-c", "512", "--rpc", servers(ours, theirs), "-ts", "1,1,1");
        assertEquals(5, r.exit(), r.all());
        assertTrue(r.err().contains("the tensor split has 3 entries but there are 2 offload devices"), r.all());
    }

    @Test
    void llamaCompletionOnBothServersGeneratesTheSameText() {
        byte[] end = {'\n', '\n'};
        for (String ngl : new String[] {"4", "99"}) {
            for (String rpc : new String[] {servers(ours, theirs), servers(theirs, ours)}) {
                ReferenceTool.Output ref = ReferenceTool.check(120, "llama-completion", "-m", file.toString(), "-p",
                        PROMPT, "-n", Integer.toString(N), "--temp", "0", "-s", "1", "-t", "1", "-c", "512",
                        "-no-cnv", "--no-escape", "--no-display-prompt", "--no-warmup", "-fit", "off",
                        "--rpc", rpc, "-ngl", ngl, "-ts", "1,1", "-lv", "4");
                for (String ep : rpc.split(",")) {
                    assertTrue(ref.stderr().contains("[" + ep + "] model buffer size"),
                            "llama-completion put weights on " + ep + ":\n" + ref.stderr());
                }
                assertEquals(ngl.equals("99"), ref.stderr().contains("pipeline parallelism enabled"),
                        "-ngl " + ngl + ": llama.cpp pipelines the same splits as ggml4j\n" + ref.stderr());
                assertEquals(new String(concat(plain, end), StandardCharsets.UTF_8),
                        new String(ref.stdout(), StandardCharsets.UTF_8),
                        "llama-completion --rpc " + rpc + " -ngl " + ngl + " vs ggml4j's local run\n" + ref.stderr());
            }
        }
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
