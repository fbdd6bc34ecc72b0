package io.github.ggml4j.nativ;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Linking ahead: every listed downcall exists in the natives and links, and the switch turns it off. */
class DowncallWarmupTest {

    @Test
    void everyListedDowncallLinks() {
        NativeLoader.ensureLoaded();
        // a function renamed or dropped from the natives fails here (UnsatisfiedLinkError or its class's
        // initializer), not silently in the background thread
        assertDoesNotThrow(DowncallWarmup::link);
    }

    @Test
    void startsOnlyWithSeveralProcessorsAndUnlessSwitchedOff() {
        String before = System.getProperty(DowncallWarmup.PROPERTY);
        try {
            System.setProperty(DowncallWarmup.PROPERTY, "false");
            assertFalse(DowncallWarmup.start());
            System.clearProperty(DowncallWarmup.PROPERTY);
            assertEquals(Runtime.getRuntime().availableProcessors() > 1, DowncallWarmup.start());
        } finally {
            if (before == null) {
                System.clearProperty(DowncallWarmup.PROPERTY);
            } else {
                System.setProperty(DowncallWarmup.PROPERTY, before);
            }
        }
    }
}
