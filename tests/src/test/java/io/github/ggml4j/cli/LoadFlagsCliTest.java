package io.github.ggml4j.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The load flags of issue 16: --no-mmap, --mlock, -mg/--main-device, -sm/--split-mode, and info's GPU numbering. */
class LoadFlagsCliTest {

    private static Cli.Result generate(String... extra) {
        String[] base = {"generate", "-m", CliInputTest.model().toString(), "-p", "Hello world", "-n", "6", "--temp", "0",
                "-t", "1"};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return Cli.run(all);
    }

    @Test
    void copiedOrLockedWeightsGiveTheSameTokens() {
        Cli.Result plain = generate();
        assertEquals(0, plain.exit(), plain::all);
        Cli.Result copied = generate("--no-mmap");
        assertEquals(0, copied.exit(), copied::all);
        assertEquals(plain.out(), copied.out());
        Cli.Result locked = generate("--mlock", "--no-mmap");
        assertEquals(0, locked.exit(), locked::all);
        assertEquals(plain.out(), locked.out());
        // the GPU choice changes nothing without offloaded layers
        Cli.Result none = generate("-sm", "none", "-mg", "3");
        assertEquals(0, none.exit(), none::all);
        assertEquals(plain.out(), none.out());
    }

    @Test
    void badGpuChoicesAreOneLineErrorsThatNameTheFlag() {
        Cli.Result split = generate("--split-mode", "row");
        assertEquals(ExitCodes.USAGE, split.exit(), split::all);
        assertTrue(split.err().contains("--split-mode must be none or layer"), split::all);
        Cli.Result device = generate("--main-device", "-1");
        assertEquals(ExitCodes.USAGE, device.exit(), device::all);
        assertTrue(device.err().contains("--main-device must be >= 0"), device::all);
    }

    @Test
    void infoListsDevicesWithFreeMemory() {
        Cli.Result r = Cli.run("info");
        assertEquals(0, r.exit(), r::all);
        String cpu = r.out().lines().dropWhile(l -> !l.startsWith("devices")).skip(1)
                .filter(l -> l.trim().startsWith("CPU ")).findFirst().orElseThrow(() -> new AssertionError(r.all()));
        assertTrue(cpu.matches(".*\\([0-9,]+ MiB free of [0-9,]+ MiB\\)"), cpu);
    }
}
