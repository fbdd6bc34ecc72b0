package io.github.ggml4j.rpc;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** --rpc's syntax and the server options' checks (pure Java, no server needed). */
class RpcEndpointTest {

    @Test
    void parsesHostPortAndLists() {
        assertEquals(new RpcEndpoint("127.0.0.1", 50052), RpcEndpoint.parse("127.0.0.1:50052"));
        assertEquals(new RpcEndpoint("helper-1.lan", 1), RpcEndpoint.parse(" Helper-1.LAN:1 "));
        assertEquals("10.0.0.2:7", RpcEndpoint.parse("10.0.0.2:7").toString());
        assertEquals(List.of(new RpcEndpoint("a", 1), new RpcEndpoint("b", 2)), RpcEndpoint.parseList("a:1,b:2"));
    }

    @Test
    void rejectsWhatGgmlCouldNotUse() {
        for (String bad : new String[] {"", "a", ":1", "a:", "a:0", "a:65536", "a:1x", "a:-1", "[::1]:1", "::1",
                "a b:1", "a:1:2", "a:123456"}) {
            assertThrows(IllegalArgumentException.class, () -> RpcEndpoint.parse(bad), bad);
        }
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> RpcEndpoint.parseList("a:1,A:1"));
        assertTrue(twice.getMessage().contains("twice"), twice.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RpcEndpoint.parseList("a:1,"));
    }

    @Test
    void serverOptionsTakeIpv4LiteralsAndKnowLoopback() {
        RpcServerOptions o = RpcServerOptions.loopback(50052);
        assertTrue(o.loopbackHost());
        assertFalse(o.allowNonLoopback());
        assertEquals(Optional.empty(), o.cacheDir());
        assertFalse(o.withHost("10.1.2.3").loopbackHost());
        assertTrue(o.withHost("127.0.0.2").loopbackHost());
        assertEquals(Optional.of(Path.of("c")), o.withCacheDir(Path.of("c")).cacheDir());
        for (String bad : new String[] {"localhost", "1.2.3", "1.2.3.256", "01.2.3.4", "::1", "1.2.3.4 "}) {
            assertThrows(IllegalArgumentException.class, () -> o.withHost(bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> o.withThreads(0));
        assertThrows(IllegalArgumentException.class, () -> RpcServerOptions.loopback(0));
    }
}
